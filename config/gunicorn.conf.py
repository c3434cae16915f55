"""Gunicorn settings for Pathway Navigator: `gunicorn -c config/gunicorn.conf.py`.

Everything can be changed from the environment; `make serve` and `make bench` use it as is.
docs/benchmarks.md explains the worker count, docs/deploy.md how it sits behind a balancer.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: every request is short, CPU-bound Python with a few quick queries, so one
# process per request in flight is simplest and fastest. Two per core keeps the CPU busy while
# a worker waits on PostgreSQL; each holds one persistent database connection
# (CONN_MAX_AGE), so servers x workers must stay under PostgreSQL's max_connections.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"

# The load balancer's request timeout should be a little longer than this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Recycle workers now and then so a slow leak can never grow without bound; the jitter keeps
# them from all restarting at once. 0 never recycles (the benchmark's soak, which looks for
# such a leak).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Load the app once in the master: workers fork ready to serve, and a settings error (no
# SECRET_KEY, say) stops the server at start instead of in every worker.
preload_app = True

# TLS ends at the load balancer. Gunicorn believes its X-Forwarded-Proto (and so Django sees
# HTTPS) only from these addresses: set FORWARDED_ALLOW_IPS to the balancer's.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log to stdout unless turned off (the benchmark turns it off); errors to stderr.
accesslog = None if os.environ.get("GUNICORN_ACCESS_LOG", "1") == "0" else "-"
errorlog = "-"
