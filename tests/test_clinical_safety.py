"""The clinical safety case's hazard log (docs/clinical-safety/hazard-log.md) is evidence only
if the tests it names are real: every pytest node id in it resolves to a test pytest would
collect, every hazard has a control proved by a test, every hazard the safety case must cover
is there, and every risk rating is the one the log's own matrix gives. No database needed."""

import importlib
import re
from dataclasses import dataclass, field

import pytest

from .conftest import ROOT

HAZARD_LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.md"
REPORT = ROOT / "docs" / "clinical-safety" / "safety-case-report.md"

# The hazards the safety case must cover, by the topic each hazard's table names.
REQUIRED_TOPICS = {
    "hidden-by-filter": "content that applies is hidden by a filter, search or corrected age",
    "wrong-age": "wrong-age content is shown",
    "stale-or-unreviewed": "content is stale or has never been reviewed",
    "unapproved-edit-live": "an unapproved edit goes live",
    "content-lost-or-corrupted": "content is lost or corrupted by an edit, revert or import",
    "service-down": "the service is down at the point of care",
    "stale-offline-copy": "an out-of-date offline copy",
    "misleading-printout": "a misleading printout",
    "account-or-script": "an editor account is compromised, or a script is injected",
    "ehr-wrong-child": "an EHR integration shows the wrong child's guidance",
}
FIELDS = (
    "Topic",
    "Hazard",
    "Cause",
    "Effect",
    "Possible harm",
    "Initial likelihood",
    "Initial severity",
    "Initial risk",
    "Residual likelihood",
    "Residual severity",
    "Residual risk",
    "Owner",
    "Status",
)
LIKELIHOODS = ("Very low", "Low", "Medium", "High", "Very high")
SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
STATUSES = ("Open", "Controlled")

# Anything in backticks that starts like a test file is meant as a node id and is checked.
NODE_ID = re.compile(r"`(tests/[^`]*)`")
HAZARD_HEADING = re.compile(r"^## (H\d\d): (.+)$", re.MULTILINE)
CONTROL = re.compile(r"^- \*\*(H\d\d-C\d+)\*\* \((\w+)\) ", re.MULTILINE)
FIELD_ROW = re.compile(r"^\| ([A-Z][a-z ]+) \| (.*?) \|$", re.MULTILINE)
SUMMARY_ROW = re.compile(r"^\| (H\d\d) \| (.+?) \| (\d) \| (\d) \| (\w+) \|$", re.MULTILINE)


@dataclass
class Control:
    id: str
    kind: str
    tests: list[str]


@dataclass
class Hazard:
    id: str
    title: str
    fields: dict[str, str] = field(default_factory=dict)
    controls: list[Control] = field(default_factory=list)


def node_ids(text: str) -> list[str]:
    """Every node id the text names, in order, each once."""
    return list(dict.fromkeys(NODE_ID.findall(text)))


def hazards(text: str) -> list[Hazard]:
    """Each `## Hnn: title` section with its field table and its controls."""
    found = []
    headings = list(HAZARD_HEADING.finditer(text))
    for number, heading in enumerate(headings):
        end = headings[number + 1].start() if number + 1 < len(headings) else len(text)
        section = text[heading.end() : end].split("\n## ", 1)[0]
        hazard = Hazard(heading[1], heading[2].strip())
        for row in FIELD_ROW.finditer(section):
            hazard.fields[row[1]] = row[2].strip()
        starts = list(CONTROL.finditer(section))
        for index, start in enumerate(starts):
            stop = starts[index + 1].start() if index + 1 < len(starts) else len(section)
            body = section[start.start() : stop]
            hazard.controls.append(Control(start[1], start[2], node_ids(body)))
        found.append(hazard)
    return found


def risk_matrix(text: str) -> dict[tuple[str, str], int]:
    """The log's 5x5 matrix: a row per likelihood, a column per severity."""
    matrix = {}
    for likelihood in LIKELIHOODS:
        row = re.search(rf"^\| {likelihood} \|((?: \d \|){{5}})$", text, re.MULTILINE)
        if row:
            ratings = [int(cell) for cell in row[1].split("|") if cell.strip()]
            matrix.update({(likelihood, s): r for s, r in zip(SEVERITIES, ratings, strict=True)})
    return matrix


