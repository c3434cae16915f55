"""Offline filtering agrees with the server, over generated combinations of every filter.

The saved, unfiltered pathway page is opened with the network off, once; then for each
generated query string the test calls offline.js's own `filterCards` (the code path the form,
Back and Forward use) and reads the page. What is compared with the server's page for the
same query string (fetched with Django's test client):

- the set of visible entry ids (`entry-<position>`): a set, because on PostgreSQL the server
  ranks search results within a stage while the saved page keeps seed order;
- the count line ("Showing N of M rationales"), word for word;
- the stage headings shown (none without a card under it; none when filtered by age, where
  each card is listed naming its stage);
- the empty state: shown offline exactly when the server shows it, with the server's words,
  and the pathway's range beside it for a child of 5 or more;
- with a gestation: the union of what applies at the actual and corrected ages, and each
  card's mark (actual, corrected or both), for generated cases and the clinical review's;
- a date of birth, typed every way the form reads one (and some it does not), days and
  years before today, about the second birthday and past the oldest age, with a gestation
  or a typed age too: read as the server reads it;
- what the page says about the ages it used (actual and corrected, in words), word for word;
- the notices offline gives for a typed age or search it cannot use are among the server's.

Search words are taken from the pathway's own text (letters only, any case, some negated
with -, some with a typo) and the glossary. Both sides match by stems (the server hands the
page its words' stems), one typo in words of five letters or more, and the glossary's other
names; a second test runs issue 11's searches word for word.
"""

import random
import re
from datetime import date, timedelta
from urllib.parse import quote_plus, urlencode

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from pathways.ages import uk_today
from pathways.models import AgeBand, Entry, Service, Stage, Tag
from pathways.search import normalise

from ..conftest import IMH_URL
from ..pagetext import element, elements
from ..test_child_age import SEVEN_WEEKS_BORN_AT_30, TEN_WEEKS_BORN_AT_32

SAVED = "Saved on this device: this pathway and its filters work without a signal."
COMBINATIONS = 240
# Band edges from the issue, and unit forms; the bands' own edges are added from the data.
AGES = ["41d", "42d", "55d", "56d", "182d", "183d", "364d", "365d", "1095d", "1096d"]
AGES += ["1825d", "1826d", "0d", "6w", "8w", "10w", "26w", "6m", "13m", "2y", "1y6m", "5y"]
AGES += ["3 weeks", "1 year 6 months", " 9W ", "20y", "10", "ten weeks", "4" * 41]
GESTATIONS = ["30", "32", "32+4", "32w4d", "32 weeks 4 days", "22+0", "21+6", "36+6", "37"]
GESTATIONS += ["28", "24", "thirty", "32+7", "9" * 21]
# Dates of birth, as days before today in the UK (negative: in the future), written every way
# the form reads one, and some it does not.
DOB_DAYS = [0, 1, 6, 7, 41, 42, 70, 181, 182, 183, 364, 365, 366, 729, 730, 731, 1095, 1826]
DOB_DAYS += [6934, 6935, 6936, -1, -40]
DOB_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%-d/%-m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y"]
DOB_FORMATS += ["%-d %b %Y", "%d %B %Y", "%-d %B, %Y", "%d %b %y", "  %d/%m/%Y "]
DOB_WRONG = ["31/02/2026", "2026-13-01", "29/02/2025", "yesterday", "1" * 21, "0000-01-01"]
DOB_WRONG += ["3 Sept 2026", "3 sept 26", "12/3", "2026/03/12"]


def date_of_birth(rng: random.Random) -> str:
    """A date of birth as a practitioner might type it, from today's date in the UK."""
    if rng.random() < 0.15:
        return rng.choice(DOB_WRONG)
    today = uk_today()
    born = today - timedelta(days=rng.choice(DOB_DAYS) + rng.choice([0, 0, 15, 200]))
    if rng.random() < 0.15:
        # About the second birthday, where correction stops: the day before, on and after.
        born = date(today.year - 2, today.month, min(today.day, 28))
        born += timedelta(days=rng.choice([-1, 0, 1]))
    return born.strftime(rng.choice(DOB_FORMATS))


