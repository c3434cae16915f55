"""What a CDS Hooks card says: a summary in practitioners' words, the actions themselves
grouped by what they are for, and a link to the pathway page that carries no personal data.

The card is made from the entries the pathway browser's FilterSet selects for the child
(cds_hooks.applicable), so the card and the page it links to show the same entries.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import QueryDict

from ..ages import APPLIES_AT
from ..local.reading import AREA, LocalDirectory, ServiceShown
from ..models import Entry, Pathway
from ..public import filter_entries
from .fhir import absolute_url, markdown

# The specification: "One-sentence, <140-character summary message".
SUMMARY_LIMIT = 140
# A card is read in a side panel of the record, beside the child's notes: about a screen of
# text. Naming every thing to consider takes up to ~900 characters at one age of the seed
# pathway; this leaves room for the first actions of several (docs/integration.md has the
# measurements). Beyond it the card says how many actions it leaves out; the link has all.
DETAIL_LIMIT = 1500
# What a group says for criteria given in full under an earlier group.
SAME_CRITERIA = "In the cases given above."
# An area's services on its card: each on a line this long at most (a longer one sends the
# reader to the page, where the whole route is).
LOCAL_LINE_LIMIT = 300
# Card uuids: the same hook call gets the same card uuid, so feedback can name it.
CARD_NAMESPACE = uuid.UUID("9b4f2d1e-6f7a-4c1b-9f0e-2a7d8c3b5e61")


def same_words(text: str) -> str:
    """Text as compared for repeats: case, spacing and a closing full stop aside."""
    return " ".join(text.split()).casefold().rstrip(".")


@dataclass
class Group:
    """Entries of the card that say the same thing (one rationale), with their actions."""

    rationale: str
    bands: list[str] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    criteria: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


@dataclass
class Action:
    """One intervention (its paragraph and its bullets), given once on the card."""

    text: str
    also_at: list[str] = field(default_factory=list)

    def line(self) -> str:
        also = f" (also at {markdown('; '.join(self.also_at))})" if self.also_at else ""
        return f"- {markdown(self.text)}{also}"


def action_text(intervention) -> str:
    bullets = "; ".join(" ".join(b.split()) for b in intervention.bullet_points)
    text = " ".join(intervention.text.split())
    return f"{text} {bullets}" if text and bullets else text or bullets


def entry_interventions(entry: Entry) -> list:
    """What the page shows under the entry: the interventions of the entry it repeats ("as
    above"), then its own."""
    shown = entry.repeats_shown
    repeated = list(shown.interventions.all()) if shown is not None else []
    return repeated + list(entry.interventions.all())


def band_words(entry: Entry, child_age) -> str:
    band = entry.age_band
    mark = child_age.applies_at(band.start_days, band.end_days)
    # "both" is the common case and says nothing a reader needs.
    return (
        f"{band.label} (at {APPLIES_AT[mark]})" if mark in {"actual", "corrected"} else band.label
    )


def grouped(entries: list[Entry], child_age) -> list[Group]:
    """The entries by rationale, in page order; each action once, under the first group that
    has it, naming the other bands it applies at; each criteria text once, then "as above"."""
    groups: dict[str, Group] = {}
    actions: dict[str, tuple[Action, Group]] = {}
    criteria: dict[str, Group] = {}
    for entry in entries:
        group = groups.setdefault(same_words(entry.rationale), Group(entry.rationale))
        band = band_words(entry, child_age)
        if band not in group.bands:
            group.bands.append(band)
        group.labels.add(entry.age_band.label)
        said = same_words(entry.criteria)
        if said and criteria.setdefault(said, group) is group:
            if entry.criteria not in group.criteria:
                group.criteria.append(entry.criteria)
        elif said and SAME_CRITERIA not in group.criteria:
            group.criteria.append(SAME_CRITERIA)
        for intervention in entry_interventions(entry):
            text = action_text(intervention)
            seen = actions.get(same_words(text))
            if seen is None:
                action = Action(text)
                actions[same_words(text)] = (action, group)
                group.actions.append(action)
            elif entry.age_band.label not in seen[1].labels | set(seen[0].also_at):
                seen[0].also_at.append(entry.age_band.label)
    return list(groups.values())


def summary(pathway: Pathway, groups: int, child_age) -> str:
    things = "thing to consider" if groups == 1 else "things to consider"
    age = child_age.actual_in_words
    if child_age.is_corrected:
        age = f"{age} (corrected age {child_age.in_words})"
    text = f"{pathway.title}: {groups} {things} at {age}"
    if len(text) >= SUMMARY_LIMIT:
        text = f"{groups} {things} at {age}"
    return text[: SUMMARY_LIMIT - 1]


def heading(group: Group) -> str:
    """A group's heading: its bands (and at which age each applies) and its rationale."""
    return f"**{markdown(', '.join(group.bands))}: {markdown(group.rationale)}**"


PLURALS = {
    "heading": "headings",
    "action": "actions",
    "criterion": "criteria",
    "local service": "local services",
}


def left_out(counts: dict[str, int]) -> str:
    said = [f"{n} more {what if n == 1 else PLURALS[what]}" for what, n in counts.items() if n]
    return f"Not shown here: {' and '.join(said)}. The pathway page (link below) has them all."


def fitted(head: list[str], groups: list[Group], tail: list[str]) -> str:
    """The detail within DETAIL_LIMIT: `head`; every group's heading (as many as fit, in order:
    each is a thing to consider); under them, their criteria and actions, one line per group
    per round while they fit (a group stops at its first line that does not, so no action is
    shown without its criteria); a line counting what is left out; then `tail`."""
    worst = left_out({"heading": 999, "action": 999, "criterion": 999})
    room = DETAIL_LIMIT - sum(len(part) + 2 for part in [*head, *tail, worst])
    kept = []
    for group in groups:
        if len(heading(group)) + 2 > room:
            break
        kept.append([heading(group)])
        room -= len(kept[-1][0]) + 2
    hidden = {"heading": len(groups) - len(kept), "action": 0, "criterion": 0}
    unders = [[markdown(c) for c in g.criteria] + [a.line() for a in g.actions] for g in groups]
    shown = [0] * len(kept)
    # Round by round, each group's next line where it fits: every group gets its first
    # actions before any gets its last.
    for line_number in range(max(map(len, unders), default=0)):
        for number, lines in enumerate(kept):
            under = unders[number]
            if shown[number] == line_number < len(under) and len(under[line_number]) < room:
                lines.append(under[line_number])
                room -= len(under[line_number]) + 1
                shown[number] += 1
    for number, group in enumerate(groups):
        lines_shown = shown[number] if number < len(kept) else 0
        hidden["criterion"] += max(len(group.criteria) - lines_shown, 0)
        hidden["action"] += len(group.actions) - max(lines_shown - len(group.criteria), 0)
    blocks = ["\n".join(head)] if head else []
    blocks += ["\n".join(lines) for lines in kept]
    if any(hidden.values()):
        blocks.append(left_out(hidden))
    return "\n\n".join([*blocks, *tail])


def selection(filterset, entries: list[Entry]) -> list[tuple[int, str | None]]:
    """The entries a page shows, each with the age it applies at ("both", "actual", ...)."""
    child_age = filterset.child_age
    return [
        (e.pk, child_age.applies_at(e.age_band.start_days, e.age_band.end_days)) for e in entries
    ]


def page_query(pathway: Pathway, filterset, entries: list[Entry]) -> dict:
    """The pathway page's query for the card's entries, with no date of birth: the age in
    whole weeks, and the gestation as the record gave it when the age is corrected for it.
    Where a band starts within the week, so that whole weeks would show other entries (or
    mark them at another age), the first day in the week that shows the same; with none
    (around a second birthday), no age at all."""
    child_age = filterset.child_age
    query = {}
    if child_age.is_corrected:
        query["born_at_weeks"] = filterset.data["born_at_weeks"]
    wanted = selection(filterset, entries)
    weeks = child_age.actual_days // 7
    ages = [f"{weeks}w", *(f"{days}d" for days in range(weeks * 7 + 1, child_age.actual_days + 1))]
    for age in ages:
        params = QueryDict(mutable=True)
        params.update({**query, "age": age})
        linked = filter_entries(pathway, params)
        if selection(linked, list(linked.qs)) == wanted:
            return {"age": age, **query}
    return {}


def local_line(local: LocalDirectory, service: ServiceShown) -> str:
    """A service on the card: "**In <area>:** <service> — refer: <route>; phone <phone>"."""
    name = f"{service.name} ({service.example_words})" if service.is_example else service.name
    route = service.referral_route or service.referral_form_url
    route = route or (service.referral_email and f"email {service.referral_email}")
    said = [f"refer: {route.strip().rstrip('.')}"] if route else []
    said += [f"phone {service.referral_phone}"] if service.referral_phone else []
    said += ["details overdue for checking"] if service.is_verification_overdue else []
    start = f"**In {markdown(local.area.name)}:** {markdown(name)}"
    line = f"{start} — {markdown('; '.join(said))}"
    if len(line) > LOCAL_LINE_LIMIT:
        line = f"{start} — how to refer is on the pathway page (link below)"
    return line


def local_card(
    pathway: Pathway, local: LocalDirectory, entries: list[Entry], hook_instance: str, url: str
) -> dict | None:
    """The area's own card beside the pathway's: the services serving the card's entries, each
    on a line (as many as fit, the rest counted), linking to the same page with the area. The
    pathway's card is never changed by an area: an area adds, it takes no room from the
    national actions."""
    serving = local.serving(entries)
    if not serving:
        return None
    lines = [local_line(local, s) for s in serving]
    worst = left_out({"local service": 999})
    kept = []
    room = DETAIL_LIMIT - len(worst) - 2
    for line in lines:
        if len(line) + 2 > room:
            break
        kept.append(line)
        room -= len(line) + 2
    blocks = kept + (
        [left_out({"local service": len(lines) - len(kept)})] if lines[len(kept) :] else []
    )
    services = "local service" if len(serving) == 1 else "local services"
    area = local.area.name
    return {
        "uuid": str(
            uuid.uuid5(CARD_NAMESPACE, f"{hook_instance} {pathway.slug} {local.area.slug}")
        ),
        "summary": f"{area}: {len(serving)} {services} for these things to consider"[
            : SUMMARY_LIMIT - 1
        ],
        "detail": "\n\n".join(blocks),
        "indicator": "info",
        "source": {"label": f"Pathway Navigator: local services in {area}"},
        "links": [
            {"label": f"{pathway.title} in {area}: how to refer", "url": url, "type": "absolute"}
        ],
    }


def cards_for(
    pathway: Pathway,
    filterset,
    entries: list[Entry],
    note,
    hook_instance: str,
    local: LocalDirectory | None = None,
) -> list[dict]:
    """The pathway's card for the child and, with `local`, the area's card beside it (when any
    of its services serves the entries); both link to the page with the area."""
    child_age = filterset.child_age
    groups = grouped(entries, child_age)
    head = [] if child_age.is_corrected else [markdown(s) for s in child_age.sentences()[1:]]
    if note:
        head.append(markdown(note))
    tail = []
    overdue = pathway.is_review_overdue
    if overdue:
        due = f"{pathway.next_review_due.day} {pathway.next_review_due:%B %Y}"
        tail.append(f"This pathway's review was due on {due}: check it against current practice.")
    page = pathway.get_absolute_url()
    query = page_query(pathway, filterset, entries)
    if local is not None:
        query[AREA] = local.area.slug
    url = absolute_url(f"{page}?{urlencode(query)}" if query else page)
    national = {
        "uuid": str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance} {pathway.slug}")),
        "summary": summary(pathway, len(groups), child_age),
        "detail": fitted(head, groups, tail),
        "indicator": "warning" if overdue else "info",
        "source": {"label": f"Pathway Navigator: {pathway.title}", "url": absolute_url(page)},
        "links": [
            {"label": f"{pathway.title}: what applies at this age", "url": url, "type": "absolute"}
        ],
    }
    added = local_card(pathway, local, entries, hook_instance, url) if local else None
    return [national, added] if added else [national]