def unresolved(ids: list[str], config) -> dict[str, str]:
    """Each node id that does not name a test pytest would collect, with the reason. The test
    module is imported (as pytest imports it: tests/ is a package) and each `::` part looked
    up, so a renamed, moved or deleted test is caught without collecting the whole suite."""
    function_prefixes = tuple(config.getini("python_functions"))
    class_prefixes = tuple(config.getini("python_classes"))
    file_patterns = config.getini("python_files")
    problems = {}
    for node_id in ids:
        path, _, rest = node_id.partition("::")
        parts = rest.split("::") if rest else []
        file = ROOT / path
        if "[" in node_id:
            problems[node_id] = "names one parametrized case: name the function alone"
        elif not parts:
            problems[node_id] = "names a file, not a test: add ::test_name"
        elif not file.is_file() or not any(file.match(p) for p in file_patterns):
            problems[node_id] = "no such test file"
        else:
            module = importlib.import_module(".".join(file.relative_to(ROOT).with_suffix("").parts))
            target, trail = module, []
            for part in parts:
                target = getattr(target, part, None)
                trail.append(part)
                if target is None:
                    problems[node_id] = f"{'::'.join(trail)} is not in {path}"
                    break
            else:
                *classes, name = parts
                if not (callable(target) and name.startswith(function_prefixes)) or not all(
                    c.startswith(class_prefixes) for c in classes
                ):
                    problems[node_id] = "is not a test pytest collects"
                elif always_skipped(target, module):
                    problems[node_id] = "is always skipped: it proves nothing"
    return problems


def always_skipped(function, module) -> bool:
    """A skip or xfail mark without a condition, on the test or on its module."""
    marks = []
    for owner in (function, module):
        found = getattr(owner, "pytestmark", [])
        marks += found if isinstance(found, list) else [found]
    return any(mark.name in ("skip", "xfail") and not mark.args for mark in marks)


def rating_problems(hazard: Hazard, matrix: dict[tuple[str, str], int]) -> list[str]:
    problems = []
    for stage in ("Initial", "Residual"):
        likelihood = hazard.fields.get(f"{stage} likelihood")
        severity = hazard.fields.get(f"{stage} severity")
        risk = hazard.fields.get(f"{stage} risk")
        if likelihood not in LIKELIHOODS or severity not in SEVERITIES:
            problems.append(f"{hazard.id}: {stage.lower()} {likelihood!r} x {severity!r}")
        elif risk != str(matrix[likelihood, severity]):
            problems.append(
                f"{hazard.id}: {stage.lower()} risk {risk} but the matrix gives "
                f"{matrix[likelihood, severity]} for {likelihood} x {severity}"
            )
    if hazard.fields.get("Residual risk", "9") > hazard.fields.get("Initial risk", "0"):
        problems.append(f"{hazard.id}: the controls raise the risk")
    return problems


def untested(hazard: Hazard) -> bool:
    return not any(control.tests for control in hazard.controls)


# The log itself. ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def log() -> str:
    return HAZARD_LOG.read_text(encoding="utf-8")


# Some test modules ask the app for something as they are imported (the API schema test loads
# the OpenAPI document through the app), which may touch the database.
@pytest.mark.django_db
def test_every_test_the_hazard_log_names_exists(log, pytestconfig):
    ids = node_ids(log)
    assert len(ids) >= 100  # the pattern still finds them
    assert unresolved(ids, pytestconfig) == {}


def test_every_hazard_is_complete_and_has_a_control_proved_by_a_test(log):
    found = hazards(log)
    assert [h.id for h in found] == [f"H{n:02d}" for n in range(1, len(found) + 1)]
    for hazard in found:
        assert [f for f in FIELDS if not hazard.fields.get(f)] == [], hazard.id
        assert hazard.fields["Status"] in STATUSES, hazard.id
        assert not untested(hazard), f"{hazard.id} has no control proved by a test"
        prefix = f"{hazard.id}-C"
        assert all(c.id.startswith(prefix) for c in hazard.controls), hazard.id
        assert len({c.id for c in hazard.controls}) == len(hazard.controls), hazard.id


def test_every_hazard_the_safety_case_must_cover_is_in_the_log(log):
    topics = {h.fields.get("Topic", "").strip("`") for h in hazards(log)}
    assert {topic: why for topic, why in REQUIRED_TOPICS.items() if topic not in topics} == {}


