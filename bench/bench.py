"""`make bench`: how fast the production stack is at scale, against the ceiling of the stack.

In one run, on this machine only (127.0.0.1):

1. builds a dedicated PostgreSQL database (BENCH_DB, dropped and rebuilt each run) with the
   real fixtures grown to 50 pathways and 10,000 entries (bench/generate.py, fixed seed);
2. serves it with gunicorn and the production settings (DEBUG off, config/gunicorn.conf.py),
   requests arriving as if from the TLS-terminating load balancer (X-Forwarded-Proto);
3. measures requests/s and latency with wrk against a trivial Django view (the ceiling):
   full pages and htmx fragments for a different child on every request (bench/distinct.lua)
   and repeated, at the Infant Mental Health pathway (19 entries) and across the 10,000
   entries, straight to gunicorn; then repeated pages through nginx's proxy_cache
   (bench/nginx.conf) against the trivial view through the same nginx; in rounds taken in
   turn;
4. load test: 100 concurrent clients for 60 s on distinct URLs, counting errors; then a soak
   (BENCH_SOAK seconds, 600 by default) with the workers' memory (RSS) at start and end;
5. CPU time and SQL queries per request in-process (bench/cpu.py);
6. outage drill: a second gunicorn reaches PostgreSQL through a relay that is cut, made
   silent and restored, to time the 503 page and the recovery.

Results go to bench/results/<UTC time>/ (summary.md, results.json, the server log) and the
summary is printed. The machine is shared, so every measurement records the load average.
Settings: BENCH_DB, BENCH_PORT, BENCH_DURATION (seconds per URL and round), BENCH_ROUNDS,
BENCH_CONNECTIONS, BENCH_LOAD_CONNECTIONS, BENCH_LOAD_DURATION, BENCH_SOAK (seconds),
WEB_CONCURRENCY (workers).
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.relay import Relay  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
PG_HOST, PG_PORT, PG_USER, PG_PASSWORD = "127.0.0.1", 5432, "pathways", "pathways"
DB = os.environ.get("BENCH_DB", "pathways_bench")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARM_UP = 3
# As many connections as gunicorn has workers: every worker busy and no request waiting
# behind another, so p50/p95 are the time to serve a request on a busy server, not time in a
# queue (the load test shows the queue).
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "0")) or int(
    os.environ.get("WEB_CONCURRENCY", 2 * os.cpu_count())
)
LOAD_CONNECTIONS = int(os.environ.get("BENCH_LOAD_CONNECTIONS", "100"))
LOAD_DURATION = int(os.environ.get("BENCH_LOAD_DURATION", "60"))
WRK_THREADS = 2
# A client gives up after this long; anything slower counts as an error.
WRK_TIMEOUT = "10s"

IMH = "/pathways/infant-mental-health/"
PATHWAY = "/pathways/bench-pathway-25/"  # 208 entries
FILTER = "?age=10w&service=health-visiting"
NGINX_PORT = PORT + 2
SOAK = int(os.environ.get("BENCH_SOAK", "600"))
# (name, path, htmx?, wrk script and its arguments, connections or None for CONNECTIONS,
# through nginx?, text the response must contain). "distinct": a different child on every
# request (bench/distinct.lua), so every page is built; "report": the same URL repeated.
MEASURED = [
    ("trivial view (ceiling)", "/bench/trivial", False, "report", None, False, "ok"),
    ("IMH full page, distinct", IMH, False, "distinct", None, False, "<html"),
    ("IMH fragment, distinct", IMH, True, "distinct", None, False, '<div id="results"'),
    ("IMH full page, repeated", IMH + FILTER, False, "report", None, False, "<html"),
    ("IMH fragment, repeated", IMH + FILTER, True, "report", None, False, '<div id="results"'),
    ("10k full page, distinct", PATHWAY, False, "distinct many", None, False, "<html"),
    ("10k fragment, distinct", PATHWAY, True, "distinct many", None, False, '<div id="results"'),
    ("10k 208-entry fragment, built", PATHWAY + "?", True, "uncached", 4, False, "<div"),
    # The ceiling through the cache: the trivial view, kept by nginx as pages are. (Not
    # kept, each request passes through nginx to gunicorn: shown for comparison.)
    ("trivial view via nginx", "/bench/trivial?shared=1", False, "report", None, True, "ok"),
    ("trivial view via nginx, not kept", "/bench/trivial", False, "report", None, True, "ok"),
    ("IMH full page, repeated, via nginx", IMH + FILTER, False, "report", None, True, "<html"),
    ("IMH fragment, repeated, via nginx", IMH + FILTER, True, "report", None, True, "<div"),
    ("10k 208-entry fragment, repeated, via nginx", PATHWAY, True, "report", None, True, "<div"),
]
# Other people's work shares the machine: each URL is measured in several rounds, taken in
# turn, and each figure reported is its median over the rounds.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
PROXY = {"X-Forwarded-Proto": "https"}
HTMX = {"HX-Request": "true"}


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def run(*command: str, env: dict | None = None, quiet: bool = False) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    if not quiet and result.stdout.strip():
        print(result.stdout.strip(), flush=True)
    return result.stdout


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def psql(sql: str, database: str = "postgres") -> str:
    env = {**os.environ, "PGPASSWORD": PG_PASSWORD}
    command = ["psql", "-h", PG_HOST, "-U", PG_USER, "-d", database, "-qtAc", sql]
    return run(*command, env=env, quiet=True).strip()


def ensure_tools() -> None:
    missing = [
        tool
        for tool in ("wrk", "nginx")
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if missing:
        log(f"installing {', '.join(missing)} (apt)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)
    log("PostgreSQL: starting if needed")
    run("scripts/start-postgresql.sh")


def django_env(database_url: str, port: int, out: Path, workers: int | None = None) -> dict:
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "DJANGO_BENCH": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "0",
    }
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def build_database(out: Path, database: str = DB, grown: bool = True) -> str:
    """The fixtures in a database of their own, dropped and rebuilt; grown to 50 pathways and
    10,000 entries unless `grown` is false (bench/phone.py measures the fixtures' own page)."""
    url = f"postgres://{PG_USER}:{PG_PASSWORD}@{PG_HOST}:{PG_PORT}/{database}"
    log(f"database {database}: rebuilding")
    psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{database}"')
    env = django_env(url, PORT, out)
    run(PYTHON, "manage.py", "migrate", "--no-input", "-v0", env=env)
    run(PYTHON, "manage.py", "loaddata", *sorted(map(str, ROOT.glob("fixtures/*.json"))), env=env)
    if grown:
        run(PYTHON, "bench/generate.py", "--pathways", "50", "--entries", "10000", env=env)
    # Fresh tables have no statistics until autovacuum gets to them; production's have.
    psql("SET client_min_messages = error; ANALYZE", database=database)
    run(PYTHON, "manage.py", "collectstatic", "--no-input", "-v0", env=env)
    return url


def get(port: int, path: str, headers: dict | None = None, timeout: float = 10):
    """One request without following redirects: (status, body, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request("GET", path, headers={**PROXY, **(headers or {})})
        response = connection.getresponse()
        body = response.read().decode(errors="replace")
        return response.status, body, time.monotonic() - started
    finally:
        connection.close()


class Server:
    """gunicorn with config/gunicorn.conf.py, started and stopped by this script only."""

    def __init__(self, env: dict, port: int, log_path: Path):
        self.env, self.port, self.log_path = env, port, log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [GUNICORN, "--config", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                # Every worker started, not only the first to answer.
                answered = get(self.port, "/bench/trivial", timeout=2)[0] == 200
                if answered and len(self.worker_pids()) == self.workers():
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer in 30 s; see {self.log_path}")

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def worker_pids(self) -> list[str]:
        return run("ps", "-o", "pid=", "--ppid", str(self.process.pid), quiet=True).split()

    def workers(self) -> int:
        return int(self.env.get("WEB_CONCURRENCY") or 2 * os.cpu_count())


class Nginx:
    """nginx with bench/nginx.conf in front of the app server, started and stopped by this
    script only; `extra` is more of its http block and `modules` dynamic modules to load
    (bench/phone.py's static copy)."""

    def __init__(
        self,
        upstream_port: int,
        out: Path,
        port: int = NGINX_PORT,
        extra: str = "",
        modules: tuple[str, ...] = (),
    ):
        self.prefix, self.port = out / "nginx", port
        self.prefix.mkdir()
        self.conf = self.prefix / "nginx.conf"
        template = (ROOT / "bench" / "nginx.conf").read_text().replace("{extra}", extra)
        template = "".join(f"load_module {module};\n" for module in modules) + template
        for name, value in {
            "{prefix}": str(self.prefix),
            "{upstream}": f"127.0.0.1:{upstream_port}",
            "{port}": str(port),
        }.items():
            template = template.replace(name, value)
        self.conf.write_text(template)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Nginx:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [nginx, "-c", str(self.conf), "-p", str(self.prefix)],
            stdout=subprocess.DEVNULL,
            stderr=(self.prefix / "stderr.log").open("w"),
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/bench/trivial", timeout=2)[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"nginx did not answer; see {self.prefix}")

    def __exit__(self, *exc_info) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


def worker_rss(server: Server) -> list[int]:
    """Resident memory of each gunicorn worker, in MiB."""
    output = run("ps", "-o", "rss=", "--ppid", str(server.process.pid), quiet=True)
    return [round(int(line) / 1024, 1) for line in output.split()]


def wrk(
    url: str, seconds: int, connections: int, *args: str, threads=WRK_THREADS, script_args=()
) -> dict:
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        f"--timeout={WRK_TIMEOUT}",
        *args,
        url,
    ]
    if script_args:
        command += ["--", *script_args]
    before = load_average()
    output = run(*command, quiet=True)
    match = re.search(r"^BENCH (\{.*\})$", output, re.MULTILINE)
    if not match:
        raise RuntimeError(f"no BENCH line in wrk output:\n{output}")
    result = json.loads(match.group(1))
    result["errors"] = (
        sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
        + result["http_errors"]
    )
    result["load_before"], result["load_after"] = before, load_average()
    return result


def header_args(htmx: bool) -> list[str]:
    headers = {**PROXY, **(HTMX if htmx else {})}
    return [f"--header={name}: {value}" for name, value in headers.items()]


def measure(port: int) -> list[dict]:
    rounds: dict[str, list[dict]] = {}
    for name, path, htmx, _, _, via_nginx, expected in MEASURED:
        target = NGINX_PORT if via_nginx else port
        status, body, _ = get(target, path, HTMX if htmx else None)
        if status != 200 or expected not in body:
            raise RuntimeError(f"{path} answered {status} without {expected!r}")
        rounds[name] = []
    for number in range(1, ROUNDS + 1):
        for name, path, htmx, script, connections, via_nginx, _ in MEASURED:
            target = NGINX_PORT if via_nginx else port
            url = f"http://127.0.0.1:{target}{path}"
            script, *script_args = script.split()
            args = [f"--script=bench/{script}.lua", *header_args(htmx)]
            connections = connections or CONNECTIONS
            threads = min(WRK_THREADS, connections)
            wrk(url, WARM_UP, connections, *args, threads=threads, script_args=script_args)
            log(f"round {number}/{ROUNDS}: {name}, {DURATION} s, {connections} connections")
            result = wrk(
                url, DURATION, connections, *args, threads=threads, script_args=script_args
            )
            log(f"  {result['rps']:.0f}/s p50 {result['p50_ms']} ms p95 {result['p95_ms']} ms")
            result["connections"] = connections
            rounds[name].append(result)
    rows = []
    for name, path, htmx, _, _, via_nginx, _ in MEASURED:
        results = rounds[name]
        status, body, _ = get(NGINX_PORT if via_nginx else port, path, HTMX if htmx else None)
        row = {
            # Each figure is its median over the rounds: one round slowed by someone else's
            # test run moves none of them.
            key: statistics.median(result[key] for result in results)
            for key in ("rps", "p50_ms", "p95_ms", "p99_ms")
        }
        row.update(
            name=name,
            path=path,
            htmx=htmx,
            via_nginx=via_nginx,
            connections=results[0]["connections"],
            kb=round(len(body.encode()) / 1024, 1),
            rounds_rps=[round(result["rps"]) for result in results],
            rounds_p95=[round(result["p95_ms"]) for result in results],
            loads=[float(result["load_before"].split()[0]) for result in results],
            errors=sum(result["errors"] for result in results),
        )
        rows.append(row)
    return rows


def cache_status(port: int) -> dict:
    """What nginx answered from its cache: the second request for a page is a HIT."""
    found = {}
    for path, headers in [(IMH + FILTER, None), (IMH + FILTER, HTMX), (PATHWAY, HTMX)]:
        seen = []
        for _ in range(2):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers={**PROXY, **(headers or {})})
            response = connection.getresponse()
            response.read()
            seen.append(response.getheader("X-Cache-Status"))
            connection.close()
        found[f"{path}{' (htmx)' if headers else ''}"] = seen
    return found