# The clinical review's cases (issue 11), with the marks the server must give.
CORRECTED_CASES = {
    "age=7w&born_at_weeks=30": SEVEN_WEEKS_BORN_AT_30,
    "age=10w&born_at_weeks=32": TEN_WEEKS_BORN_AT_32,
    f"age=10w&born_at_weeks={quote_plus('32+4')}": TEN_WEEKS_BORN_AT_32,
    "age=730d&born_at_weeks=30": dict.fromkeys([140, 150, 160, 180, 190], "both"),
    "age=2y&born_at_weeks=30": dict.fromkeys([140, 150, 160, 180, 190]),
    "age=5y": {},
    "age=5y&born_at_weeks=30": {},
}


def server_answer(client: Client, query: str) -> dict:
    """The server's page for the query, read as FILTER_IN_PAGE reads the page offline."""
    html = client.get(f"{IMH_URL}?{query}").content.decode()
    # The results, not the templates offline.js copies (which follow the rules).
    panel = element(html, "results-panel").markup
    results = element(html, "results").markup
    return {
        "ids": {card.attrs["id"] for card in elements(results, "article", "entry")},
        "count": element(html, "result-count").text,
        "stages": [heading.text for heading in elements(results, "h2", "results__stage-heading")],
        "listed": [stage.text for stage in elements(results, "span", "results__item-stage")],
        "empty": [
            tuple(p.text for p in elements(empty.markup, "p") if "results__range" not in p.classes)
            for empty in elements(results, "div", "results__empty")
        ],
        "marks": {
            elements(item.markup, "article", "entry")[0].attrs["id"]: item.attrs["data-applies-at"]
            for item in elements(results, "div", "results__item")
            if "data-applies-at" in item.attrs
        },
        "range": [p.text for p in elements(results, "p", "results__range")],
        "said": [
            p.text for box in elements(panel, "div", "child-age") for p in elements(box.markup, "p")
        ],
        "notices": {
            item.text
            for notices in elements(panel, "div", "results__notices")
            for item in elements(notices.markup, "li")
        },
    }


FILTER_IN_PAGE = """async (query) => {
  const site = document.querySelector('script[src*="site.js"]').src;
  const { filterCards } = await import(new URL("offline.js", site).href);
  const notices = await filterCards(new URLSearchParams(query));
  const shown = (selector) => Array.from(document.querySelectorAll(selector));
  return {
    ids: shown("#results .entry").map((card) => card.id),
    marks: Object.fromEntries(shown("#results .results__item[data-applies-at]").map((item) =>
      [item.querySelector(".entry").id, item.dataset.appliesAt])),
    range: shown("#results .results__range").map((p) => p.textContent),
    said: shown("#results-panel .child-age p").map((p) => p.textContent),
    count: document.getElementById("result-count").textContent.trim(),
    stages: shown("#results .results__stage-heading").map((h) => h.textContent),
    listed: shown("#results .results__item-stage").map((s) => s.textContent),
    empty: shown("#results .results__empty").map((empty) =>
      Array.from(empty.querySelectorAll("p:not(.results__range)"), (p) => p.textContent.trim())),
    notices,
  };
}"""