def test_every_risk_rating_is_the_matrixs(log):
    matrix = risk_matrix(log)
    assert len(matrix) == 25
    assert [p for h in hazards(log) for p in rating_problems(h, matrix)] == []


def test_the_summary_agrees_with_the_hazards(log):
    summary = {row[1]: (row[2], row[3], row[4], row[5]) for row in SUMMARY_ROW.finditer(log)}
    sections = {
        h.id: (h.title, h.fields["Initial risk"], h.fields["Residual risk"], h.fields["Status"])
        for h in hazards(log)
    }
    assert summary == sections


def test_the_reports_summary_is_the_logs(log):
    def risks(text):
        return {row[1]: (row[3], row[4], row[5]) for row in SUMMARY_ROW.finditer(text)}

    assert risks(REPORT.read_text(encoding="utf-8")) == risks(log) != {}


def test_the_log_is_linked_from_the_threat_model_and_the_readme():
    assert "](clinical-safety/hazard-log.md)" in (ROOT / "docs" / "security.md").read_text()
    assert "`docs/clinical-safety/hazard-log.md`" in (ROOT / "README.md").read_text()


# The checks can fail. -----------------------------------------------------------------------

FAKE_LOG = """
| Very low | 1 | 1 | 2 | 2 | 3 |
| Low | 1 | 2 | 2 | 3 | 4 |
| Medium | 2 | 2 | 3 | 3 | 4 |
| High | 2 | 3 | 3 | 4 | 5 |
| Very high | 3 | 4 | 4 | 5 | 5 |

## H01: Tested

| Topic | `wrong-age` |
| Initial likelihood | Medium |
| Initial severity | Major |
| Initial risk | 3 |
| Residual likelihood | Low |
| Residual severity | Major |
| Residual risk | 2 |

- **H01-C1** (design) Ages are read right.
  Proved by: `tests/test_ages.py::test_parse_age`, `tests/test_ages.py::test_gone`.
- **H01-C2** (process) Someone looks.

## H02: Untested

| Initial likelihood | Sometimes |
| Initial severity | Minor |
| Initial risk | 1 |

- **H02-C1** (process) Someone looks.
"""


def test_the_checker_reports_tests_that_do_not_exist(pytestconfig):
    real = "tests/test_ages.py::test_parse_age"
    missing = [
        "tests/test_ages.py::test_gone",
        "tests/test_nowhere.py::test_parse_age",
        "tests/test_ages.py::TestAges::test_parse_age",
        "tests/test_ages.py::test_parse_age[1y6m]",
        "tests/test_ages.py",
        "tests/test_ages.py::ages",  # the module imports it, but it is not a test
        "tests/conftest.py::fast_password_hashing",
    ]
    problems = unresolved([real, *missing], pytestconfig)
    assert sorted(problems) == sorted(missing)
    assert problems["tests/test_ages.py::test_gone"] == "test_gone is not in tests/test_ages.py"


def test_the_checker_reports_a_test_that_always_skips(pytestconfig, monkeypatch):
    from . import test_ages

    @pytest.mark.skip(reason="never runs")
    def skipped():
        pass

    monkeypatch.setattr(test_ages, "test_skipped_example", skipped, raising=False)
    problems = unresolved(["tests/test_ages.py::test_skipped_example"], pytestconfig)
    assert problems == {
        "tests/test_ages.py::test_skipped_example": "is always skipped: it proves nothing"
    }


def test_the_checker_reads_hazards_controls_and_ratings():
    found = hazards(FAKE_LOG)
    assert [(h.id, h.title, untested(h)) for h in found] == [
        ("H01", "Tested", False),
        ("H02", "Untested", True),
    ]
    assert found[0].controls[0] == Control(
        "H01-C1", "design", ["tests/test_ages.py::test_parse_age", "tests/test_ages.py::test_gone"]
    )
    assert found[0].fields["Topic"] == "`wrong-age`"
    matrix = risk_matrix(FAKE_LOG)
    assert len(matrix) == 25 and matrix["Medium", "Major"] == 3
    assert rating_problems(found[0], matrix) == [
        "H01: residual risk 2 but the matrix gives 3 for Low x Major"
    ]
    assert rating_problems(found[1], matrix)[0] == "H02: initial 'Sometimes' x 'Minor'"
