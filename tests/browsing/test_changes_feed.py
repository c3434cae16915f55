"""The "What changed" page as an Atom feed per pathway: its approved changes, each linking to
its place on the page; public and cacheable; a draft's feed is a 404."""

import xml.etree.ElementTree as ET

from pathways.models import Status

from ..conftest import IMH_URL, approve_pending
from ..pagetext import element, elements
from ..second_pathway import PARENTAL_URL, give_entries
from .test_changes import CHANGES_URL, propose_criteria

FEED_URL = f"{CHANGES_URL}feed/"
ATOM = "{http://www.w3.org/2005/Atom}"


def feed_entries(client, url=FEED_URL) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [
        {
            "title": entry.find(f"{ATOM}title").text,
            "link": entry.find(f"{ATOM}link").get("href"),
            "summary": entry.find(f"{ATOM}summary").text or "",
        }
        for entry in root.iter(f"{ATOM}entry")
    ]


def test_the_feed_holds_the_approved_changes_of_the_page_newest_first(
    client, imh, editor, approver
):
    assert feed_entries(client) == []
    propose_criteria(client, editor, 190, "Where the GP has concerns.", "Matches the 2026 plan")
    # Pending: not in the feed, as not on the page.
    assert feed_entries(client) == []
    approve_pending(approver, "Checked")
    propose_criteria(client, editor, 140, "Where the family asks.")
    approve_pending(approver)
    page = client.get(CHANGES_URL).content.decode()
    summaries = [item.text for item in elements(page, "p", "change__summary")]
    entries = feed_entries(client)
    assert len(entries) == len(summaries) == 2
    for entry, summary in zip(entries, summaries, strict=True):
        assert summary.endswith(entry["title"])
    assert entries[1]["title"].endswith("criteria edited")
    assert "Approved by a second publisher" in entries[1]["summary"]
    assert "Reason: “Matches the 2026 plan”" in entries[1]["summary"]
    assert "Where the GP has concerns." in entries[1]["summary"]
    # Readers are never told a staff account's name.
    assert "erin" not in str(entries) and "ola" not in str(entries)


def test_each_entry_links_to_its_anchor_on_the_what_changed_page(client, imh, editor, approver):
    propose_criteria(client, editor, 190, "Where the GP has concerns.")
    approve_pending(approver)
    [entry] = feed_entries(client)
    address, anchor = entry["link"].split("#")
    assert address == f"http://testserver{CHANGES_URL}"
    item = element(client.get(CHANGES_URL).content.decode(), anchor)
    assert entry["title"] in item.text
    # A later change leaves the earlier one's anchor where it was.
    propose_criteria(client, editor, 140, "Where the family asks.")
    approve_pending(approver)
    assert entry["link"] in [later["link"] for later in feed_entries(client)]


def test_the_feed_is_linked_from_the_page_head_and_the_what_changed_page(client, imh):
    page = client.get(IMH_URL).content.decode()
    [alternate] = [
        link for link in elements(page, "link") if link.attrs.get("type") == "application/atom+xml"
    ]
    assert alternate.attrs["rel"] == "alternate"
    assert alternate.attrs["href"] == FEED_URL
    changes = client.get(CHANGES_URL).content.decode()
    [subscribe] = [a for a in elements(changes, "a") if a.attrs.get("href") == FEED_URL]
    assert subscribe.text == "Subscribe to these changes (Atom feed)"


def test_the_feed_is_public_and_cacheable(client, imh):
    response = client.get(FEED_URL)
    assert "public" in response["Cache-Control"]
    assert not response.cookies
    again = client.get(FEED_URL, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert client.head(FEED_URL).status_code == 200
    assert client.post(FEED_URL).status_code == 405


def test_an_unknown_draft_or_empty_pathways_feed_is_a_404(client, imh, publisher):
    assert client.get("/pathways/no-such-pathway/changes/feed/").status_code == 404
    # Published, but without entries: no page, no feed.
    assert client.get(f"{PARENTAL_URL}changes/feed/").status_code == 404
    give_entries(publisher)
    assert client.get(f"{PARENTAL_URL}changes/feed/").status_code == 200
    imh.status = Status.DRAFT
    imh.save()
    assert client.get(FEED_URL).status_code == 404


def test_signed_in_staff_get_a_draft_feed_privately(client, imh, editor):
    imh.status = Status.DRAFT
    imh.save()
    client.force_login(editor)
    response = client.get(FEED_URL)
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
