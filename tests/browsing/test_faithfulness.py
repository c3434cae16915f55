"""The pathway page says exactly what the seed page says: every line, in order, typos included."""

import re
from pathlib import Path

import pytest

from ..conftest import IMH_URL
from ..pagetext import is_subsequence, normalise, visible_lines

DATA = Path(__file__).parent.parent / "data"
# Visible in the results but not the seed's words: the count, each entry's link to report a
# problem with its content, the note on entries the seed gives no actions, and the closed
# disclosure repeating (word for word) what an "As above in ..." entry refers to.
OURS = {"results__count", "entry__actions", "entry__no-actions", "entry__repeats"}
NO_ACTIONS = "No actions listed in the source pathway"
EMPTY_STATE = [
    "There are no rationales that match your filters.",
    "Please amend your choices to see more rationales.",
]


def seed_lines(name: str) -> list[str]:
    lines = [normalise(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def pathway_seed_lines() -> list[str]:
    """Seed 000 from the title on, without the empty-state message (shown only when nothing
    matches) and without the second of the doubled "Health Visiting" lines (one service)."""
    lines = seed_lines("000_daf425ab71d75f66.txt")
    lines = lines[lines.index("Infant Mental Health") :]
    lines = [line for line in lines if line not in EMPTY_STATE]
    return [
        line
        for i, line in enumerate(lines)
        if not (line == "Health Visiting" and i > 0 and lines[i - 1] == "Health Visiting")
    ]


def test_the_seed_reading_is_what_we_think_it_is():
    lines = pathway_seed_lines()
    assert lines[0] == "Infant Mental Health"
    assert lines[-1].endswith("monitor results in partnership with HV team.")
    assert "Mental health admisisons to Mother and Baby Unit where possible." in lines
    assert len(lines) == 178


def test_full_page_contains_every_seed_line_in_order(client, imh):
    page = visible_lines(client.get(IMH_URL).content.decode())
    ok, missing = is_subsequence(pathway_seed_lines(), page)
    assert ok, f"missing or out of order: {missing!r}"


def test_results_are_the_seed_line_for_line(client, imh):
    """Stricter: the results region holds the seed's entries and nothing else visible
    (apart from the count and each entry's "Report a problem" link, which is ours, not the
    seed's), so nothing is added, dropped, merged or reordered."""
    html = client.get(IMH_URL).content.decode()
    results = visible_lines(html, within_id="results", skip_classes=OURS)
    seed = pathway_seed_lines()
    assert results == seed[seed.index("Birth - 6 weeks") :]


def test_the_skipped_report_links_hide_nothing_of_the_seed(client, imh):
    """The only visible lines the skip list drops are the 19 "Report a problem" links, the
    note on each entry without interventions and the "as above" disclosure (checked line for
    line below)."""
    from pathways.models import Entry

    html = client.get(IMH_URL).content.decode()
    everything = visible_lines(
        html, within_id="results", skip_classes={"results__count", "entry__repeats"}
    )
    links = [line for line in everything if line == "Report a problem with this content"]
    notes = [line for line in everything if line == NO_ACTIONS]
    seed = pathway_seed_lines()
    assert len(links) == 19
    assert len(notes) == Entry.objects.filter(interventions__isnull=True).count() > 0
    assert [line for line in everything if line not in {*links, *notes}] == seed[
        seed.index("Birth - 6 weeks") :
    ]


def test_the_as_above_disclosure_repeats_the_entry_it_refers_to_word_for_word(client, imh):
    """The 3 - 5 years follow-up ("As above in 1 - 3 years age range plus:") discloses the
    1 - 3 years follow-up's interventions, exactly as that entry's card shows them."""
    html = client.get(IMH_URL).content.decode()
    card = html[html.index('id="entry-170"') :]
    card = card[: card.index("</article>")]
    disclosed = visible_lines(card[card.index("<details") :])
    referred = html[html.index('id="entry-140"') :]
    referred = referred[: referred.index("</article>")]
    actions = visible_lines(referred[referred.index("Health Visiting") :], skip_classes=OURS)
    assert disclosed[0] == "What “as above” includes: Follow-up Visiting schedule. (1 - 3 years)"
    assert disclosed[1 : len(actions)] == actions[1:]
    assert disclosed[len(actions)] == (
        "Carry out early years setting observations to ascertain behaviour patterns and "
        "identify disordered attachment."
    )


def test_an_entry_without_interventions_says_so(client, imh):
    from pathways.models import Entry

    empty = Entry.objects.filter(interventions__isnull=True).order_by("position").first()
    html = client.get(IMH_URL).content.decode()
    card = re.search(rf'<article[^>]*id="entry-{empty.number}".*?</article>', html, re.S)[0]
    assert NO_ACTIONS in card
    full = re.search(r'<article[^>]*id="entry-10".*?</article>', html, re.S)[0]
    assert NO_ACTIONS not in full
    checklist = client.get(f"{IMH_URL}checklist/").content.decode()
    assert checklist.count(NO_ACTIONS) == Entry.objects.filter(interventions__isnull=True).count()


def test_reading_notes_come_right_after_the_title(client, imh):
    page = visible_lines(client.get(IMH_URL).content.decode())
    start = page.index("Infant Mental Health")
    assert page[start + 1 : start + 4] == pathway_seed_lines()[1:4]


def test_empty_state_is_absent_when_anything_matches(client, imh):
    content = client.get(IMH_URL).content.decode()
    for line in EMPTY_STATE:
        assert line not in content


def delivery_plan_seed_lines() -> list[str]:
    """Seed 004 without "Back to top"; area 3's heading, printed as "Area of focus: 3." over
    its text, is read like the other nine ("Area of focus:" over "3. text")."""
    lines = [line for line in seed_lines("004_45ee33944793d219.txt") if line != "Back to top"]
    out = []
    for i, line in enumerate(lines):
        numbered = re.fullmatch(r"Area of focus: (\d+)\.", line)
        if numbered:
            out.append("Area of focus:")
            lines[i + 1] = f"{numbered[1]}. {lines[i + 1]}"
        else:
            out.append(line)
    return out


@pytest.mark.parametrize("url", ["/documents/pimh-delivery-plan-2021-2022/"])
def test_delivery_plan_page_contains_every_seed_line_in_order(client, imh, url):
    page = visible_lines(client.get(url).content.decode())
    seed = delivery_plan_seed_lines()
    assert len(seed) == 47
    ok, missing = is_subsequence(seed, page)
    assert ok, f"missing or out of order: {missing!r}"


def test_a_corrected_typo_would_be_caught(client, imh):
    """The comparison is strict enough to notice one changed letter."""
    from pathways.models import Intervention

    intervention = Intervention.objects.get(text__contains="admisisons")
    intervention.text = intervention.text.replace("admisisons", "admissions")
    intervention.save()
    html = client.get(IMH_URL).content.decode()
    results = visible_lines(html, within_id="results", skip_classes=OURS)
    seed = pathway_seed_lines()
    assert results != seed[seed.index("Birth - 6 weeks") :]
    assert is_subsequence(seed, visible_lines(html)) == (
        False,
        "Mental health admisisons to Mother and Baby Unit where possible.",
    )
