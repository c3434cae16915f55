"""Fuzzed requests counted per surface, for the summary printed after the run
(tests/conftest.py, pytest_terminal_summary): "N fuzzed requests per surface, 0 5xx"."""

from collections import Counter

REQUESTS: Counter[str] = Counter()
SERVER_ERRORS: Counter[str] = Counter()


def record(surface: str, status: int) -> None:
    REQUESTS[surface] += 1
    if status >= 500:
        SERVER_ERRORS[surface] += 1


def summary() -> list[str]:
    width = max((len(surface) for surface in REQUESTS), default=0)
    return [
        f"{surface:<{width}}  {REQUESTS[surface]:>6} fuzzed, {SERVER_ERRORS[surface]} 5xx"
        for surface in sorted(REQUESTS)
    ]
