"""A pathway's page text read and written (issue 24, items 1 and 2, at the level of text):
seed 000 reads into exactly the fixture's content, the writer's text reads back to what was
written, and hostile text is refused with PageTextError naming its lines."""

import json
from pathlib import Path

from pathways.editing.page_text import (
    PageText,
    TextEntry,
    TextIntervention,
    TextNote,
    read_page_text,
)

DATA = Path(__file__).parent.parent / "data"
FIXTURE = Path(__file__).parent.parent.parent / "fixtures" / "infant_mental_health.json"
SEED = (DATA / "000_daf425ab71d75f66.txt").read_text(encoding="utf-8")
IMH = "infant-mental-health"


def fixture_page() -> PageText:
    """The Infant Mental Health pathway as the fixture holds it, in the page text's shape."""
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))

    def of(model):
        return [row["fields"] for row in rows if row["model"] == f"pathways.{model}"]

    def names(model, attribute):
        return {fields["slug"]: fields[attribute] for fields in of(model)}

    stages, bands = names("stage", "label"), names("ageband", "label")
    tags, services = names("tag", "name"), names("service", "name")
    title = next(p["title"] for p in of("pathway") if p["slug"] == IMH)
    notes = sorted(
        (n for n in of("readingnote") if n["pathway"] == [IMH]), key=lambda n: n["position"]
    )
    entries = sorted((e for e in of("entry") if e["pathway"] == [IMH]), key=lambda e: e["position"])
    numbers = [entry["number"] for entry in entries]
    interventions = sorted(of("intervention"), key=lambda i: i["position"])
    return PageText(
        title=title,
        notes=[TextNote(n["text"], n["is_bullet"]) for n in notes],
        entries=[
            TextEntry(
                stage=stages[e["stage"][0]],
                band=bands[e["age_band"][0]],
                rationale=e["rationale"],
                service=services[e["service"][0]],
                tag=tags[e["tag"][0]] if e["tag"] else "",
                criteria=e["criteria"],
                interventions=[
                    TextIntervention(i["text"], i["bullets"].split("\n") if i["bullets"] else [])
                    for i in interventions
                    if i["entry"] == [IMH, e["number"]]
                ],
                repeats=numbers.index(e["repeats"][1]) if e.get("repeats") else None,
            )
            for e in entries
        ],
    )


def without_lines(page: PageText) -> PageText:
    for entry in page.entries:
        entry.line = 0
    return page


def known_names(page: PageText) -> dict:
    return {
        "services": {entry.service for entry in page.entries},
        "tags": {entry.tag for entry in page.entries} - {""},
    }


def test_seed_000_reads_into_exactly_the_fixtures_content():
    expected = fixture_page()
    assert len(expected.entries) == 19  # the fixture is what it was when this was written

    read = read_page_text(SEED, **known_names(expected))

    assert without_lines(read) == expected
    assert len({entry.stage for entry in read.entries}) == 5


def test_seed_000_reads_the_same_without_the_databases_names():
    """A new pathway's services and tags are not in the database yet: they read by shape."""
    assert without_lines(read_page_text(SEED)) == fixture_page()


def test_each_entry_knows_its_first_line():
    read = read_page_text(SEED)
    lines = SEED.splitlines()
    assert [entry.line for entry in read.entries][:3] == [17, 27, 40]
    assert all(lines[entry.line - 1] == entry.band for entry in read.entries)


def test_as_above_proposes_the_entry_it_names():
    """Entry 170, "As above in 1 - 3 years age range plus:", repeats entry 140: the nearest
    earlier entry in 1 - 3 years with the same rationale and service (not 150 or 160)."""
    read = read_page_text(SEED)
    repeating = [
        (index, entry.repeats)
        for index, entry in enumerate(read.entries)
        if entry.repeats is not None
    ]
    assert repeating == [(16, 13)]
    assert read.entries[13].band == "1 - 3 years"
    assert read.entries[13].rationale == read.entries[16].rationale


def test_entries_with_no_interventions_keep_an_empty_list():
    read = read_page_text(SEED)
    assert read.entries[2].interventions == []  # seed lines 40-44
    assert read.entries[11].interventions == []  # seed lines 197-203
