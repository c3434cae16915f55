"""Review dates: pages say when the content was last reviewed and when it is next due;
once overdue, practitioners are warned and editors see the pathway first."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pathways.models import Pathway

from ..conftest import IMH_URL, approve_pending
from ..pagetext import elements, summary_list, visible_lines
from .test_faithfulness import pathway_seed_lines

TODAY = timezone.localdate()


def review_lines(html: str) -> list[str]:
    """The review dates at the foot of a page, as read."""
    [dates] = elements(html, "div", "page-review")
    return dates.lines


def review(pathway, last, due, by="Dr Amal Clinician, Consultant Perinatal Psychiatrist"):
    pathway.last_reviewed, pathway.next_review_due, pathway.reviewed_by = last, due, by
    pathway.full_clean()
    pathway.save()


def test_the_fixtures_record_a_review_and_the_page_says_so(client, imh):
    assert (imh.last_reviewed, imh.next_review_due, imh.reviewed_by) == (
        datetime.date(2026, 3, 2),
        datetime.date(2027, 3, 2),
        "Infant Mental Health clinical lead, Health Visiting",
    )
    content = client.get(IMH_URL).content.decode()
    assert review_lines(content)[:3] == [
        "Page last reviewed: 2 March 2026",
        "Next review due: 2 March 2027",
        "Reviewed by Infant Mental Health clinical lead, Health Visiting",
    ]
    assert "No clinical review recorded" not in content


def test_a_pathway_never_reviewed_says_so(client, imh):
    review(imh, None, None, "")
    content = client.get(IMH_URL).content.decode()
    assert "Page last reviewed" not in content and "Next review due" not in content
    assert "No clinical review recorded." in content
    assert "overdue" not in content


def test_pages_show_the_nhs_review_pattern(client, imh):
    review(imh, datetime.date(2025, 2, 26), datetime.date(2099, 2, 26))
    # One paragraph, a line each, as the NHS.UK pattern has it.
    expected = ["Page last reviewed: 26 February 2025", "Next review due: 26 February 2099"]
    for url in (IMH_URL, f"{IMH_URL}changes/"):
        [dates] = elements(client.get(url).content.decode(), "div", "page-review")
        assert elements(dates.markup, "p")[0].lines == expected
    assert "overdue" not in client.get(IMH_URL).content.decode()


def test_practitioners_are_warned_when_the_review_is_overdue(client, imh):
    review(imh, TODAY - datetime.timedelta(days=1200), TODAY - datetime.timedelta(days=1))
    html = client.get(IMH_URL).content.decode()
    assert "This pathway is overdue for review" in html
    assert html.index("review-overdue") < html.index("<h1>")
    # The warning stays outside the results: the results still read as the seed.
    results = visible_lines(
        html,
        within_id="results",
        skip_classes={"results__count", "entry__actions", "entry__no-actions", "entry__repeats"},
    )
    seed = pathway_seed_lines()
    assert results == seed[seed.index("Birth - 6 weeks") :]


def test_due_today_is_not_overdue(client, imh):
    review(imh, TODAY - datetime.timedelta(days=365), TODAY)
    assert "overdue" not in client.get(IMH_URL).content.decode()
    assert not imh.is_review_overdue


def test_next_review_must_come_after_the_last(imh):
    imh.last_reviewed, imh.next_review_due = datetime.date(2025, 3, 1), datetime.date(2025, 2, 1)
    with pytest.raises(ValidationError, match="The next review must be due after the last"):
        imh.full_clean()


def test_editors_see_overdue_pathways_first(client, imh, editor):
    parental = Pathway.objects.get(slug="parental-mental-health-and-wellbeing")
    review(imh, TODAY - datetime.timedelta(days=30), TODAY + datetime.timedelta(days=300))
    review(parental, TODAY - datetime.timedelta(days=900), TODAY - datetime.timedelta(days=10))
    client.force_login(editor)
    content = client.get("/admin/pathways/pathway/").content.decode()
    assert content.index("Parental Mental Health and Wellbeing") < content.index(
        "Infant Mental Health"
    )
    assert "OVERDUE since" in content
    # Without dates the list keeps its usual order (Infant Mental Health is position 1).
    review(parental, None, None, "")
    content = client.get("/admin/pathways/pathway/").content.decode()
    assert content.index("Infant Mental Health") < content.index("Parental Mental Health")


def test_editor_records_a_review_in_the_admin(client, imh, editor, approver):
    client.force_login(editor)
    url = f"/admin/pathways/pathway/{imh.pk}/change/"
    notes = list(imh.reading_notes.order_by("position"))
    data = {
        "title": imh.title,
        "slug": imh.slug,
        "summary": imh.summary,
        "position": imh.position,
        "related_pathways": list(imh.related_pathways.values_list("pk", flat=True)),
        "policy_context": imh.policy_context_id,
        "last_reviewed": "2026-01-15",
        "next_review_due": "2029-01-15",
        "reviewed_by": "Dr Amal Clinician",
        "change_reason": "Annual clinical review",
        "reading_notes-TOTAL_FORMS": len(notes),
        "reading_notes-INITIAL_FORMS": len(notes),
        "reading_notes-MIN_NUM_FORMS": 0,
        "reading_notes-MAX_NUM_FORMS": 1000,
    }
    for i, note in enumerate(notes):
        data.update(
            {
                f"reading_notes-{i}-id": note.pk,
                f"reading_notes-{i}-pathway": imh.pk,
                f"reading_notes-{i}-position": note.position,
                f"reading_notes-{i}-text": note.text,
                f"reading_notes-{i}-is_bullet": "on" if note.is_bullet else "",
            }
        )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert approve_pending(approver) == 1  # the pathway is live: a publisher approves
    imh.refresh_from_db()
    assert imh.reviewed_by == "Dr Amal Clinician"
    assert imh.history.latest().history_change_reason == "Annual clinical review"
    content = client.get(IMH_URL).content.decode()
    assert review_lines(content)[:2] == [
        "Page last reviewed: 15 January 2026",
        "Next review due: 15 January 2029",
    ]
    changes = client.get(f"{IMH_URL}changes/").content.decode()
    assert "Pathway ‘Infant Mental Health’: reviewed, next review date changed" in changes


# Every surface carries the review status: a printout, a spreadsheet row or another system
# must not lose the warning the page shows.


def csv_rows(client):
    import csv
    import io

    response = client.get(f"{IMH_URL}export.csv")
    text = b"".join(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_no_review_recorded_is_said_on_every_surface(client, imh):
    review(imh, None, None, "")
    assert "No clinical review recorded." in client.get(IMH_URL).content.decode()
    checklist = client.get(f"{IMH_URL}checklist/").content.decode()
    assert summary_list(checklist)["Pathway review"] == ["No clinical review recorded."]
    api = client.get("/api/pathways/infant-mental-health/").json()
    assert {k: api[k] for k in ("last_reviewed", "next_review_due", "reviewed_by")} == {
        "last_reviewed": None,
        "next_review_due": None,
        "reviewed_by": None,
    }
    assert (api["review_overdue"], api["review_status"]) == (False, "No clinical review recorded.")
    rows = csv_rows(client)
    assert {row["Review status"] for row in rows} == {"No clinical review recorded."}
    assert {row["Review overdue"] for row in rows} == {"no"}
    fhir = client.get("/api/pathways/infant-mental-health/fhir").json()
    assert "lastReviewDate" not in fhir and "effectivePeriod" not in fhir
    # FHIR says the review in R4's own elements, and in words in the narrative.
    assert "No clinical review recorded." in visible_lines(fhir["text"]["div"])


def test_only_a_due_date_still_says_no_review_was_recorded(client, imh):
    review(imh, None, TODAY + datetime.timedelta(days=30), "")
    due = (TODAY + datetime.timedelta(days=30)).strftime("%-d %B %Y")
    checklist = client.get(f"{IMH_URL}checklist/").content.decode()
    assert f"No clinical review recorded; next review due {due}." in checklist


def test_an_overdue_review_is_flagged_on_every_surface(client, imh):
    last, due = TODAY - datetime.timedelta(days=400), TODAY - datetime.timedelta(days=35)
    review(imh, last, due, "Dr Amal Clinician")
    warning = "This pathway is overdue for review"
    assert warning in client.get(IMH_URL).content.decode()
    assert warning in client.get(f"{IMH_URL}checklist/").content.decode()
    status = (
        f"Last reviewed {last.strftime('%-d %B %Y')} by Dr Amal Clinician. "
        f"Overdue for review: it was due on {due.strftime('%-d %B %Y')}."
    )
    api = client.get("/api/pathways/infant-mental-health/").json()
    assert api["last_reviewed"] == last.isoformat()
    assert api["next_review_due"] == due.isoformat()
    assert api["reviewed_by"] == "Dr Amal Clinician"
    assert (api["review_overdue"], api["review_status"]) == (True, status)
    entries = client.get("/api/pathways/infant-mental-health/entries/").json()
    assert entries["pathway"]["review_overdue"] is True
    rows = csv_rows(client)
    assert len(rows) > 19
    assert {
        (r["Last reviewed"], r["Next review due"], r["Reviewed by"], r["Review overdue"])
        for r in rows
    } == {(last.isoformat(), due.isoformat(), "Dr Amal Clinician", "yes")}
    assert {row["Review status"] for row in rows} == {status}
    fhir = client.get("/api/pathways/infant-mental-health/fhir").json()
    assert fhir["lastReviewDate"] == last.isoformat()
    assert fhir["effectivePeriod"] == {"start": last.isoformat(), "end": due.isoformat()}
    assert fhir["reviewer"] == [{"name": "Dr Amal Clinician"}]
    assert fhir["effectivePeriod"]["end"] < TODAY.isoformat()  # overdue, as R4 says it
    assert status in visible_lines(fhir["text"]["div"])


def test_a_review_that_is_not_overdue_is_not_flagged(client, imh):
    api = client.get("/api/pathways/infant-mental-health/").json()
    assert api["review_overdue"] is False
    assert {row["Review overdue"] for row in csv_rows(client)} == {"no"}
    assert "overdue" not in client.get(f"{IMH_URL}checklist/").content.decode()
