"""Drafts never reach readers through a reference (issue 21, item 4): "as above", the glossary,
the CodeSystem, the filters, the offline words, search, FHIR and CDS Hooks read published
content only. CI runs this file on SQLite and PostgreSQL (whose search vector triggers keep
the words of the entry an entry repeats)."""

import csv
import datetime
import io
import json

import pytest

from pathways import ages
from pathways.models import (
    AgeBand,
    Entry,
    GlossaryTerm,
    Intervention,
    Service,
    Stage,
    Status,
    Tag,
)
from pathways.search import entry_words

from .conftest import HTMX, IMH_URL
from .integration.test_fhir import entry_like
from .offline.test_cards import tables as offline_tables

API_ENTRIES = "/api/pathways/infant-mental-health/entries/"
CSV_URL = "/pathways/infant-mental-health/export.csv"
CHECKLIST_URL = "/pathways/infant-mental-health/checklist/"
FHIR_URL = "/api/pathways/infant-mental-health/fhir"
CODE_SYSTEM_PATH = "/fhir/CodeSystem/pathway-navigator"
CDS_URL = "/cds-services/infant-mental-health"
# Words no published content uses, written into a draft.
DRAFT_WORD = "xylophonist"
DRAFT_TEXT = f"Arrange {DRAFT_WORD} sessions."
# One letter dropped: search allows one typo in a word of five letters or more.
TYPO = "xylophonst"


def unpublish(pathway, position: int) -> Entry:
    entry = Entry.objects.get(pathway=pathway, position=position)
    entry.status = Status.DRAFT
    entry.save()
    return entry


def edit_draft_intervention(entry: Entry) -> None:
    """Drafts are edited in place: the repeated entry's first paragraph gets the draft words."""
    intervention = entry.interventions.order_by("position").first()
    intervention.text = DRAFT_TEXT
    intervention.save()


@pytest.fixture(params=["unpublished, then edited", "edited, then unpublished"])
def draft_repeated(request, imh) -> Entry:
    """Entry 140 as a draft with words of its own; 170 still repeats it ("as above")."""
    entry = Entry.objects.get(pathway=imh, position=140)
    if request.param.startswith("unpublished"):
        unpublish(imh, 140)
        edit_draft_intervention(entry)
    else:
        edit_draft_intervention(entry)
        unpublish(imh, 140)
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert Entry.objects.get(pathway=imh, position=170).repeats_id == entry.pk
    return entry


def positions(client, q: str) -> set[int]:
    response = client.get(IMH_URL, {"q": q})
    assert response.status_code == 200
    return {entry.position for entry in response.context["entries"]}


# "As above": a repeated entry's interventions are read only while it is published.


def test_the_page_does_not_show_a_repeated_drafts_words(client, draft_repeated):
    for headers in ({}, HTMX):
        page = client.get(IMH_URL, headers=headers).content.decode()
        assert 'id="entry-170"' in page
        assert DRAFT_WORD not in page
        assert "What “as above” includes" not in page
    assert DRAFT_WORD not in client.get(CHECKLIST_URL).content.decode()


def test_the_offline_words_do_not_carry_a_repeated_drafts_words(client, draft_repeated):
    response = client.get(IMH_URL)
    # The card's data-words and the page's stems (json_script) are both in the page.
    assert DRAFT_WORD not in response.content.decode()
    [card] = [e for e in response.context["entries"] if e.position == 170]
    assert DRAFT_WORD not in entry_words(Entry.objects.get(pk=card.pk))


@pytest.mark.parametrize("q", [DRAFT_WORD, TYPO, f'"{DRAFT_WORD} sessions"'])
def test_search_does_not_find_an_entry_by_a_repeated_drafts_words(client, draft_repeated, q):
    assert positions(client, q) == set()
    # Still found by its own words; no longer by the draft's old ones ("massage").
    assert 170 in positions(client, "bonding")
    assert 170 not in positions(client, "massage")


@pytest.mark.parametrize("q", [DRAFT_WORD, TYPO])
def test_the_api_and_csv_do_not_find_an_entry_by_a_repeated_drafts_words(client, draft_repeated, q):
    data = client.get(API_ENTRIES, {"q": q}).json()
    assert data["count"] == 0, [e["position"] for e in data["entries"]]
    rows = list(csv.reader(io.StringIO(client.get(CSV_URL, {"q": q}).content.decode())))
    assert len(rows) == 1  # the header alone


