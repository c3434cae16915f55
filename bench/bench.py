"""`make bench`: how fast the production stack is at scale, against the ceiling of the stack.

In one run, on this machine only (127.0.0.1):

1. builds a dedicated PostgreSQL database (BENCH_DB, dropped and rebuilt each run) with the
   real fixtures grown to 50 pathways and 10,000 entries (bench/generate.py, fixed seed);
2. serves it with gunicorn and the production settings (DEBUG off, config/gunicorn.conf.py),
   requests arriving as if from the TLS-terminating load balancer (X-Forwarded-Proto);
3. measures requests/s and latency with wrk for a trivial Django view (the ceiling), the
   htmx fragment of a filtered view (as served, and built afresh every time), the same page
   in full, and a whole unfiltered page, in rounds taken in turn;
4. load test: 100 concurrent clients for 60 s over a mix of filter URLs, counting errors;
5. outage drill: a second gunicorn reaches PostgreSQL through a relay that is cut, made
   silent and restored, to time the 503 page and the recovery.

Results go to bench/results/<UTC time>/ (summary.md, results.json, the server log) and the
summary is printed. The machine is shared, so every measurement records the load average.
Settings: BENCH_DB, BENCH_PORT, BENCH_DURATION (seconds per URL and round), BENCH_ROUNDS,
BENCH_CONNECTIONS, BENCH_LOAD_CONNECTIONS, BENCH_LOAD_DURATION, WEB_CONCURRENCY (workers).
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import random
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

PATHWAY = "/pathways/bench-pathway-25/"
FILTER = "?stage=1-3-years&service=health-visiting"
# (name, path, htmx?, wrk script, connections or None for CONNECTIONS, text the response
# must contain). The fragment is measured as served (repeated requests come from the few
# seconds' cache, pathways.operations.caching) and built afresh every time
# (bench/uncached.lua), on a busy server and for one client alone: what a practitioner
# waits for a new combination.
MEASURED = [
    ("trivial view (ceiling)", "/bench/trivial", False, "report", None, "ok"),
    ("htmx fragment, filtered", PATHWAY + FILTER, True, "report", None, '<div id="results"'),
    ("htmx fragment, filtered, uncached", PATHWAY + FILTER, True, "uncached", None, "<div"),
    ("same, uncached, one client", PATHWAY + FILTER, True, "uncached", 1, "<div"),
    ("full page, same filter", PATHWAY + FILTER, False, "report", None, "<html"),
    ("full page, unfiltered", PATHWAY, False, "report", None, "<html"),
]
# Other people's work shares the machine: each URL is measured in several rounds, taken in
# turn, and each figure reported is its median over the rounds.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
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
    if shutil.which("wrk") is None:
        log("installing wrk (apt)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
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
        # Each server its own fragment cache, away from `make serve`'s.
        "FRAGMENT_CACHE_DIR": str(out / f"fragments-{port}"),
    }
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    return env


def build_database(out: Path) -> str:
    url = f"postgres://{PG_USER}:{PG_PASSWORD}@{PG_HOST}:{PG_PORT}/{DB}"
    log(f"database {DB}: rebuilding")
    psql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{DB}"')
    env = django_env(url, PORT, out)
    run(PYTHON, "manage.py", "migrate", "--no-input", "-v0", env=env)
    run(PYTHON, "manage.py", "loaddata", *sorted(map(str, ROOT.glob("fixtures/*.json"))), env=env)
    run(PYTHON, "bench/generate.py", "--pathways", "50", "--entries", "10000", env=env)
    # Fresh tables have no statistics until autovacuum gets to them; production's have.
    psql("SET client_min_messages = error; ANALYZE", database=DB)
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
                if get(self.port, "/bench/trivial", timeout=2)[0] == 200:
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

    def workers(self) -> int:
        return int(self.env.get("WEB_CONCURRENCY") or 2 * os.cpu_count())


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
    for name, path, htmx, _, _, expected in MEASURED:
        status, body, _ = get(port, path, HTMX if htmx else None)
        if status != 200 or expected not in body:
            raise RuntimeError(f"{path} answered {status} without {expected!r}")
        rounds[name] = []
    for number in range(1, ROUNDS + 1):
        for name, path, htmx, script, connections, _ in MEASURED:
            url = f"http://127.0.0.1:{port}{path}"
            args = [f"--script=bench/{script}.lua", *header_args(htmx)]
            connections = connections or CONNECTIONS
            threads = min(WRK_THREADS, connections)
            wrk(url, WARM_UP, connections, *args, threads=threads)
            log(f"round {number}/{ROUNDS}: {name}, {DURATION} s, {connections} connections")
            result = wrk(url, DURATION, connections, *args, threads=threads)
            log(f"  {result['rps']:.0f}/s p50 {result['p50_ms']} ms p95 {result['p95_ms']} ms")
            result["connections"] = connections
            rounds[name].append(result)
    rows = []
    for name, path, htmx, _, _, _ in MEASURED:
        results = rounds[name]
        status, body, _ = get(port, path, HTMX if htmx else None)
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
            connections=results[0]["connections"],
            kb=round(len(body.encode()) / 1024, 1),
            rounds_rps=[round(result["rps"]) for result in results],
            rounds_p95=[round(result["p95_ms"]) for result in results],
            loads=[float(result["load_before"].split()[0]) for result in results],
            errors=sum(result["errors"] for result in results),
        )
        rows.append(row)
    return rows


# (name, path, htmx?, a unique parameter per request?, requests) for bench/cpu.py.
CPU_MEASURED = [
    ("trivial view (ceiling)", "/bench/trivial", False, False, 1000),
    ("htmx fragment, filtered", PATHWAY + FILTER, True, False, 1000),
    ("htmx fragment, filtered, uncached", PATHWAY + FILTER, True, True, 200),
    ("full page, same filter", PATHWAY + FILTER, False, False, 200),
    ("full page, unfiltered", PATHWAY, False, False, 50),
]


def cpu_costs(url: str, out: Path) -> dict:
    """CPU per request inside the app (bench/cpu.py): what the shared machine moves least."""
    env = {**django_env(url, PORT, out), "ALLOWED_HOSTS": "127.0.0.1,testserver"}
    log("CPU time per request, in-process")
    results = json.loads(run(PYTHON, "bench/cpu.py", json.dumps(CPU_MEASURED), env=env, quiet=True))
    for name, result in results.items():
        log(f"  {name}: {result['cpu_ms']} ms CPU, {result['wall_ms']} ms wall")
    return results


def mixed_urls(path: Path) -> list[str]:
    """Filter URLs over many pathways, as shared links and filter clicks would make them."""
    rng = random.Random(6)
    stages = ["birth-6-weeks", "8-weeks-6-months", "6-12-months", "1-3-years", "3-5-years"]
    services = ["health-visiting", "childrens-centres-eyfs", "primary-care-gp"]
    tags = ["core-purpose-2", "targeted-support"]
    ages = ["10d", "6w", "10w", "3m", "7m", "1y", "1y6m", "2y", "4y"]
    words = ["sleep", "feeding", "attachment", "mood", "play", "massage"]
    pathways = [f"bench-pathway-{n:02d}" for n in range(1, 49)] + ["infant-mental-health"]
    lines = []
    for _ in range(300):
        params = []
        for _ in range(rng.randint(1, 2)):
            params.append(f"stage={rng.choice(stages)}")
        if rng.random() < 0.6:
            params.append(f"service={rng.choice(services)}")
        if rng.random() < 0.3:
            params.append(f"tag={rng.choice(tags)}")
        if rng.random() < 0.25:
            params = [f"age={rng.choice(ages)}"]
        if rng.random() < 0.2:
            params.append(f"q={rng.choice(words)}")
        kind = "fragment" if rng.random() < 0.8 else "page"
        lines.append(f"{kind} /pathways/{rng.choice(pathways)}/?{'&'.join(params)}")
    path.write_text("\n".join(lines) + "\n")
    return lines


def load_test(port: int, out: Path) -> dict:
    urls_file = out / "mixed-urls.txt"
    lines = mixed_urls(urls_file)
    for line in lines:  # every URL works before we count errors under load
        kind, path = line.split()
        status, _, _ = get(port, path, HTMX if kind == "fragment" else None)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    log(f"load test: {LOAD_CONNECTIONS} clients for {LOAD_DURATION} s over {len(lines)} URLs")
    result = wrk(
        f"http://127.0.0.1:{port}",
        LOAD_DURATION,
        LOAD_CONNECTIONS,
        "--script=bench/mixed.lua",
        script_args=[str(urls_file)],
    )
    fragments = sum(1 for line in lines if line.startswith("fragment"))
    result.update(urls=len(lines), fragment_share=round(fragments / len(lines), 2))
    log(f"  {result['rps']:.0f}/s p95 {result['p95_ms']} ms, errors {result['errors']}")
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
    }


def summary(results: dict) -> str:
    m, rows, load = results["machine"], results["measured"], results["load"]
    ceiling = rows[0]["rps"]
    lines = [
        f"# Benchmark {results['started']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; {m['os']}; "
        f"Python {m['python']}; PostgreSQL {m['postgresql']}; {m['wrk']}.",
        f"Load average before the run (other work on the machine): "
        f"{results['background_load']}; during each measurement it includes the server, "
        "PostgreSQL and wrk themselves.",
        f"Data: {results['data']}. gunicorn: {results['workers']} sync workers. "
        f"wrk: {WRK_THREADS} threads, {CONNECTIONS} connections unless shown, {ROUNDS} rounds of "
        f"{DURATION} s per URL, each after {WARM_UP} s warm-up, taken in turn; each figure is "
        "the median over the rounds.",
        "",
        "| URL | path | clients | req/s | p50 ms | p95 ms | p99 ms | req/s vs trivial "
        "| req/s by round | p95 ms by round | 1-min load by round | errors | KB |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['name']} | `{row['path']}`{' (HX-Request)' if row['htmx'] else ''} "
            f"| {row['connections']} | {row['rps']:.0f} | {row['p50_ms']:.1f} "
            f"| {row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['rps'] / ceiling:.2f} "
            f"| {', '.join(map(str, row['rounds_rps']))} "
            f"| {', '.join(map(str, row['rounds_p95']))} "
            f"| {', '.join(map(str, row['loads']))} | {row['errors']} | {row['kb']} |"
        )
    fragment, uncached, alone = rows[1], rows[2], rows[3]
    lines += [
        "",
        f"Targets: fragment req/s ≥ 0.5 × trivial: {fragment['rps'] / ceiling:.2f} "
        f"({'met' if fragment['rps'] >= ceiling / 2 else 'NOT met'}); fragment p95 < 50 ms: "
        f"{fragment['p95_ms']:.1f} ms ({'met' if fragment['p95_ms'] < 50 else 'NOT met'}). "
        f"Built afresh: {uncached['rps'] / ceiling:.2f} of the trivial view's req/s, p95 "
        f"{uncached['p95_ms']:.1f} ms on a busy server, {alone['p95_ms']:.1f} ms for one client.",
        "",
        "CPU time per request in the app process (Django's test client, no HTTP server; "
        "PostgreSQL's time not included), which other work on the machine barely moves:",
        "",
        "| URL | CPU ms | wall ms | CPU vs trivial |",
        "| --- | ---: | ---: | ---: |",
    ]
    trivial_cpu = results["cpu"]["trivial view (ceiling)"]["cpu_ms"]
    lines += [
        f"| {name} | {cost['cpu_ms']:.2f} | {cost['wall_ms']:.2f} "
        f"| {cost['cpu_ms'] / trivial_cpu:.1f}× |"
        for name, cost in results["cpu"].items()
    ]
    lines += [
        "",
        f"Load test: {LOAD_CONNECTIONS} clients, {LOAD_DURATION} s, {load['urls']} URLs "
        f"({load['fragment_share']:.0%} htmx fragments): {load['requests']} requests, "
        f"{load['rps']:.0f} req/s, p50 {load['p50_ms']:.1f} ms, p95 {load['p95_ms']:.1f} ms, "
        f"p99 {load['p99_ms']:.1f} ms, max {load['max_ms']:.1f} ms; errors: "
        f"{load['errors']} (connect {load['connect_errors']}, read {load['read_errors']}, "
        f"write {load['write_errors']}, timeout {load['timeouts']}, HTTP ≥ 400 "
        f"{load['http_errors']}); load avg {load['load_before']} → {load['load_after']}.",
        "",
        "Outage drill (status, ms per request to the Infant Mental Health page):",
    ]
    lines += [f"- {label}: {value}" for label, value in results["outage"].items()]
    return "\n".join(lines) + "\n"


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
    server = Server(django_env(url, PORT, out), PORT, out / "gunicorn.log")
    with server:
        results["workers"] = server.workers()
        log(f"gunicorn: {results['workers']} workers on 127.0.0.1:{PORT}; data: {data}")
        results["measured"] = measure(PORT)
        results["load"] = load_test(PORT, out)
    results["cpu"] = cpu_costs(url, out)
    log("outage drill")
    results["outage"] = outage_drill(
        lambda port: f"postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{port}/{DB}", out
    )
    (out / "results.json").write_text(json.dumps(results, indent=2))
    text = summary(results)
    (out / "summary.md").write_text(text)
    print("\n" + text)
    log(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
