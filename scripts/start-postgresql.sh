#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster if it is not running and makes sure the `pathways`
# role (password `pathways`, may create databases) and database exist. Needs root; used by
# CI (.ci/run) and the benchmark (make bench).
set -euo pipefail

if ! pg_ctlcluster 15 main status >/dev/null 2>&1; then
  pg_ctlcluster 15 main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
su postgres -c "psql -q -v ON_ERROR_STOP=1" <<'SQL'
SELECT 'CREATE ROLE pathways LOGIN CREATEDB PASSWORD ''pathways'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pathways')\gexec
SELECT 'CREATE DATABASE pathways OWNER pathways'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'pathways')\gexec
SQL
