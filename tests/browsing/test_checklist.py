"""The printable visit checklist: the same filters as the browser, each action a line to
tick, the child's age in words, room for notes and the way back."""

from ..conftest import IMH_URL
from ..pagetext import elements, links, summary_list, visible_lines

CHECKLIST = f"{IMH_URL}checklist/"


def actions(content: str) -> dict[str, str]:
    """Each checkbox's id and the text of the label that names it, in page order."""
    labels = {label.attrs["for"]: label.text for label in elements(content, "label")}
    boxes = [
        box.attrs["id"] for box in elements(content, "input") if box.attrs["type"] == "checkbox"
    ]
    return {box: labels.get(box) for box in boxes}


def test_checklist_has_the_browsers_entries_for_the_same_filters(client, imh):
    query = {"stage": "3-5-years", "service": "childrens-centres-eyfs"}
    browser = client.get(IMH_URL, query)
    checklist = client.get(CHECKLIST, query)
    assert checklist.status_code == 200
    assert (
        [e.position for e in checklist.context["entries"]]
        == [e.position for e in browser.context["entries"]]
        == [180]
    )
    content = checklist.content.decode()
    assert "Targeted early intervention and consultation" in content
    assert "Early support for individual vulnerable /targeted families" in content
    assert "Follow-up Visiting schedule." not in content


def test_each_action_is_a_checkbox_line(client, imh):
    content = client.get(CHECKLIST, {"stage": "birth-6-weeks", "age": "3w"}).content.decode()
    boxes = actions(content)
    assert None not in boxes.values()  # every box has its label
    # Entry 20: one paragraph and four bullets, each its own line to tick.
    assert [b for b in boxes if b.startswith("action-20-")] == [
        "action-20-1",
        "action-20-1-1",
        "action-20-1-2",
        "action-20-1-3",
        "action-20-1-4",
    ]
    # Entry 30 has no interventions: its rationale is the one line to tick.
    assert "action-30" in boxes
    assert boxes["action-20-1-1"] == "NICU"


def test_an_as_above_entry_lists_what_it_repeats_to_tick(client, imh):
    content = client.get(CHECKLIST, {"age": "4y", "q": "massage"}).content.decode()
    assert "As above: Follow-up Visiting schedule. (1 - 3 years)" in content
    assert (
        actions(content)["action-170-above-1-8"]
        == "Deliver infant massage - undertaken at home, one to one."
    )


def test_checklist_states_age_service_date_review_and_link_back(client, imh, monkeypatch):
    from datetime import date

    from pathways import ages

    monkeypatch.setattr(ages, "uk_today", lambda: date(2026, 11, 23))
    content = client.get(
        CHECKLIST, {"age": "10w", "born_at_weeks": "32", "service": "health-visiting"}
    ).content.decode()
    assert (
        "Showing what applies at the child&#x27;s actual age, 10 weeks, and at their corrected "
        "age, 2 weeks."
    ) in content
    about = summary_list(content)
    assert about["Service"] == ["Health Visiting"]
    assert about["Date"] == ["23 November 2026"]
    assert "23 November 2026" in content
    # The fixtures record a review (before they did not, and this said "No review date").
    assert (
        "Last reviewed 2 March 2026 by Infant Mental Health clinical lead, Health Visiting; "
        "next review due 2 March 2027."
    ) in content
    # Room to write under "Notes", then where the list came from and the way back.
    back = f"{IMH_URL}?age=10w&born_at_weeks=32&service=health-visiting"
    lines = visible_lines(content)
    [notes] = elements(content, "div", "checklist__notes")
    assert lines[lines.index("Notes") + 1] == f"From http://testserver{back}"
    assert notes.attrs["aria-hidden"] == "true"
    assert links(content)["Back to the pathway"] == back


def test_checklist_without_filters_lists_everything(client, imh):
    response = client.get(CHECKLIST)
    assert len(response.context["entries"]) == 19
    content = response.content.decode()
    assert "Not given: every age" in content and "All services" in content


def test_checklist_empty_state_and_bad_input(client, imh):
    response = client.get(CHECKLIST, {"service": "primary-care-gp", "tag": "core-purpose-2"})
    # Both sentences of the contract's empty state, exactly (PRODUCT.md).
    lines = visible_lines(response.content.decode())
    empty = lines.index("There are no rationales that match your filters.")
    assert lines[empty + 1] == "Please amend your choices to see more rationales."
    # As on the page, no picture whose bars count what the filters hide.
    assert "The pathway in one picture" not in lines
    assert "timeline__bar" not in response.content.decode()
    assert "The pathway in one picture" in visible_lines(client.get(CHECKLIST).content.decode())
    response = client.get(CHECKLIST, {"age": "soon", "service": ["nope", "primary-care-gp"]})
    content = response.content.decode()
    assert response.status_code == 200
    assert "“nope” was not recognised" in content
    assert "Child&#x27;s age: Enter the child&#x27;s age using d, w, m or y" in content
    assert len(response.context["entries"]) == 1


def test_checklist_of_unknown_or_empty_pathway_is_404(client, imh):
    assert client.get("/pathways/nope/checklist/").status_code == 404
    assert (
        client.get("/pathways/parental-mental-health-and-wellbeing/checklist/").status_code == 404
    )


def test_browser_links_to_checklist_and_share_link_for_the_same_results(client, imh):
    content = client.get(
        IMH_URL, {"service": "primary-care-gp", "age": "", "q": ""}
    ).content.decode()
    shown = links(content)
    assert shown["Visit checklist for these results"] == f"{CHECKLIST}?service=primary-care-gp"
    assert (
        shown["Copy link to these results"] == f"http://testserver{IMH_URL}?service=primary-care-gp"
    )
    [share] = elements(content, "a", "share-link")
    assert share.text == "Copy link to these results" and "data-copy-link" in share.attrs


def test_checklist_carries_the_reading_notes_related_pathway_and_policy_context(client, imh):
    from ..pagetext import visible_lines

    lines = visible_lines(client.get(CHECKLIST).content.decode())
    notes = [note.text for note in imh.reading_notes.order_by("position")]
    start = lines.index(notes[0])
    assert lines[start : start + len(notes)] == notes
    assert any(line.startswith("Parental Mental Health and Wellbeing") for line in lines)
    assert imh.policy_context.title in lines
    assert lines.index(notes[0]) < lines.index("Birth - 6 weeks")  # read before the entries