def generated_queries(rng: random.Random) -> list[str]:
    """Query strings mixing every parameter, from the pathway's own values and words."""
    edges = {days for band in AgeBand.objects.all() for days in (band.start_days, band.end_days)}
    ages = AGES + [f"{days + step}d" for days in sorted(edges) for step in (-1, 0)]
    choices = {
        "stage": [*Stage.objects.values_list("slug", flat=True), "never"],
        "service": [*Service.objects.values_list("slug", flat=True), "nope"],
        "tag": [*Tag.objects.values_list("slug", flat=True)],
    }
    text = " ".join(
        normalise(
            " ".join(
                [
                    entry.rationale,
                    entry.criteria,
                    *[f"{i.text} {i.bullets}" for i in entry.interventions.all()],
                ]
            )
        )
        for entry in Entry.objects.prefetch_related("interventions")
    )
    words = sorted(set(re.findall(r"[a-z]{3,}", text)))
    assert len(words) > 100
    glossary = ["NICU", "SW", "PND", "neonatal", "depression", "worker", "GP", "unit"]
    # Compounds spelt three ways, and words of the services' and tags' names.
    glossary += ["post-natal", "post+natal", "postnatal", "childrens", "eyfs", "purpose"]
    # A letter dropped or two swapped: still found when the word has five letters or more.
    typos = [w[:2] + w[3:] for w in words[::7]] + [w[0] + w[2] + w[1] + w[3:] for w in words[::9]]

    def word() -> str:
        chosen = rng.choice(words + glossary + typos + ["zebra", "qqq"])
        chosen = rng.choice([chosen, chosen.upper(), chosen.title()])
        return f"-{chosen}" if rng.random() < 0.2 else chosen

    queries = []
    for _ in range(COMBINATIONS):
        params = []
        names = ["stage", "service", "tag", "age", "dob", "q"]
        for name in rng.sample(names, rng.randint(1, 4)):
            if name in ("age", "dob"):
                typed = rng.choice(ages) if name == "age" else date_of_birth(rng)
                params.append((name, quote_plus(typed)))
                if rng.random() < 0.4:
                    params.append(("born_at_weeks", quote_plus(rng.choice(GESTATIONS))))
            elif name == "q":
                params.append(("q", " ".join(word() for _ in range(rng.randint(1, 2)))))
            else:
                params += [(name, rng.choice(choices[name])) for _ in range(rng.randint(1, 2))]
        queries.append("&".join(f"{k}={v}" for k, v in params).replace(" ", "+"))
    return queries


@pytest.mark.browser
def test_offline_filtering_agrees_with_the_server_on_generated_combinations(page: Page, live_imh):
    queries = generated_queries(random.Random(20261202))
    assert len(set(queries)) >= 200
    # Every band edge and every parameter is in the mix.
    assert {"age=41d", "age=42d", "age=1825d", "age=1826d"} <= {
        part for query in queries for part in query.split("&")
    }
    page.goto(live_imh)
    expect(page.get_by_text(SAVED)).to_be_visible()
    page.context.set_offline(True)
    page.reload()
    expect(page.locator(".offline-notice")).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.offlineCopy") is not None

    client = Client()
    outcomes = set()
    corrected = from_birth = corrected_from_birth = 0
    for query in [*CORRECTED_CASES, *queries]:
        server = agree(page, client, query)
        if query in CORRECTED_CASES:
            expected = CORRECTED_CASES[query]
            assert server["ids"] == {f"entry-{position}" for position in expected}, query
            marked = {f"entry-{p}": mark for p, mark in expected.items() if mark}
            assert server["marks"] == marked, query
        outcomes.add(len(server["ids"]))
        corrected += query not in CORRECTED_CASES and bool(server["marks"])
        said_today = any(" today" in sentence for sentence in server["said"])
        from_birth += said_today
        corrected_from_birth += said_today and bool(server["marks"])
    # The combinations reach empty, partial and full results, not one answer over and over.
    assert 0 in outcomes and 19 in outcomes and len(outcomes) >= 8
    # Generated gestations reach corrected results with marks, not only the fixed cases.
    assert corrected >= 10
    # Dates of birth are read, to ages and to corrected ages, not only refused.
    assert from_birth >= 20 and corrected_from_birth >= 3, (from_birth, corrected_from_birth)


