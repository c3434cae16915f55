"""`make bench-phone`: the Infant Mental Health page as a health visitor's phone gets it.

In one run, on this machine only (127.0.0.1), in a few minutes:

1. the production stack as `make bench` starts it (bench/bench.py's helpers: PostgreSQL,
   DJANGO_ENV=production, collectstatic, gunicorn, nginx with bench/nginx.conf in front)
   serving the fixtures alone (database BENCH_PHONE_DB, rebuilt each run);
2. a static copy of the same pages: a browser opens the child's page and the pathway page
   once, every address it (and the service worker) asked the app for is saved as a file, and
   a second server block of the same nginx (bench/nginx-copy.conf) serves those files and
   the collected static files with the app's headers and compression;
3. Lighthouse (npm, pinned) with Debian's Chromium and its mobile profile (simulated slow
   4G, CPU 4x slower), against the app and the copy back to back, alternating, for
   BENCH_PHONE_ROUNDS rounds of each page: LCP, bytes, render-blocking files, console errors;
4. the htmx update in Playwright under 150 ms RTT, 1.6 Mbps and CPU 4x slower (Chrome
   DevTools Protocol): submit to painted results over many different selections.

Results go to bench/results/phone-<UTC time>/ (summary.md, results.json, every Lighthouse
report, the server log) and the summary is printed. Settings: BENCH_PHONE_DB,
BENCH_PHONE_PORT (it uses that port and the next three), BENCH_PHONE_ROUNDS (the child's
page), BENCH_PHONE_PATHWAY_ROUNDS (the pathway page).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from page_weight import ARGS as CHROME_FLAGS
from phone_results import (
    copy_config,
    copy_file_name,
    header,
    lighthouse_summary,
    median,
    p90,
    path_of,
    repeated_headers,
    same,
    visit_weight,
)

import bench as stack  # bench/bench.py: this script's folder comes first on sys.path

ROOT = stack.ROOT
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = "12.8.2"  # the last to run on Debian 12's Node 20 (13.x needs Node 22)
DB = os.environ.get("BENCH_PHONE_DB", "pathways_benchphone")
PORT = int(os.environ.get("BENCH_PHONE_PORT", "8780"))  # gunicorn
APP_PORT = PORT + 2  # nginx in front of it
COPY_PORT = PORT + 3  # nginx's static copy
CHILD = stack.IMH + "?age=10w&born_at_weeks=32"
PAGES = [("the child's page", CHILD), ("the pathway page", stack.IMH)]
# Lighthouse rounds of each page (a run takes about 25 s on the shared 2-core machine).
ROUNDS = {
    PAGES[0][0]: int(os.environ.get("BENCH_PHONE_ROUNDS", "5")),
    PAGES[1][0]: int(os.environ.get("BENCH_PHONE_PATHWAY_ROUNDS", "3")),
}
TARGETS = {"app": APP_PORT, "copy": COPY_PORT}
# WhiteNoise sends static files brotli-compressed (collectstatic made the .br files): nginx
# needs Debian's module to send those same files.
BROTLI = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so"
# The htmx update's profile: 150 ms round trip, 1.6 Mbps each way, CPU 4x slower.
NETWORK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 200_000,
    "uploadThroughput": 200_000,
}
CPU_SLOWDOWN = 4
# Different practitioners asking different things, each asked once: a filled form
# ({field: text}, then Enter) or a box of the filters ticked or unticked (name, position).
SELECTIONS = [
    {"#id_age": "10 weeks", "#id_born_at_weeks": "32"},
    {"#id_age": "6 months", "#id_born_at_weeks": ""},
    ("service", 0),
    {"#id_age": "2 years 3 months"},
    ("service", 0),
    {"#id_age": "8w", "#id_born_at_weeks": "28"},
    ("stage", 0),
    {"#id_age": "1y"},
    ("stage", 0),
    {"#id_age": "18 months", "#id_born_at_weeks": "35"},
    ("tag", 0),
    {"#id_age": "3 months", "#id_born_at_weeks": ""},
    ("tag", 0),
    {"#id_age": "4y"},
    ("service", 1),
    {"#id_age": "9 months"},
]
# In the page: from the key or click that submits to the results painted (htmx:afterSettle,
# then the frame after it), with htmx's request in between and the fragment's resource timing.
TIMING_SCRIPT = """() => {
  const bench = (window.__bench = { runs: [] });
  const start = () => { bench.current = { submit: performance.now() }; };
  document.addEventListener("keydown", (e) => { if (e.key === "Enter") start(); }, true);
  document.addEventListener("click", (e) => {
    if (e.target.matches && e.target.matches("input[type=checkbox]")) start();
  }, true);
  const mark = (name) => () => { if (bench.current) bench.current[name] ??= performance.now(); };
  document.addEventListener("htmx:beforeRequest", mark("request"));
  document.addEventListener("htmx:afterRequest", mark("response"));
  document.addEventListener("htmx:afterSettle", () => {
    const run = bench.current;
    if (!run || run.settled) return;
    run.settled = performance.now();
    requestAnimationFrame(() => setTimeout(() => {
      run.painted = performance.now();
      const xhr = performance.getEntriesByType("resource")
        .filter((entry) => entry.initiatorType === "xmlhttprequest").pop();
      Object.assign(run, xhr ? {
        url: xhr.name, bytes: xhr.transferSize,
        waiting: xhr.responseStart - xhr.requestStart,
        download: xhr.responseEnd - xhr.responseStart,
      } : {});
      bench.runs.push(run);
      bench.current = null;
    }, 0));
  });
}"""

# Waits for the count'th update to be painted (the CSP forbids wait_for_function's eval).
WAIT_SCRIPT = """(count) => new Promise((resolve, reject) => {
  const given = performance.now();
  const check = () => {
    if (window.__bench.runs.length > count) resolve();
    else if (performance.now() - given > 60000) reject(new Error("no update in 60 s"));
    else setTimeout(check, 10);
  };
  check();
})"""


def log(message: str) -> None:
    print(f"[bench-phone {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def ensure_tools() -> None:
    """What bench.py needs (nginx, PostgreSQL), then Node's npx and Debian's Chromium."""
    stack.ensure_tools()
    wanted = {"npx": "npm", "chromium": "chromium", BROTLI: "libnginx-mod-http-brotli-static"}
    there = {tool for tool in wanted if shutil.which(tool) or Path(tool).exists()}
    missing = [name for tool, name in wanted.items() if tool not in there]
    if missing:
        log(f"installing {', '.join(missing)} (apt)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True)


def fetch(port: int, address: str, headers: dict | None = None):
    """One GET as a browser would send it through nginx: (status, headers, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", address, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS)


def first_visits(base: str) -> dict[str, dict]:
    """Every request on the app that a first visit to each page makes, in a browser of its
    own, with the service worker's (it saves pages and static files as it installs) marked,
    the console's errors and the manifests the page links: {page: {requests: [{address,
    worker, bytes}], console_errors, manifests}}, bytes as transferred, headers included."""
    from playwright.sync_api import sync_playwright

    visits = {}
    with sync_playwright() as playwright:
        chromium = browser(playwright)
        for name, address in PAGES:
            context = chromium.new_context()
            finished, errors = [], []
            context.on("requestfinished", lambda request, into=finished: into.append(request))
            page = context.new_page()
            page.on(
                "console",
                lambda message, into=errors: message.type == "error" and into.append(message.text),
            )
            page.on("pageerror", lambda error, into=errors: into.append(str(error)))
            page.goto(base + address, wait_until="networkidle")
            page.evaluate("navigator.serviceWorker.ready.then(() => true)")
            page.wait_for_load_state("networkidle")
            # Chromium fetches the web app manifest only when something asks for it, as
            # Lighthouse does: the copy needs it too.
            manifests = page.eval_on_selector_all(
                "link[rel=manifest]", "(links) => links.map((link) => link.href)"
            )
            requests = [
                {
                    "address": path_of(request.url),
                    "worker": request.service_worker is not None,
                    "bytes": sum(
                        max(0, request.sizes()[key])
                        for key in ("responseBodySize", "responseHeadersSize")
                    ),
                }
                for request in finished
                if request.url.startswith(base)
            ]
            visits[name] = {
                "requests": requests,
                "console_errors": errors,
                "manifests": [path_of(url) for url in manifests if url.startswith(base)],
            }
            context.close()
        chromium.close()
    return visits


def copy_the_pages(out: Path) -> dict:
    """Saves what the app answered at every address a visit asks for (static files aside:
    the copy serves the collected ones) and returns the copy's nginx server block."""
    root = out / "copy"
    root.mkdir()
    visits = first_visits(f"http://127.0.0.1:{APP_PORT}")
    asked = sorted(
        {request["address"] for visit in visits.values() for request in visit["requests"]}
        | {address for visit in visits.values() for address in visit["manifests"]}
    )
    pages, static_headers, skipped = {}, {}, []
    for address in asked:
        status, headers, body = fetch(APP_PORT, address)
        if status != 200:
            skipped.append(f"{address} ({status})")
        elif address.startswith("/static/"):
            static_headers = static_headers or repeated_headers(headers)
        else:
            name = copy_file_name(address, header(headers, "Content-Type"))
            (root / name.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (root / name.lstrip("/")).write_bytes(body)
            pages[address] = (name.lstrip("/"), repeated_headers(headers))
    log(f"static copy: {len(pages)} pages saved, {len(asked) - len(pages)} static files")
    block = copy_config(
        (ROOT / "bench" / "nginx-copy.conf").read_text(),
        pages,
        static_headers,
        str(root),
        str(ROOT / "staticfiles"),
        COPY_PORT,
    )
    return {
        "asked": asked,
        "pages": sorted(pages),
        "skipped": skipped,
        "visits": visits,
        "block": block,
    }


def compare_copy(asked: list[str]) -> list[str]:
    """Where the copy's answer differs from the app's in what matters to a browser."""
    differences = []
    accept = {"Accept-Encoding": "gzip, deflate, br"}
    for address in asked:
        answers = [fetch(port, address, accept) for port in (APP_PORT, COPY_PORT)]
        (app_status, app_headers, _), (copy_status, copy_headers, _) = answers
        if app_status != copy_status:
            differences.append(f"{address}: status {app_status} vs {copy_status}")
            continue
        for name in ("Content-Type", "Content-Encoding", "Cache-Control"):
            app, copy = header(app_headers, name), header(copy_headers, name)
            if same(app) != same(copy):
                differences.append(f"{address}: {name} {app!r} vs {copy!r}")
    return differences


def lighthouse(url: str, report_path: Path) -> dict:
    command = [
        "npx",
        "--yes",
        f"lighthouse@{LIGHTHOUSE}",
        url,
        "--output=json",
        f"--output-path={report_path}",
        "--only-categories=performance,best-practices",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(command, cwd=ROOT, env=env, check=True, timeout=300, capture_output=True)
    return lighthouse_summary(json.loads(report_path.read_text()))


def lighthouse_rounds(out: Path) -> dict:
    """Each page against the app and the copy back to back, the order swapped each round."""
    folder = out / "lighthouse"
    folder.mkdir()
    runs: dict[str, dict[str, list[dict]]] = {
        name: {target: [] for target in TARGETS} for name, _ in PAGES
    }
    for number in range(1, max(ROUNDS.values()) + 1):
        for index, (name, address) in enumerate(PAGES):
            if number > ROUNDS[name]:
                continue
            order = list(TARGETS) if number % 2 else list(reversed(TARGETS))
            for target in order:
                url = f"http://127.0.0.1:{TARGETS[target]}{address}"
                report = folder / f"{number}-{index}-{target}.json"
                result = lighthouse(url, report)
                result["load"] = stack.load_average()
                runs[name][target].append(result)
                log(
                    f"round {number}/{ROUNDS[name]}, {name}, {target}: "
                    f"LCP {result['lcp_ms']:.0f} ms, "
                    f"{result['own_bytes'] / 1024:.1f} KB, "
                    f"{len(result['console_errors'])} console errors"
                )
    return runs


def tick(page, name: str, position: int) -> None:
    box = page.locator(f"input[type=checkbox][name={name}]").nth(position)
    # A box in a closed <details> is opened first, outside the time measured.
    box.evaluate("(box) => { const d = box.closest('details'); if (d) d.open = true; }")
    box.click()


def htmx_updates() -> list[dict]:
    """Submit to painted results for each of SELECTIONS, under the profile, in Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = browser(playwright)
        context = chromium.new_context(viewport={"width": 375, "height": 812})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(f"http://127.0.0.1:{APP_PORT}{stack.IMH}", wait_until="networkidle")
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_load_state("networkidle")
        page.evaluate(TIMING_SCRIPT)
        for count, selection in enumerate(SELECTIONS):
            if isinstance(selection, dict):
                for field, text in selection.items():
                    page.fill(field, text)
                page.press(next(iter(selection)), "Enter")
            else:
                tick(page, *selection)
            page.evaluate(WAIT_SCRIPT, count)
        runs = page.evaluate("window.__bench.runs")
        chromium.close()
    return [
        {
            "address": path_of(run.get("url", "")),
            "total_ms": run["painted"] - run["submit"],
            "before_request_ms": run["request"] - run["submit"],
            "request_ms": run["response"] - run["request"],
            "swap_paint_ms": run["painted"] - run["response"],
            "waiting_ms": run.get("waiting"),
            "download_ms": run.get("download"),
            "bytes": run.get("bytes"),
        }
        for run in runs
    ]


def tool_versions() -> dict:
    versions = {
        "lighthouse": LIGHTHOUSE,
        "chromium": subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True
        ).stdout.strip(),
        "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout,
    }
    from importlib.metadata import version

    versions["playwright"] = version("playwright")
    versions["node"] = versions["node"].strip()
    return versions


def summarise_lighthouse(runs: dict) -> dict:
    pages = {}
    for name, targets in runs.items():
        app, copy = targets["app"], targets["copy"]
        pages[name] = {
            target: {
                "lcp_ms": median([r["lcp_ms"] for r in results]),
                "lcp_by_round": [round(r["lcp_ms"]) for r in results],
                "fcp_ms": median([r["fcp_ms"] for r in results]),
                "total_byte_weight": median([r["total_byte_weight"] for r in results]),
                "own_bytes": median([r["own_bytes"] for r in results]),
                "all_bytes": median([r["all_bytes"] for r in results]),
                "own_requests": median([r["own_requests"] for r in results]),
                "all_requests": median([r["all_requests"] for r in results]),
                "render_blocking": results[-1]["render_blocking"],
                "console_errors": results[-1]["console_errors"],
                "worker_requests": results[-1]["worker_requests"],
                "failed_requests": results[-1]["failed_requests"],
                "largest": results[-1]["largest"],
                "lcp_element": results[-1]["lcp_element"],
                "lcp_phases": {
                    phase: median([r["lcp_phases"].get(phase, 0) for r in results])
                    for phase in results[-1]["lcp_phases"]
                },
            }
            for target, results in targets.items()
        }
        pages[name]["ratio"] = median([r["lcp_ms"] for r in app]) / median(
            [r["lcp_ms"] for r in copy]
        )
    return pages


def summarise_htmx(updates: list[dict]) -> dict:
    keys = ("total_ms", "before_request_ms", "request_ms", "swap_paint_ms", "waiting_ms")
    keys += ("download_ms", "bytes")
    return {
        key: {
            "median": median([u[key] for u in updates if u[key] is not None]),
            "p90": p90([u[key] for u in updates if u[key] is not None]),
        }
        for key in keys
    }


def kb(value: float) -> str:
    return f"{value / 1024:.1f}"


def summary(results: dict) -> str:
    versions, pages, htmx = results["versions"], results["pages"], results["htmx"]
    lines = [
        f"# On a health visitor's phone: {results['started']}, commit {results['commit']}",
        "",
        f"Lighthouse {versions['lighthouse']} (mobile: simulated slow 4G, CPU 4x), "
        f"{versions['chromium']}, Node {versions['node']}, Playwright {versions['playwright']}; "
        f"rounds {ROUNDS}, app and static copy back to back, alternating. Load average before: "
        f"{results['background_load']}; Lighthouse's benchmark index by run: "
        f"{results['benchmark_index']}.",
        "",
        "| page | LCP app ms | LCP copy ms | app / copy | LCP app by round "
        "| LCP copy by round | KB app (own / with SW) | KB copy (own / with SW) "
        "| requests app (own / all) | console errors app / copy |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, page in pages.items():
        app, copy = page["app"], page["copy"]
        lines.append(
            f"| {name} | {app['lcp_ms']:.0f} | {copy['lcp_ms']:.0f} | {page['ratio']:.2f} "
            f"| {', '.join(map(str, app['lcp_by_round']))} "
            f"| {', '.join(map(str, copy['lcp_by_round']))} "
            f"| {kb(app['own_bytes'])} / {kb(app['all_bytes'])} "
            f"| {kb(copy['own_bytes'])} / {kb(copy['all_bytes'])} "
            f"| {app['own_requests']:.0f} / {app['all_requests']:.0f} "
            f"| {len(app['console_errors'])} / {len(copy['console_errors'])} |"
        )
    lines += [
        "",
        "Where the LCP's time goes (Lighthouse's phases, medians, ms):",
        "",
        "| page | server | TTFB | load delay | load time | render delay |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, page in pages.items():
        for target in TARGETS:
            phases = page[target]["lcp_phases"]
            lines.append(
                f"| {name} | {target} | "
                + " | ".join(f"{timing:.0f}" for timing in phases.values())
                + " |"
            )
    child = pages[PAGES[0][0]]["app"]
    lines += [
        "",
        "Render-blocking (the child's page, app): "
        + (
            ", ".join(
                f"{path_of(item['url'])} ({item['wasted_ms']:.0f} ms)"
                for item in child["render_blocking"]
            )
            or "none"
        ),
        "Console errors (the child's page, app), Lighthouse's: "
        + ("; ".join(child["console_errors"]) or "none")
        + "; Playwright's, on a first visit: "
        + ("; ".join(results["first_visit"][PAGES[0][0]]["console_errors"]) or "none"),
        f"The LCP element (the child's page, app): `{child['lcp_element']}`.",
        "The largest transfers (the child's page, app), KB: "
        + ", ".join(f"{path_of(r['url'])} {kb(r['bytes'])}" for r in child["largest"])
        + ".",
        f"The service worker's requests in Lighthouse's records (the child's page, app): "
        f"{len(child['worker_requests'])}. A first visit in Playwright (no throttling), "
        "the page's own and the service worker's: "
        + "; ".join(
            f"{name} {v['own_requests']} requests, {kb(v['own_bytes'])} KB, and "
            f"{v['worker_requests']} requests, {kb(v['worker_bytes'])} KB"
            for name, v in results["first_visit"].items()
        )
        + ".",
        f"Where the copy differs from the app: {results['copy_differences'] or 'nowhere'}.",
        "",
        f"htmx update ({len(results['updates'])} different selections, 150 ms RTT, 1.6 Mbps, "
        f"CPU 4x; load average before: {results['htmx_load_before']}):",
        "",
        "| ms | submit to painted | submit to request | request | swap and paint "
        "| waiting (TTFB) | download | fragment bytes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for statistic in ("median", "p90"):
        lines.append(
            f"| {statistic} | "
            + " | ".join(
                f"{htmx[key][statistic]:.0f}"
                for key in (
                    "total_ms",
                    "before_request_ms",
                    "request_ms",
                    "swap_paint_ms",
                    "waiting_ms",
                    "download_ms",
                    "bytes",
                )
            )
            + " |"
        )
    own = child["own_bytes"]
    worker = results["first_visit"][PAGES[0][0]]["worker_bytes"]
    lines += [
        "",
        f"Targets: the child's page LCP ≤ 1.15x the copy: {pages[PAGES[0][0]]['ratio']:.2f}x; "
        f"htmx update ≤ 400 ms: median {htmx['total_ms']['median']:.0f} ms; the child's page "
        f"≤ 60 KB in all: {kb(own)} KB its own (Lighthouse), {kb(own + worker)} KB with the "
        f"service worker's saving; 0 console errors: {len(child['console_errors'])}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    started = datetime.now(UTC)
    background_load = stack.load_average()
    out = ROOT / "bench" / "results" / f"phone-{started:%Y%m%dT%H%M%SZ}"
    out.mkdir(parents=True)
    ensure_tools()
    url = stack.build_database(out, database=DB, grown=False)
    results = {
        "started": f"{started:%Y-%m-%d %H:%M} UTC",
        "background_load": background_load,
        "commit": stack.run("git", "rev-parse", "--short", "HEAD", quiet=True).strip(),
        "versions": tool_versions(),
    }
    env = stack.django_env(url, PORT, out)
    with stack.Server(env, PORT, out / "gunicorn.log"):
        # The copy's server block needs the copy's headers, so nginx starts twice: once to
        # make the copy through the app's server, then with both servers.
        (out / "making-the-copy").mkdir()
        with stack.Nginx(PORT, out / "making-the-copy", port=APP_PORT):
            copy = copy_the_pages(out)
        with stack.Nginx(PORT, out, APP_PORT, copy.pop("block"), modules=(BROTLI,)):
            results["copy"] = copy
            results["copy_differences"] = compare_copy(copy["asked"])
            log(f"copy differs: {results['copy_differences'] or 'nowhere'}")
            runs = lighthouse_rounds(out)
            log("htmx updates under 150 ms RTT, 1.6 Mbps, CPU 4x")
            results["htmx_load_before"] = stack.load_average()
            results["updates"] = htmx_updates()
    results["lighthouse"] = runs
    results["pages"] = summarise_lighthouse(runs)
    results["benchmark_index"] = [
        round(run["benchmark_index"] or 0)
        for targets in runs.values()
        for target in targets.values()
        for run in target
    ]
    results["first_visit"] = {
        name: {**visit_weight(visit["requests"]), "console_errors": visit["console_errors"]}
        for name, visit in results["copy"]["visits"].items()
    }
    results["htmx"] = summarise_htmx(results["updates"])
    stack.write_results(out, results, summary(results))


if __name__ == "__main__":
    main()