def test_fhir_and_cds_cards_show_no_draft_through_a_reference(client, settings, draft_repeated):
    draft_repeated.criteria = DRAFT_TEXT
    draft_repeated.save()
    plan = client.get(FHIR_URL).content.decode()
    assert DRAFT_WORD not in plan
    assert '"entry-140"' not in plan and '"entry-170"' in plan
    settings.CDS_HOOKS_ALLOW_UNSIGNED = True
    # A child of two: entry 140's band (1 - 3 years).
    born = ages.uk_today() - datetime.timedelta(days=2 * 365 + 30)
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/hv-1", "patientId": "child-1"},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "child-1", "birthDate": born.isoformat()}
        },
    }
    response = client.post(CDS_URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["cards"]
    assert DRAFT_WORD not in response.content.decode()


def test_fhir_names_no_draft_related_pathway(client, imh):
    def related_named() -> set[str]:
        artifacts = client.get(FHIR_URL).json()["relatedArtifact"]
        return {a["display"] for a in artifacts if a["label"] == "Related pathway"}

    related = imh.related_pathways.get()
    # Only a pathway with a page has a plan to link to: give the related one a published entry.
    source = imh.entries.get(position=10)
    entry_like(source, related, 10, "A published entry.", status=Status.PUBLISHED)
    assert related_named() == {related.title}
    related.status = Status.DRAFT
    related.save()
    assert related_named() == set()


def test_a_published_repeated_entry_is_still_shown_and_found(client, imh):
    """The rule takes nothing away from published content (the seed page's "as above")."""
    page = client.get(IMH_URL).content.decode()
    assert "What “as above” includes" in page
    assert 170 in positions(client, "massage")
    entry = Entry.objects.get(pathway=imh, position=140)
    entry.interventions.update(text="Arrange xylophone sessions.")
    Intervention.objects.get(entry=entry, position=1).save()  # the trigger runs on save
    assert {140, 170} <= positions(client, "xylophone")
    assert {140, 170} <= positions(client, "xylophne")


def test_publishing_the_repeated_entry_again_brings_its_words_back(client, draft_repeated):
    draft_repeated.status = Status.PUBLISHED
    draft_repeated.save()
    assert positions(client, DRAFT_WORD) == {140, 170}
    assert positions(client, TYPO) == {140, 170}
    assert DRAFT_WORD in client.get(IMH_URL).content.decode()


def test_an_entry_shows_nothing_of_a_repeated_entry_moved_to_another_pathway(client, imh):
    """The rule reads "published" as a reader would: in the repeating entry's own pathway."""
    repeated = Entry.objects.get(pathway=imh, position=140)
    repeated.pathway = imh.related_pathways.get()
    repeated.save()
    assert 170 not in positions(client, "massage")
    assert "What “as above” includes" not in client.get(IMH_URL).content.decode()


# The CodeSystem and the filters: only what published entries of published pathways use.


@pytest.fixture
def draft_only_options(imh):
    """A draft entry using a new stage, band, service and tag that nothing published uses."""
    stage = Stage.objects.create(
        label="5 - 6 years", slug="5-6-years", start_days=1826, end_days=2191, position=99
    )
    band = AgeBand.objects.create(
        label="5 - 6 years", slug="5-6-years", start_days=1826, end_days=2191, position=99
    )
    service = Service.objects.create(
        name="Draft Outreach Service", slug="draft-outreach", position=99
    )
    tag = Tag.objects.create(name="Draft Priority", slug="draft-priority", position=99)
    template = Entry.objects.get(pathway=imh, position=140)
    Entry.objects.create(
        pathway=imh,
        position=999,
        stage=stage,
        age_band=band,
        service=service,
        tag=tag,
        rationale="A draft rationale.",
        status=Status.DRAFT,
        repeats=template,
    )
    return {"stage": stage, "service": service, "tag": tag}


def codes(client) -> set[str]:
    code_system = client.get(CODE_SYSTEM_PATH).json()
    return {child["code"] for group in code_system["concept"] for child in group["concept"]}


def test_the_code_system_lists_no_option_only_drafts_use(client, draft_only_options):
    listed = codes(client)
    assert "service-draft-outreach" not in listed
    assert "tag-draft-priority" not in listed
    assert "stage-5-6-years" not in listed
    # What published entries use is still listed.
    assert {"service-health-visiting", "tag-core-purpose-2", "stage-1-3-years"} <= listed


def test_the_code_system_drops_what_only_an_unpublished_entry_uses(client, imh):
    tagged = Entry.objects.filter(pathway=imh, tag__slug="targeted-support")
    assert "tag-targeted-support" in codes(client)
    # Saved as an approval saves them: a new content version, so nothing kept is reused.
    for entry in tagged:
        entry.status = Status.DRAFT
        entry.save()
    assert "tag-targeted-support" not in codes(client)


def test_the_code_system_lists_nothing_of_a_draft_pathway(client, imh):
    imh.status = Status.DRAFT
    imh.save()
    code_system = client.get(CODE_SYSTEM_PATH).json()
    assert all(group["concept"] == [] for group in code_system["concept"])
    assert code_system["count"] == len(code_system["concept"])


def test_the_filters_offer_no_option_only_drafts_use(client, draft_only_options):
    page = client.get(IMH_URL).content.decode()
    for name in ("Draft Outreach Service", "Draft Priority", "5 - 6 years"):
        assert name not in page
    options = client.get("/api/pathways/infant-mental-health/").json()["filters"]
    slugs = {option["slug"] for values in options.values() for option in values}
    assert not slugs & {"draft-outreach", "draft-priority", "5-6-years"}
    # Named in a link, a draft-only option is as unknown as one that does not exist.
    response = client.get(API_ENTRIES, {"service": "draft-outreach"})
    assert response.status_code == 400


# The glossary: only published terms expand a search or explain a card.


@pytest.fixture
def draft_term(imh):
    return GlossaryTerm.objects.create(
        term="ZQX", expansions="infant massage\nxylophone", status=Status.DRAFT
    )


def test_a_draft_glossary_term_expands_no_search(client, draft_term):
    assert positions(client, "ZQX") == set()
    assert client.get(API_ENTRIES, {"q": "ZQX"}).json()["count"] == 0


def test_a_draft_glossary_term_explains_no_card_and_is_not_offline(client, imh, draft_term):
    entry = Entry.objects.get(pathway=imh, position=140)
    entry.criteria = "Offer ZQX where wanted."
    entry.save()
    page = client.get(IMH_URL).content.decode()
    assert "ZQX" in page and 'title="infant massage"' not in page
    glossary = offline_tables(client, page)["search"]["glossary"]
    assert glossary and "zqx" not in glossary and "xylophon" not in glossary