def agree(page: Page, client: Client, query: str) -> dict:
    """Filters the saved page offline and asks the server; asserts both say the same and
    returns the server's answer."""
    server = server_answer(client, query)
    offline = page.evaluate(FILTER_IN_PAGE, query)
    assert set(offline["ids"]) == server["ids"], query
    assert offline["count"] == server["count"], query
    assert offline["stages"] == server["stages"], query
    assert sorted(offline["listed"]) == sorted(server["listed"]), query
    assert [tuple(e) for e in offline["empty"]] == server["empty"], query
    assert set(offline["notices"]) <= server["notices"], query
    assert offline["marks"] == server["marks"], query
    assert offline["range"] == server["range"], query
    assert offline["said"] == server["said"], query
    return server


def entries(*positions: int) -> set[str]:
    return {f"entry-{position}" for position in positions}


# Issue 11's searches, as typed, with what each must find (tests/test_search.py has the why).
ISSUE_11 = [
    ({"q": "children's centre"}, entries(50, 70, 80, 100, 110, 120, 130, 140, 170, 180)),
    ({"q": "children’s centre"}, entries(50, 70, 80, 100, 110, 120, 130, 140, 170, 180)),
    ({"q": "parent-infant"}, entries(140, 170, 190)),
    ({"q": "Parent–Infant"}, entries(140, 170, 190)),
    ({"q": "admissions"}, entries(10)),
    ({"q": "neonatal"}, entries(20)),
    ({"q": "NICU"}, entries(20)),
    ({"q": "depression"}, entries(50, 70, 100, 140, 170)),
    ({"q": "PND"}, entries(50, 70, 100, 140, 170)),
    ({"q": "attached"}, entries(50, 70, 100, 140, 170, 180, 190)),
    ({"q": "attachment"}, entries(50, 70, 100, 140, 170, 180, 190)),
    ({"q": "attaching"}, entries(50, 70, 100, 140, 170, 180, 190)),
    ({"q": "SW"}, entries(20, 180)),
    ({"q": "social worker"}, entries(20, 180)),
    ({"q": '"social worker"'}, entries(20, 180)),
    ({"q": "massage", "age": "4y"}, entries(170)),
    ({"q": "massgae -fathers"}, entries(60, 80)),
    ({"q": "babz"}, set()),
    # Issue 23: a compound however written, and the services' and tags' names.
    ({"q": "postnatal"}, entries(20, 50, 70, 100, 140, 170)),
    ({"q": "post-natal"}, entries(20, 50, 70, 100, 140, 170)),
    ({"q": "Post Natal"}, entries(20, 50, 70, 100, 140, 170)),
    ({"q": '"post natal"'}, entries(20, 50, 70, 100, 140, 170)),
    ({"q": "natal"}, entries(20)),
    ({"q": "childrens centre"}, entries(50, 70, 80, 100, 110, 120, 130, 140, 170, 180)),
    ({"q": "EYFS"}, entries(80, 110, 120, 130, 180)),
    ({"q": '"core purpose 2"'}, entries(60, 80, 90, 110, 120, 130, 150, 160, 180)),
    ({"q": '"eyfs core"'}, set()),
    ({"q": "the"}, set()),
    # The search alone empties the page: both say how many the other filters find.
    ({"q": "xylophone", "service": "health-visiting"}, set()),
]


@pytest.mark.browser
def test_offline_search_agrees_with_the_server_on_issue_11s_searches(page: Page, live_imh):
    page.goto(live_imh)
    expect(page.get_by_text(SAVED)).to_be_visible()
    page.context.set_offline(True)
    page.reload()
    expect(page.locator(".offline-notice")).to_be_visible()
    client = Client()
    for params, expected in ISSUE_11:
        assert agree(page, client, urlencode(params))["ids"] == expected, params
    empty = page.evaluate(FILTER_IN_PAGE, "q=xylophone&service=health-visiting")["empty"]
    assert empty[0][2].startswith("No rationales match “xylophone”. 13 rationales match")