# (name, path, htmx?, what differs per request, requests) for bench/cpu.py: "child" a date
# of birth (a different child each time), "address" a parameter the page ignores, "search"
# a search word (its cards carry its marks, so none is reused).
SERVICE = "?service=health-visiting"
CPU_MEASURED = [
    ("trivial view (ceiling)", "/bench/trivial", False, "", 1000),
    ("IMH full page, distinct", IMH + SERVICE, False, "child", 500),
    ("IMH fragment, distinct", IMH + SERVICE, True, "child", 500),
    ("IMH fragment, a search each time", IMH + SERVICE, True, "search", 300),
    ("10k full page, distinct", PATHWAY + SERVICE, False, "child", 300),
    ("10k fragment, distinct", PATHWAY + SERVICE, True, "child", 300),
    ("10k 208-entry fragment, built", PATHWAY + "?", True, "address", 100),
]


def cpu_costs(url: str, out: Path) -> dict:
    """CPU per request inside the app (bench/cpu.py): what the shared machine moves least."""
    env = {**django_env(url, PORT, out), "ALLOWED_HOSTS": "127.0.0.1,testserver"}
    log("CPU time per request, in-process")
    results = json.loads(run(PYTHON, "bench/cpu.py", json.dumps(CPU_MEASURED), env=env, quiet=True))
    for name, result in results.items():
        log(f"  {name}: {result['cpu_ms']} ms CPU, {result['wall_ms']} ms wall")
    return results


