"""Pathways linked to each other: a reading note naming a published pathway links to it, worked
out when the page is rendered, and related pathways show both ways; never a draft."""

import pytest

from pathways.models import Pathway, ReadingNote, Status
from pathways.templatetags.pathways import pathways_linked

from ..conftest import IMH_URL
from ..pagetext import elements, links, summary_list, visible_lines
from ..second_pathway import PARENTAL_TITLE, PARENTAL_URL, give_entries

NOTE = (
    "The Infant Mental Health pathway specifically needs to be considered in conjunction with "
    "the Parental Mental Health and Wellbeing pathway."
)


def note_links(url: str, client) -> dict[str, str]:
    content = client.get(url).content.decode()
    notes = elements(content, "div", "reading-notes")[0]
    return links(notes.markup)


def test_a_note_links_the_pathway_it_names_once_that_is_published_with_entries(
    client, imh, publisher
):
    before = client.get(IMH_URL).content.decode()
    assert note_links(IMH_URL, client) == {}
    give_entries(publisher)
    after = client.get(IMH_URL).content.decode()
    # Nobody edited the note: the link is worked out when the page is rendered.
    assert note_links(IMH_URL, client) == {PARENTAL_TITLE: PARENTAL_URL}
    assert ReadingNote.objects.get(pathway=imh, position=2).text == NOTE
    # Only an <a> was added: the page reads exactly as before (faithfulness).
    assert visible_lines(after, skip_classes={"pathway-links"}) == visible_lines(
        before, skip_classes={"pathway-links"}
    )
    assert NOTE in visible_lines(after)


def test_a_pathway_never_links_to_itself(client, imh, publisher):
    give_entries(publisher)
    assert "Infant Mental Health" not in note_links(IMH_URL, client)


def test_a_draft_pathway_is_never_linked(client, imh, publisher):
    parental = give_entries(publisher)
    parental.status = Status.DRAFT
    parental.save()
    assert note_links(IMH_URL, client) == {}
    content = client.get(IMH_URL).content.decode()
    assert PARENTAL_URL not in content


def test_the_checklist_links_the_named_pathway_too(client, imh, publisher):
    give_entries(publisher)
    assert note_links(f"{IMH_URL}checklist/", client) == {PARENTAL_TITLE: PARENTAL_URL}


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Read with Foo & Bar.", 'Read with <a href="/p/foo/">Foo &amp; Bar</a>.'),
        ("<b>Foo & Bar</b>", '&lt;b&gt;<a href="/p/foo/">Foo &amp; Bar</a>&lt;/b&gt;'),
        # Case as written; not inside a longer word.
        ("read with foo & bar", "read with foo &amp; bar"),
        ("Foo & Barn", "Foo &amp; Barn"),
        # The longest title a name could be wins.
        ("Foo & Bar Extra", '<a href="/p/extra/">Foo &amp; Bar Extra</a>'),
    ],
)
def test_names_are_linked_escaped_and_as_written(text, html):
    names = [("Foo & Bar", "/p/foo/"), ("Foo & Bar Extra", "/p/extra/")]
    assert pathways_linked(text, names) == html


def test_a_title_with_markup_is_escaped_in_its_link():
    names = [('<img src=x onerror="1">', '/p/"x"/')]
    html = pathways_linked('See <img src=x onerror="1">', names)
    assert "<img" not in html
    assert 'href="/p/&quot;x&quot;/"' in html


def test_related_pathways_show_both_ways_once(client, imh, publisher):
    parental = give_entries(publisher)
    # The IMH pathway lists the parental one; the parental one lists nothing.
    assert summary_list(client.get(PARENTAL_URL).content.decode())["Related pathway"] == [
        "Infant Mental Health"
    ]
    content = client.get(PARENTAL_URL).content.decode()
    assert links(content)["Infant Mental Health"] == IMH_URL
    # Listed both ways, each is still named once.
    parental.related_pathways.add(imh)
    for url, other in ((PARENTAL_URL, "Infant Mental Health"), (IMH_URL, PARENTAL_TITLE)):
        assert summary_list(client.get(url).content.decode())["Related pathway"] == [other]


def test_a_draft_listing_a_pathway_is_not_shown_as_related(client, imh):
    draft = Pathway.objects.create(title="Draft Pathway", slug="draft-pathway")
    draft.related_pathways.add(imh)
    content = client.get(IMH_URL).content.decode()
    assert "Draft Pathway" not in content
    assert summary_list(content)["Related pathway"] == [
        "Parental Mental Health and Wellbeing (not yet available in Pathway Navigator)"
    ]


def test_a_published_pathway_listing_it_is_related_but_only_linked_with_entries(client, imh):
    other = Pathway.objects.create(
        title="Another Published Pathway", slug="another", status=Status.PUBLISHED
    )
    other.related_pathways.add(imh)
    related = summary_list(client.get(IMH_URL).content.decode())["Related pathways"]
    assert "Another Published Pathway (not yet available in Pathway Navigator)" in related
    assert "Another Published Pathway" not in links(client.get(IMH_URL).content.decode())
