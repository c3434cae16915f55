"""The pure parts of `make bench-phone` (bench/phone_results.py): the statistics it reports,
how it reads a Lighthouse report, and how it names and serves the static copy's files."""

from bench.phone_results import (
    copy_config,
    copy_file_name,
    header,
    lighthouse_summary,
    p90,
    repeated_headers,
    same,
    visit_weight,
)


def test_p90_is_a_measured_value_by_nearest_rank():
    assert p90([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]) == 9
    assert p90([300, 100]) == 300
    assert p90([42]) == 42
    # 16 updates: the 15th slowest (ceil(14.4)), not an interpolation.
    assert p90(list(range(1, 17))) == 15


def test_copy_file_names_keep_apart_what_the_browser_asks_apart():
    page = "text/html; charset=utf-8"
    assert copy_file_name("/", page) == "/index.html"
    assert copy_file_name("/pathways/imh/", page) == "/pathways/imh/index.html"
    child = copy_file_name("/pathways/imh/?age=10w&born_at_weeks=32", page)
    assert child == "/pathways/imh/index__age=10w&born_at_weeks=32.html"
    # A query cannot climb out of its folder or make a path of its own.
    assert copy_file_name("/p/?q=../a b", page) == "/p/index__q=.._a_b.html"
    assert copy_file_name("/service-worker.js", "text/javascript") == "/service-worker.js"
    manifest = copy_file_name("/manifest.webmanifest", "application/manifest+json")
    assert manifest == "/manifest.webmanifest"
    assert copy_file_name("/robots", "application/octet-stream") == "/robots.txt"


def test_the_copy_repeats_the_apps_policies_not_its_transport_headers():
    headers = [
        ("Content-Security-Policy", "default-src 'self'"),
        ("Cache-Control", "public, max-age=30"),
        ("Content-Length", "123"),
        ("Content-Encoding", "gzip"),
        ("X-Cache-Status", "HIT"),
        ("ETag", '"abc"'),
    ]
    assert repeated_headers(headers) == {
        "content-security-policy": "default-src 'self'",
        "cache-control": "public, max-age=30",
    }
    assert header(headers, "content-encoding") == "gzip"
    assert header(headers, "Vary") == ""


def test_header_values_compare_as_a_browser_reads_them():
    assert same('text/css; charset="utf-8"') == same("text/css;charset=UTF-8")
    assert same(None) == same("")
    assert same("gzip") != same("br")


def test_the_copys_server_block_maps_each_address_to_its_file_and_headers():
    template = "{maps}\n|{copy_port}|{copy_root}|{static_root}|\n{static_headers}\n{page_headers}"
    pages = {
        "/": ("index.html", {"cache-control": "public", "x-frame-options": "DENY"}),
        "/sw.js": ("sw.js", {"cache-control": 'no-cache, "quoted"'}),
    }
    static = {"cache-control": "max-age=60", "access-control-allow-origin": "*"}
    config = copy_config(template, pages, static, "/copy", "/static", 8783)
    assert '"/" "/index.html";' in config
    assert '"/sw.js" "/sw.js";' in config
    assert "|8783|/copy|/static|" in config
    # One map per header, an address without it gets none (nginx omits an empty header).
    assert "map $request_uri $copy_h_x_frame_options {" in config
    assert '"/sw.js" "no-cache, \\"quoted\\"";' in config
    assert "add_header X-Frame-Options $copy_h_x_frame_options always;" in config
    assert 'add_header Access-Control-Allow-Origin "*" always;' in config
    # The static files' Cache-Control is WhiteNoise's rule in the template, not one value.
    assert '"max-age=60"' not in config
    assert "{" + "maps}" not in config


def report(requests, blocking=(), errors=(), lcp=2400.0):
    audit = {"numericValue": 0}
    return {
        "lighthouseVersion": "12.8.2",
        "environment": {"benchmarkIndex": 1900},
        "runWarnings": [],
        "audits": {
            "largest-contentful-paint": {"numericValue": lcp},
            "first-contentful-paint": {"numericValue": 1500.0},
            "total-blocking-time": audit,
            "total-byte-weight": {"numericValue": sum(r["transferSize"] for r in requests)},
            "network-requests": {"details": {"items": requests}},
            "render-blocking-resources": {"details": {"items": list(blocking)}},
            "errors-in-console": {"details": {"items": list(errors)}},
            "largest-contentful-paint-element": {
                "details": {
                    "items": [
                        {"items": [{"node": {"selector": "p.count", "nodeLabel": "Showing"}}]},
                        {
                            "items": [
                                {"phase": "TTFB", "timing": 500.0},
                                {"phase": "Render Delay", "timing": 1900.0},
                            ]
                        },
                    ]
                }
            },
        },
    }


def test_a_lighthouse_report_is_split_into_the_pages_own_and_its_workers():
    requests = [
        {
            "url": "http://h/p/",
            "sessionTargetType": "page",
            "transferSize": 10_000,
            "statusCode": 200,
        },
        {
            "url": "http://h/s.css",
            "sessionTargetType": "page",
            "transferSize": 25_000,
            "statusCode": 200,
        },
        {
            "url": "https://fonts/f.woff2",
            "sessionTargetType": "page",
            "transferSize": 0,
            "statusCode": -1,
        },
        {
            "url": "http://h/",
            "sessionTargetType": "worker",
            "transferSize": 7_000,
            "statusCode": 200,
        },
    ]
    blocking = [{"url": "http://h/s.css", "wastedMs": 411.2}]
    errors = [{"description": "Loading the font violates the CSP"}]
    summary = lighthouse_summary(report(requests, blocking, errors))
    assert summary["lcp_ms"] == 2400.0
    assert (summary["own_bytes"], summary["all_bytes"]) == (35_000, 42_000)
    assert (summary["own_requests"], summary["all_requests"]) == (3, 4)
    assert summary["worker_requests"] == [{"url": "http://h/", "bytes": 7_000, "target": "worker"}]
    assert summary["failed_requests"] == ["https://fonts/f.woff2"]
    assert [r["bytes"] for r in summary["largest"]] == [25_000, 10_000, 7_000, 0]
    assert summary["render_blocking"] == [{"url": "http://h/s.css", "wasted_ms": 411.2}]
    assert summary["console_errors"] == ["Loading the font violates the CSP"]
    assert summary["lcp_element"] == "p.count: Showing"
    assert summary["lcp_phases"] == {"TTFB": 500.0, "Render Delay": 1900.0}


def test_a_clean_report_has_no_errors_nor_blocking_files():
    requests = [{"url": "http://h/p/", "transferSize": 9_000, "statusCode": 200}]
    summary = lighthouse_summary(report(requests))
    # No sessionTargetType (older Lighthouse): the page's own.
    assert summary["own_bytes"] == summary["all_bytes"] == 9_000
    assert summary["console_errors"] == summary["render_blocking"] == []
    assert summary["failed_requests"] == []


def test_a_first_visit_is_split_into_the_pages_requests_and_the_service_workers():
    requests = [
        {"address": "/p/", "worker": False, "bytes": 10_000},
        {"address": "/static/s.css", "worker": False, "bytes": 3_000},
        {"address": "/", "worker": True, "bytes": 5_000},
    ]
    assert visit_weight(requests) == {
        "own_requests": 2,
        "own_bytes": 13_000,
        "worker_requests": 1,
        "worker_bytes": 5_000,
    }