def load_test(port: int) -> dict:
    """100 clients on distinct URLs over every pathway, four fragments to one full page."""
    log(f"load test: {LOAD_CONNECTIONS} clients for {LOAD_DURATION} s on distinct URLs")
    result = wrk(
        f"http://127.0.0.1:{port}{PATHWAY}",
        LOAD_DURATION,
        LOAD_CONNECTIONS,
        "--script=bench/distinct.lua",
        *header_args(False),
        script_args=["many", "mixed"],
    )
    log(f"  {result['rps']:.0f}/s p95 {result['p95_ms']} ms, errors {result['errors']}")
    return result


def soak(url: str, out: Path) -> dict:
    """Distinct URLs for SOAK seconds at the usual concurrency, on a server of its own whose
    workers are never recycled (GUNICORN_MAX_REQUESTS=0: production's recycling every 2,000
    requests would hide a leak), with each worker's memory (RSS) every minute."""
    port = PORT + 3
    env = {**django_env(url, port, out), "GUNICORN_MAX_REQUESTS": "0"}
    log(f"soak: {SOAK} s on distinct URLs, workers not recycled")
    with Server(env, port, out / "soak-gunicorn.log") as server:
        # Each worker's memory once it has served every page once (a minute's warm-up at
        # the same traffic), then every minute of the soak.
        warm_up = min(60, SOAK)
        wrk(
            f"http://127.0.0.1:{port}{PATHWAY}",
            warm_up,
            CONNECTIONS,
            "--script=bench/distinct.lua",
            *header_args(False),
            script_args=["many", "mixed"],
        )
        pids_before = server.worker_pids()
        samples = [worker_rss(server)]
        process = subprocess.Popen(
            [
                "wrk",
                f"--threads={WRK_THREADS}",
                f"--connections={CONNECTIONS}",
                f"--duration={SOAK}s",
                f"--timeout={WRK_TIMEOUT}",
                "--script=bench/distinct.lua",
                *header_args(False),
                f"http://127.0.0.1:{port}{PATHWAY}",
                "--",
                "many",
                "mixed",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        before = load_average()
        while process.poll() is None:
            time.sleep(min(60, SOAK))
            if process.poll() is None:
                samples.append(worker_rss(server))
        output = process.stdout.read()
        samples.append(worker_rss(server))
        pids_after = server.worker_pids()
    result = json.loads(re.search(r"^BENCH (\{.*\})$", output, re.MULTILINE).group(1))
    result["errors"] = (
        sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
        + result["http_errors"]
    )
    result.update(
        load_before=before,
        load_after=load_average(),
        seconds_planned=SOAK,
        rss_start_mib=samples[0],
        rss_end_mib=samples[-1],
        rss_by_minute_mib=samples,
        workers_recycled=sorted(pids_before) != sorted(pids_after),
    )
    log(
        f"  {result['rps']:.0f}/s, errors {result['errors']}, RSS {samples[0]} -> "
        f"{samples[-1]} MiB, workers recycled: {result['workers_recycled']}"
    )
    return result


def outage_drill(database_url_for, out: Path) -> dict:
    """A second server reaches PostgreSQL through a relay that we cut and restore."""
    port = PORT + 1
    relay = Relay((PG_HOST, PG_PORT)).start()
    env = django_env(database_url_for(relay.port), port, out, workers=2)
    timings: dict[str, list] = {}

    def probe(label: str, count: int = 4) -> None:
        timings[label] = []
        for _ in range(count):
            status, _, seconds = get(port, "/pathways/infant-mental-health/")
            timings[label].append([status, round(seconds * 1000)])

    try:
        with Server(env, port, out / "outage-gunicorn.log"):
            probe("database up")
            relay.stop()
            probe("database stopped (connection refused)")
            silent = Relay((PG_HOST, PG_PORT), port=relay.port, silent=True).start()
            probe("database host silent (connect timeout)", count=2)
            silent.stop()
            relay.start()
            started = time.monotonic()
            while get(port, "/pathways/infant-mental-health/")[0] != 200:
                time.sleep(0.1)
            timings["first 200 after restart (s)"] = round(time.monotonic() - started, 2)
            probe("database back")
    finally:
        relay.stop()
    for label, value in timings.items():
        log(f"  {label}: {value}")
    return timings


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in run("lscpu", quiet=True).splitlines()
            if line.startswith("Model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    os_name = next(
        line.split("=", 1)[1].strip('"')
        for line in Path("/etc/os-release").read_text().splitlines()
        if line.startswith("PRETTY_NAME=")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": f"{os_name}, Linux {platform.release()}",
        "python": platform.python_version(),
        "postgresql": psql("SHOW server_version"),
        # wrk prints its version with the usage text and exits 1.
        "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        .stdout.splitlines()[0]
        .split(" Copyright")[0],
        "nginx": subprocess.run(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-v"], capture_output=True, text=True
        ).stderr.strip(),
    }


def summary(results: dict) -> str:
    m, rows, load, soaked = (
        results["machine"],
        results["measured"],
        results["load"],
        results["soak"],
    )
    ceiling = rows[0]["rps"]
    by_name = {row["name"]: row for row in rows}
    nginx_ceiling = by_name["trivial view via nginx"]["rps"]
    lines = [
        f"# Benchmark {results['started']}, commit {results['commit']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; {m['os']}; "
        f"Python {m['python']}; PostgreSQL {m['postgresql']}; {m['wrk']}; {m['nginx']}.",
        f"Load average before the run (other work on the machine): "
        f"{results['background_load']}; during each measurement it includes the server, "
        "PostgreSQL, nginx and wrk themselves.",
        f"Data: {results['data']}. gunicorn: {results['workers']} sync workers. "
        f"wrk: {WRK_THREADS} threads, {CONNECTIONS} connections unless shown, {ROUNDS} rounds of "
        f"{DURATION} s per URL, each after {WARM_UP} s warm-up, taken in turn; each figure is "
        "the median over the rounds. Ratios: against the trivial view straight to gunicorn, "
        "and for rows via nginx against the trivial view via the same nginx.",
        "",
        "| URL | path | clients | req/s | p50 ms | p95 ms | p99 ms | req/s vs trivial "
        "| req/s by round | p95 ms by round | 1-min load by round | errors | KB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: |",
    ]
    for row in rows:
        base = nginx_ceiling if row["via_nginx"] else ceiling
        lines.append(
            f"| {row['name']} | `{row['path']}`{' (HX-Request)' if row['htmx'] else ''} "
            f"| {row['connections']} | {row['rps']:.0f} | {row['p50_ms']:.1f} "
            f"| {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['rps'] / base:.2f} "
            f"| {', '.join(map(str, row['rounds_rps']))} "
            f"| {', '.join(map(str, row['rounds_p95']))} "
            f"| {', '.join(map(str, row['loads']))} | {row['errors']} | {row['kb']} |"
        )

    def ratio(name: str, base: float) -> str:
        return f"{by_name[name]['rps'] / base:.2f}"

    built = by_name["10k 208-entry fragment, built"]
    lines += [
        "",
        "Targets: distinct-URL full page ≥ 0.2 × trivial: IMH "
        f"{ratio('IMH full page, distinct', ceiling)}, 10k "
        f"{ratio('10k full page, distinct', ceiling)}; distinct-URL fragment ≥ 0.3 ×: IMH "
        f"{ratio('IMH fragment, distinct', ceiling)}, 10k "
        f"{ratio('10k fragment, distinct', ceiling)}; 208-entry fragment built, p95 ≤ 50 ms "
        f"with 4 clients: {built['p95_ms']:.1f} ms; repeated pages via nginx ≥ 0.8 × trivial "
        f"via nginx: full page {ratio('IMH full page, repeated, via nginx', nginx_ceiling)}, "
        f"fragment {ratio('IMH fragment, repeated, via nginx', nginx_ceiling)}, 208-entry "
        f"fragment {ratio('10k 208-entry fragment, repeated, via nginx', nginx_ceiling)}.",
        "",
        f"nginx cache status, first and second request: {results['cache_status']}",
        "",
        "CPU time and SQL queries per request in the app process (Django's test client, no "
        "HTTP server; PostgreSQL's time not included; distinct URLs):",
        "",
        "| URL | CPU ms | wall ms | queries | CPU vs trivial |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    trivial_cpu = results["cpu"]["trivial view (ceiling)"]["cpu_ms"]
    lines += [
        f"| {name} | {cost['cpu_ms']:.2f} | {cost['wall_ms']:.2f} | {cost['queries']:.2f} "
        f"| {cost['cpu_ms'] / trivial_cpu:.1f}× |"
        for name, cost in results["cpu"].items()
    ]
    for label, run_ in (("Load test", load), ("Soak", soaked)):
        lines += [
            "",
            f"{label}: {run_['connections_used']} clients, {run_['seconds']:.0f} s, distinct URLs "
            f"over every pathway (4 fragments to 1 full page): {run_['requests']} requests, "
            f"{run_['rps']:.0f} req/s, p50 {run_['p50_ms']:.1f} ms, p95 {run_['p95_ms']:.1f} ms, "
            f"p99 {run_['p99_ms']:.1f} ms, max {run_['max_ms']:.1f} ms; errors: "
            f"{run_['errors']} (connect {run_['connect_errors']}, read {run_['read_errors']}, "
            f"write {run_['write_errors']}, timeout {run_['timeouts']}, HTTP ≥ 400 "
            f"{run_['http_errors']}); load avg {run_['load_before']} → {run_['load_after']}.",
        ]
    lines += [
        f"Workers' RSS (MiB) at the soak's start: {soaked['rss_start_mib']}; at its end: "
        f"{soaked['rss_end_mib']}; every minute: {soaked['rss_by_minute_mib']}; workers "
        f"recycled during the soak: {soaked['workers_recycled']}.",
        "",
        "Outage drill (status, ms per request to the Infant Mental Health page):",
    ]
    lines += [f"- {label}: {value}" for label, value in results["outage"].items()]
    return "\n".join(lines) + "\n"


def write_results(out: Path, results: dict, text: str) -> None:
    """results.json and the summary in `out`, and the summary printed."""
    (out / "results.json").write_text(json.dumps(results, indent=2))
    (out / "summary.md").write_text(text)
    print("\n" + text)
    log(f"written to {out.relative_to(ROOT)}")


def main() -> None:
    started = datetime.now(UTC)
    # Before this script adds its own: what the rest of the machine is doing.
    background_load = load_average()
    out = ROOT / "bench" / "results" / f"{started:%Y%m%dT%H%M%SZ}"
    out.mkdir(parents=True)
    ensure_tools()
    url = build_database(out)
    data = psql(
        "SELECT (SELECT count(*) FROM pathways_pathway) || ' pathways, ' || "
        "(SELECT count(*) FROM pathways_entry) || ' entries, ' || "
        "(SELECT count(*) FROM pathways_intervention) || ' interventions'",
        database=DB,
    )
    results = {
        "started": f"{started:%Y-%m-%d %H:%M} UTC",
        "background_load": background_load,
        "data": data,
        "machine": machine(),
    }
    results["commit"] = run("git", "rev-parse", "--short", "HEAD", quiet=True).strip()
    server = Server(django_env(url, PORT, out), PORT, out / "gunicorn.log")
    with server, Nginx(PORT, out):
        results["workers"] = server.workers()
        log(f"gunicorn: {results['workers']} workers on 127.0.0.1:{PORT}; data: {data}")
        results["cache_status"] = cache_status(NGINX_PORT)
        log(f"nginx cache: {results['cache_status']}")
        results["measured"] = measure(PORT)
        results["load"] = load_test(PORT)
        results["load"]["connections_used"] = LOAD_CONNECTIONS
    results["soak"] = soak(url, out)
    results["soak"]["connections_used"] = CONNECTIONS
    results["cpu"] = cpu_costs(url, out)
    log("outage drill")
    results["outage"] = outage_drill(
        lambda port: f"postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{port}/{DB}", out
    )
    write_results(out, results, summary(results))


if __name__ == "__main__":
    main()
