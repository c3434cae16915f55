"""The pure parts of `make bench-phone` (bench/phone.py): statistics, reading a Lighthouse
report, naming and serving the static copy's files, and the summary. No I/O here, so
tests/bench/test_phone_results.py can check each on made-up input."""

from __future__ import annotations

import math
import re
import statistics
from urllib.parse import urlsplit

# Headers the app sends that the static copy repeats; the rest (length, date, encoding,
# validators, the cache's X-Cache-Status) are nginx's own business or differ by nature.
REPEATED_HEADERS = (
    "cache-control",
    "content-security-policy",
    "cross-origin-opener-policy",
    "permissions-policy",
    "referrer-policy",
    "service-worker-allowed",
    "x-content-type-options",
    "x-frame-options",
    "access-control-allow-origin",
)
# The file extension (so the Content-Type, in bench/nginx-copy.conf's types) of a saved
# response, by the media type the app gave it.
EXTENSIONS = {
    "text/html": "html",
    "text/javascript": "js",
    "application/javascript": "js",
    "application/json": "json",
    "application/manifest+json": "webmanifest",
    "text/css": "css",
    "text/plain": "txt",
}


def median(values: list[float]) -> float:
    return statistics.median(values)


def p90(values: list[float]) -> float:
    """The 90th percentile by the nearest-rank method: a value that was measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def copy_file_name(address: str, content_type: str) -> str:
    """Where the static copy keeps the response for `address` (a path and query): the path
    as folders, `index` for a trailing slash, the query after `__`, and the extension of its
    type unless it has it already."""
    parts = urlsplit(address)
    path = parts.path + ("index" if parts.path.endswith("/") else "")
    if parts.query:
        path += "__" + re.sub(r"[^A-Za-z0-9=&_.-]", "_", parts.query)
    extension = "." + EXTENSIONS.get(content_type.split(";")[0].strip().lower(), "txt")
    return path if path.endswith(extension) else path + extension


def repeated_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The headers of a response that the static copy sends too, names in lower case."""
    return {name.lower(): value for name, value in headers if name.lower() in REPEATED_HEADERS}


def same(value: str | None) -> str:
    """A header's value as a browser reads it: `text/css; charset="utf-8"` is
    `text/css;charset=utf-8`, and no header is an empty one."""
    return (value or "").lower().replace(" ", "").replace('"', "")


def header(headers: list[tuple[str, str]], name: str) -> str:
    """A response header's value by its name in any case, or an empty string."""
    return next((value for key, value in headers if key.lower() == name.lower()), "")


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _title(name: str) -> str:
    return "-".join(word.capitalize() for word in name.split("-"))


def _variable(name: str) -> str:
    return "$copy_h_" + name.replace("-", "_")


def copy_config(
    template: str,
    pages: dict[str, tuple[str, dict[str, str]]],
    static_headers: dict[str, str],
    root: str,
    static_root: str,
    port: int,
) -> str:
    """bench/nginx-copy.conf filled in. `pages` maps each address (path and query, as the
    browser asks for it) to its saved file and the headers to send with it; `static_headers`
    are sent with every static file (Cache-Control aside: WhiteNoise's rule is in the
    template)."""
    names = sorted({name for _, headers in pages.values() for name in headers})
    maps = ["    map $request_uri $copy_file {", '        default "";']
    maps += [f"        {_quoted(address)} {_quoted('/' + f)};" for address, (f, _) in pages.items()]
    maps.append("    }")
    for name in names:
        maps += [f"    map $request_uri {_variable(name)} {{", '        default "";']
        maps += [
            f"        {_quoted(address)} {_quoted(headers[name])};"
            for address, (_, headers) in pages.items()
            if name in headers
        ]
        maps.append("    }")
    page_headers = [
        f"            add_header {_title(name)} {_variable(name)} always;" for name in names
    ]
    static = [
        f"            add_header {_title(name)} {_quoted(value)} always;"
        for name, value in sorted(static_headers.items())
        if name != "cache-control"
    ]
    for placeholder, value in {
        "{maps}": "\n".join(maps),
        "{page_headers}": "\n".join(page_headers),
        "{static_headers}": "\n".join(static),
        "{copy_root}": root,
        "{static_root}": static_root,
        "{copy_port}": str(port),
    }.items():
        template = template.replace(placeholder, value)
    return template


def _items(report: dict, audit: str) -> list[dict]:
    details = report["audits"].get(audit, {}).get("details") or {}
    return details.get("items", [])


def lighthouse_summary(report: dict) -> dict:
    """What `make bench-phone` keeps of one Lighthouse report (its JSON output).

    Lighthouse's network records include the requests of workers it attached to, the
    service worker among them, marked `sessionTargetType`; "own" is what the page's own
    frame fetched, "all" adds the workers' background requests."""
    audits = report["audits"]
    requests = _items(report, "network-requests")
    own = [r for r in requests if r.get("sessionTargetType", "page") == "page"]
    others = [r for r in requests if r not in own]
    lcp_tables = _items(report, "largest-contentful-paint-element")
    return {
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "fcp_ms": audits["first-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "total_byte_weight": audits["total-byte-weight"]["numericValue"],
        "own_bytes": sum(r.get("transferSize", 0) for r in own),
        "all_bytes": sum(r.get("transferSize", 0) for r in requests),
        "own_requests": len(own),
        "all_requests": len(requests),
        "worker_requests": [
            {"url": r["url"], "bytes": r.get("transferSize", 0), "target": r["sessionTargetType"]}
            for r in others
        ],
        "failed_requests": [
            r["url"] for r in requests if not 200 <= (r.get("statusCode") or 0) < 400
        ],
        "largest": [
            {"url": r["url"], "bytes": r.get("transferSize", 0)}
            for r in sorted(requests, key=lambda r: -r.get("transferSize", 0))[:6]
        ],
        "render_blocking": [
            {"url": item["url"], "wasted_ms": item.get("wastedMs", 0)}
            for item in _items(report, "render-blocking-resources")
        ],
        "console_errors": [
            item.get("description", "") for item in _items(report, "errors-in-console")
        ],
        "lcp_element": next(
            (
                f"{row['node'].get('selector', '')}: {row['node'].get('nodeLabel', '')}"
                for table in lcp_tables
                for row in table.get("items", [])
                if "node" in row
            ),
            "",
        ),
        # Where the LCP's time went: TTFB, load delay, load time, render delay.
        "lcp_phases": {
            row["phase"]: row["timing"]
            for table in lcp_tables
            for row in table.get("items", [])
            if "phase" in row
        },
        "lighthouse": report.get("lighthouseVersion", "?"),
        "benchmark_index": report.get("environment", {}).get("benchmarkIndex"),
        "warnings": report.get("runWarnings", []),
    }


def path_of(url: str) -> str:
    """A URL's path and query, for tables that need no host and port."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def visit_weight(requests: list[dict]) -> dict:
    """A first visit's requests ({address, worker, bytes}) split into the page's own and the
    service worker's."""
    own = [r for r in requests if not r["worker"]]
    worker = [r for r in requests if r["worker"]]
    return {
        "own_requests": len(own),
        "own_bytes": sum(r["bytes"] for r in own),
        "worker_requests": len(worker),
        "worker_bytes": sum(r["bytes"] for r in worker),
    }
