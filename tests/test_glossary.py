"""The glossary: abbreviations the pathway uses and what they stand for. Editors keep it as
content (history, approval, a content version of its own); search expands terms both ways;
each result card explains a term's first use with <abbr>."""

import pytest

from pathways.models import GlossaryTerm, Status
from pathways.publishing import Decision, PendingChange
from pathways.templatetags.pathways import Abbreviations

from .conftest import IMH_URL, approve_pending

NICU_ABBR = '<abbr title="neonatal intensive care unit">NICU</abbr>'


def found(client, q: str) -> set[int]:
    response = client.get(IMH_URL, {"q": q})
    assert response.status_code == 200
    return {entry.position for entry in response.context["entries"]}


def test_the_fixture_holds_the_seeds_abbreviations_published(imh):
    terms = {term.term: term for term in GlossaryTerm.objects.all()}
    assert {"NICU", "ITU", "HDU", "SW", "HV", "GP", "EYFS", "BME", "NBO", "PND"} <= set(terms)
    assert all(term.status == Status.PUBLISHED for term in terms.values())
    assert terms["PND"].title == "postnatal depression"
    assert terms["SW"].title == "social worker"


def test_cards_explain_the_first_use_of_each_term(client, imh):
    html = client.get(IMH_URL).content.decode()
    card = html[html.index('id="entry-20"') :]
    card = card[: card.index("</article>")]
    assert (
        '<abbr title="social worker">SW</abbr>/<abbr title="health visitor">HV</abbr> team' in card
    )
    assert f"<li>{NICU_ABBR}</li>" in card
    # Marks and abbreviations together: a search match inside a card keeps both.
    searched = client.get(IMH_URL, {"q": "NICU"}).content.decode()
    assert '<mark><abbr title="neonatal intensive care unit">NICU</abbr></mark>' in searched


def test_only_the_first_use_in_a_card_is_explained_and_only_whole_words():
    abbreviations = Abbreviations([("GP", "general practitioner"), ("SW", "social worker")])
    html = abbreviations.explain("GP and GP; SWIM, <mark>SW</mark> &amp; GPs")
    assert html == (
        '<abbr title="general practitioner">GP</abbr> and GP; SWIM, '
        '<mark><abbr title="social worker">SW</abbr></mark> &amp; GPs'
    )
    assert Abbreviations([]).explain("GP") == "GP"


def test_search_expands_terms_both_ways(client, imh):
    assert found(client, "neonatal") == found(client, "NICU") == {20}
    assert found(client, "SW") == found(client, "social worker") == {20, 180}
    assert found(client, "depression") == found(client, "PND") == {50, 70, 100, 140, 170}


def test_a_draft_term_changes_nothing(client, imh):
    GlossaryTerm.objects.create(term="Zebrafish", expansions="Outreach", status=Status.DRAFT)
    assert found(client, "Zebrafish") == set()
    term = GlossaryTerm.objects.get(term="Zebrafish")
    term.status = Status.PUBLISHED
    term.save()  # as the admin saves: a new content version
    assert found(client, "Zebrafish") == found(client, "outreach") != set()


@pytest.mark.parametrize("who", ["editor", "publisher"])
def test_a_change_to_a_published_term_is_pending_not_live(
    client, imh, editor, publisher, approver, who
):
    """The two-person rule for the glossary: search and the cards keep the approved term
    until another publisher approves the change; then both change at once (a glossary
    change is a content change: cached cards are not reused)."""
    term = GlossaryTerm.objects.get(term="NICU")
    assert NICU_ABBR in client.get(IMH_URL).content.decode()  # cards cached now
    client.force_login({"editor": editor, "publisher": publisher}[who])
    data = {
        "term": "NICU",
        "expansions": "neonatal unit\nquokkaward",
        "change_reason": "Plainer words",
    }
    if who == "publisher":
        data["status"] = Status.PUBLISHED
    response = client.post(f"/admin/pathways/glossaryterm/{term.pk}/change/", data)
    assert response.status_code == 302
    client.logout()

    term.refresh_from_db()
    assert term.expansions == "neonatal intensive care unit"
    change = PendingChange.objects.get(object_id=term.pk, decision=Decision.PENDING)
    assert change.proposed["fields"]["expansions"] == "neonatal unit\nquokkaward"
    assert found(client, "quokkaward") == set()
    assert NICU_ABBR in client.get(IMH_URL).content.decode()

    approve_pending(approver)
    assert found(client, "quokkaward") == {20}
    page = client.get(IMH_URL).content.decode()
    assert '<abbr title="neonatal unit">NICU</abbr>' in page and NICU_ABBR not in page
    assert term.history.count() >= 2


def test_editors_may_not_publish_a_term(client, imh, editor):
    client.force_login(editor)
    response = client.post(
        "/admin/pathways/glossaryterm/add/",
        {"term": "QQX", "expansions": "quick queue", "status": Status.PUBLISHED},
    )
    assert response.status_code == 302
    assert GlossaryTerm.objects.get(term="QQX").status == Status.DRAFT


def test_a_draft_entry_referred_to_is_not_shown_through_the_reference(client, imh):
    """Practitioners never see a draft's interventions through an "as above" disclosure."""
    from pathways.models import Entry

    referred = Entry.objects.get(pathway=imh, position=140)
    assert "What “as above” includes" in client.get(IMH_URL).content.decode()
    referred.status = Status.DRAFT
    referred.save()
    page = client.get(IMH_URL).content.decode()
    assert 'id="entry-170"' in page and "What “as above” includes" not in page
