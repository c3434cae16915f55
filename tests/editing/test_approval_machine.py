"""The two-person rule, tried on every path by a Hypothesis state machine (issue 21).

An editor (erin) and two publishers (pia, ola) work through the admin's own views, as a
browser does: each step GETs the form, reads the CSRF token and every field from the HTML,
changes what the step changes and POSTs it, with CSRF checks on. The test keeps its own model
of what is approved, per object: the approved content, its authors since the last approval
and its pending change, updated by the rules of docs/editing.md's gate (the "gate spec"), never
by reading the app's content tables (the ORM only finds ids). After every step, every surface
an anonymous reader has must show exactly the approved content of that model: each version of
each text carries a token of its own (such as "zqvbcbcbck"), so a surface shows a version when
it holds its token.

CI runs 50 sequences of up to 30 steps, in two shares of 25 with a fixed seed each
(pytest-xdist runs the shares side by side), so a red build is the same red build again. For a
larger budget (a nightly run) set APPROVAL_MACHINE_EXAMPLES, e.g.
`APPROVAL_MACHINE_EXAMPLES=2000 pytest -n 2 tests/editing/test_approval_machine.py`; with
APPROVAL_MACHINE_RANDOM=1 the sequences differ on every run as well.
"""

from __future__ import annotations

import copy
import datetime
import functools
import inspect
import json
import os
import re
import sys
import time
import uuid
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, note, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RULE_MARKER,
    Bundle,
    RuleBasedStateMachine,
    get_state_machine_test,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from pathways import ages
from pathways.editing.page_text import PageText, TextEntry, TextIntervention, write_page_text
from pathways.local.models import LocalNote, LocalService
from pathways.models import (
    AgeBand,
    ContextDocument,
    DocumentSection,
    Entry,
    GlossaryTerm,
    Intervention,
    Pathway,
    Service,
    Stage,
    Tag,
)
from pathways.operations import caching
from pathways.publishing import PendingChange

from ..conftest import staff_group
from .htmlforms import csrf_token, the_form
from .machine_local import (
    AREAS,
    EDITOR,
    NATIONAL,
    USERS,
    LocalSteps,
    may_decide,
    may_publish,
    service_name,
)

SLUG = "machine-pathway"
PAGE = f"/pathways/{SLUG}/"
DOCUMENT = "machine-plan"
TERM = "ZQG"
HTMX = {"HX-Request": "true"}

# CDS Hooks: the site trusts one test EHR, which signs each call (as in test_cds_hooks.py).
SITE = "https://pathways.example.nhs.uk"
ISSUER = "https://ehr.example.nhs.uk"
EHR_KEY = ec.generate_private_key(ec.SECP384R1())

# A token per version of a text. Three copies of a two-letter counter: two tokens differ in
# at least three letters, so a one-letter typo of one is never within one letter of another.
LETTERS = "bcdfghjklmnprstw"
TOKEN = re.compile(r"zqv[a-z]{6}k")


def token_number(n: int) -> str:
    pair = LETTERS[n // len(LETTERS) % len(LETTERS)] + LETTERS[n % len(LETTERS)]
    return f"zqv{pair * 3}k"


def typo(token: str) -> str:
    """The token with one letter wrong (a vowel where it has a consonant)."""
    return token[:5] + "a" + token[6:]


# The model. ---------------------------------------------------------------------------------


@dataclass
class Pending:
    """A change the model expects to be waiting: its kind, the content it proposes and who
    proposed it."""

    kind: str  # create, change, publish, unpublish, delete, revert
    content: dict
    proposers: set[str]
    base: dict  # the row's content when it was first proposed


@dataclass
class Thing:
    """One object as the model knows it. `content` is what its row holds: the approved
    version for live content, the working draft for a draft. `status` is None for content
    that is always live once it exists (documents, tags)."""

    kind: str  # entry, term, document, tag, service, note
    content: dict
    status: str | None
    exists: bool = True
    saved_authors: set[str] = field(default_factory=set)
    pending: Pending | None = None
    area: str | None = None  # a local service's or note's area; None: national content

    @property
    def live(self) -> bool:
        return self.exists and self.status in (None, "published")

    @property
    def authors(self) -> set[str]:
        """Who authored a part of it since its last approved version (gate spec)."""
        return self.saved_authors | (self.pending.proposers if self.pending else set())

    @property
    def current(self) -> dict:
        """The version its admin form opens on: the proposed one while a change waits."""
        return self.pending.content if self.pending else self.content


def body(response) -> str:
    content = b"".join(response) if response.streaming else response.content
    return re.sub(r"</?mark>", "", content.decode())


def issuer_of(area: str | None) -> str:
    """The test EHR as it calls from an area (an issuer mapped to it), or nationally."""
    return f"{ISSUER}/{area}" if area else ISSUER


def signed_call(issuer: str = ISSUER) -> str:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": f"{SITE}/cds-services/{SLUG}",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, EHR_KEY, algorithm="ES384", headers={"kid": "ehr-key-1"})


def public_jwk() -> dict:
    key = jwt.algorithms.ECAlgorithm.to_jwk(EHR_KEY.public_key(), as_dict=True)
    return {**key, "kid": "ehr-key-1", "use": "sig", "alg": "ES384"}


SESSIONS: dict = {}


def signed_in() -> tuple[dict[str, Client], dict[str, str]]:
    """A browser session per person, signed in once per test run (outside each sequence's
    savepoint, so the sessions outlive it), with its CSRF token: a session's token stays good
    for all its forms, as in a browser's tab."""
    if not SESSIONS:
        for name in USERS:
            client = Client(enforce_csrf_checks=True)
            client.force_login(User.objects.get(username=name))
            SESSIONS[name] = (client, csrf_token(body(client.get("/admin/"))))
    clients = {name: client for name, (client, _) in SESSIONS.items()}
    return clients, {name: token for name, (_, token) in SESSIONS.items()}


class ApprovalMachine(LocalSteps, RuleBasedStateMachine):
    """An editor and two publishers against the gate, and local staff of two areas; the
    invariant reads every surface, without an area and with each."""

    entries = Bundle("entries")
    thing_class, pending_class = Thing, Pending

    def __init__(self):
        super().__init__()
        # Each sequence runs in a savepoint of the test's transaction, rolled back at the end.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        # Pages built in an earlier sequence (rolled back since) must not be served again.
        for cache in caches.all():
            cache.clear()
        caching._unavailable_until.clear()
        self.counter = 0
        self.minted: set[str] = set()
        self.ever_live: set[str] = set()
        self.touched: set[str] = set()
        self.things: dict[str, Thing] = {}
        self.pk: dict[str, int] = {}
        self.clients, self.tokens = signed_in()
        self.anonymous = Client()
        self.acted = True
        self.pages_read: dict = {}
        self.build_pathway()
        self.checked_once = False

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def mint(self) -> str:
        token = token_number(self.counter)
        self.counter += 1
        self.minted.add(token)
        self.touched.add(token)
        return token

    # Texts as the content holds them.

    @staticmethod
    def rationale_text(token: str) -> str:
        return f"Offer the {token} visit ({TERM})."

    @staticmethod
    def intervention_text(token: str) -> str:
        return f"Agree the {token} plan."

    def build_pathway(self) -> None:
        """A small pathway: two published entries, the second "as above" the first, a draft, a
        published glossary term, and the delivery plan with one area of focus."""
        plan = ContextDocument.objects.create(
            title=f"Plan {self.mint()}", slug=DOCUMENT, section_label="Area of focus"
        )
        section_token = self.mint()
        DocumentSection.objects.create(
            document=plan, number=1, title="Focus", body=f"We did {section_token}."
        )
        self.things["document"] = Thing(
            "document", {"title": plan.title.split()[-1], "section": section_token}, None
        )
        self.pk["document"] = plan.pk
        stage = Stage.objects.create(
            label="Birth - 1 year", slug="m-stage", start_days=0, end_days=365
        )
        band = AgeBand.objects.create(
            label="Birth - 1 year", slug="m-band", start_days=0, end_days=365
        )
        service = Service.objects.create(name="Machine Visiting", slug="machine-visiting")
        tag = Tag.objects.create(name="Machine Tag", slug="machine-tag")
        self.shared = {"stage": stage.pk, "age_band": band.pk, "service": service.pk, "tag": tag.pk}
        pathway = Pathway.objects.create(
            title="Machine Pathway", slug=SLUG, status="published", policy_context=plan
        )
        self.pathway_pk = pathway.pk
        term_token = self.mint()
        term = GlossaryTerm.objects.create(term=TERM, expansions=term_token, status="published")
        self.things["term"] = Thing("term", {"expansion": term_token}, "published")
        self.pk["term"] = term.pk
        for key, position, status, repeats, count in (
            ("E1", 10, "published", None, 2),
            ("E2", 20, "published", "E1", 1),
            ("E3", 30, "draft", None, 1),
        ):
            content = {
                "rationale": self.mint(),
                "interventions": [self.mint() for _ in range(count)],
                "repeats": repeats,
                "position": position,
            }
            entry = Entry.objects.create(
                pathway=pathway,
                position=position,
                status=status,
                rationale=self.rationale_text(content["rationale"]),
                repeats_id=self.pk.get(repeats),
                **{f"{name}_id": pk for name, pk in self.shared.items()},
            )
            for place, token in enumerate(content["interventions"], start=1):
                Intervention.objects.create(
                    entry=entry, position=place, text=self.intervention_text(token)
                )
            self.things[key] = Thing("entry", content, status)
            self.pk[key] = entry.pk
        self.build_local()

    # What the model says readers get.

    def visible(self) -> dict[str, set[str]]:
        """The tokens each kind of surface must show, from the model alone."""
        rationales, own, repeated = set(), set(), set()
        for thing in self.things.values():
            if thing.kind != "entry" or not thing.live:
                continue
            rationales.add(thing.content["rationale"])
            own.update(thing.content["interventions"])
            target = self.things.get(thing.content["repeats"] or "")
            if target is not None and target.live:
                repeated.update(target.content["interventions"])
        term, document = self.things["term"], self.things["document"]
        glossary = {term.content["expansion"]} if term.live and rationales else set()
        plan_title = {document.content["title"]} if document.live else set()
        # A pathway with no published entry has no page (nor API document): its link to the
        # plan goes with it. Two unpublishings reach it; an import that drops an entry sooner.
        pathway_plan = plan_title if rationales else set()
        plan_text = {document.content["section"]} if document.live else set()
        tags = {t.content["name"] for t in self.things.values() if t.kind == "tag" and t.live}
        return {
            "rationales": rationales,
            "interventions": own | repeated,
            "own_interventions": own,
            "glossary": glossary,
            "plan_title": plan_title,
            "pathway_plan": pathway_plan,
            "plan_text": plan_text,
            "tags": tags,
        }

    # Acting through the admin.

    def get(self, user: str, url: str) -> str:
        response = self.clients[user].get(url)
        assert response.status_code == 200, (user, url, response.status_code)
        return body(response)

    def post(self, user: str, url: str, data: dict):
        self.acted = True
        response = self.clients[user].post(url, data)
        assert response.status_code < 500, (user, url, response.status_code)
        if response.status_code == 403:
            note(f"{user} was refused {url}")
        return response

    def save_form(self, user: str, url: str, changes) -> None:
        """GET the admin form at `url`, change it with `changes(data)`, POST it."""
        form = the_form(self.get(user, url))
        data = {k: v for k, v in form.data().items() if "__prefix__" not in k}
        changes(data)
        response = self.post(user, url, data)
        if response.status_code == 200:
            errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', body(response), re.S)
            note(f"{user} saving {url}: the form came back with {errors}")

    def changelist_action(self, user: str, model: str, action: str, pk: int) -> None:
        url = f"/admin/pathways/{model}/"
        self.post(
            user,
            url,
            {
                "csrfmiddlewaretoken": self.tokens[user],
                "action": action,
                "_selected_action": [str(pk)],
                "index": "0",
            },
        )

    def app_pending(self, key: str) -> PendingChange:
        """The app's pending change the model expects for `key` (the ORM finds its id)."""
        thing = self.things[key]
        model = {
            "entry": Entry,
            "term": GlossaryTerm,
            "document": ContextDocument,
            "tag": Tag,
            "import": Pathway,
            "service": LocalService,
            "note": LocalNote,
        }
        content_type = ContentType.objects.get_for_model(model[thing.kind])
        waiting = PendingChange.objects.filter(decision="pending", content_type=content_type)
        if key in self.pk:
            found = waiting.filter(object_id=self.pk[key]).order_by("-pk").first()
        else:  # a tag or service not yet created: its proposal names it
            found = next(
                (
                    c
                    for c in waiting.order_by("-pk")
                    if thing.content["name"] in json.dumps(c.proposed)
                ),
                None,
            )
        assert found is not None, (
            f"The gate spec expects a pending {thing.pending.kind} change of {key} proposed by "
            f"{sorted(thing.pending.proposers)}; the app has none."
        )
        return found

    def entry_form_url(self, key: str) -> str:
        return f"/admin/pathways/entry/{self.pk[key]}/change/"

    # The gate spec's rules, applied to the model.

    def propose(self, thing: Thing, user: str, kind: str, content: dict) -> None:
        """The object's one pending change: made, or updated with `user` added to it. Then
        everyone the gate spec refuses for who they are tries to approve it: each is refused."""
        if thing.pending is None:
            thing.pending = Pending(kind, content, {user}, base=copy.deepcopy(thing.content))
        else:
            thing.pending.content = content
            thing.pending.proposers.add(user)
            # As publishing.submit: an edit keeps a waiting publish or unpublish, and replaces
            # a waiting deletion (the admin's form opens on the live version then, to be edited).
            if kind not in ("change", "revert") or thing.pending.kind == "delete":
                thing.pending.kind = kind
        self.others_are_refused(next(k for k, t in self.things.items() if t is thing))

    def edit(self, thing: Thing, user: str, content: dict) -> None:
        """An edit, move or revert saved through the admin: it goes to the pending change of
        live content or of an object that has one, and is saved directly on a draft."""
        if thing.live or thing.pending is not None:
            self.propose(thing, user, "change", content)
        else:
            thing.content = content
            thing.saved_authors.add(user)

    def repeaters(self, key: str) -> list[Thing]:
        return [
            t
            for k, t in self.things.items()
            if t.kind == "entry" and t.exists and k != key and t.content["repeats"] == key
        ]

    def remove(self, key: str) -> None:
        thing = self.things[key]
        thing.exists = False
        thing.pending = None
        for other in self.repeaters(key):
            other.content["repeats"] = None
        for other in self.things.values():
            if other.kind == "note" and other.exists and other.content["entry"] == key:
                # A note goes with its entry (the database cascades; a deletion's approval
                # took its words away from readers, so nothing new reaches them).
                other.exists, other.pending = False, None

    def refusal(self, key: str, user: str) -> str | None:
        """Why approving `key`'s pending change as `user` is refused, if it is."""
        thing = self.things[key]
        pending = thing.pending
        if not may_decide(user, thing.area):
            # Editors never; a local publisher only her area's changes, never national ones.
            return f"{user} does not decide {thing.area or 'national'} changes"
        if user in thing.authors:
            return "an author may not approve"
        if pending.kind == "import":
            if pending.base["page"] != self.live_page():
                return "the live pathway changed since the import was made"
            return None
        changed = {k for k, v in pending.content.items() if pending.base.get(k) != v}
        if pending.kind == "delete" and thing.content != pending.base:
            return "changed since its deletion was proposed"
        if pending.kind not in ("create", "delete") and any(
            thing.content.get(k) != pending.base.get(k) for k in changed
        ):
            return "the live version changed since"
        goes_live = thing.kind != "entry" or (
            pending.kind == "publish"
            or (thing.live and pending.kind not in ("unpublish", "delete"))
        )
        if thing.kind == "entry" and goes_live:
            target = self.things.get(pending.content["repeats"] or "")
            if target is not None and not target.live:
                return "it would repeat a draft"
        if not goes_live and any(t.live for t in self.repeaters(key)):
            return "a published entry repeats it"
        return None

    def approve_in_model(self, key: str) -> None:
        thing = self.things[key]
        pending = thing.pending
        thing.pending = None
        thing.saved_authors = set()
        if pending.kind == "import":
            self.import_in_model(pending.content["entries"], pending.base["page"])
            return
        if pending.kind == "delete":
            self.remove(key)
            return
        if pending.kind == "create":
            thing.exists = True
            thing.content = pending.content
            if thing.kind == "service":
                name = service_name(thing.content["name"])
                self.pk[key] = LocalService.objects.get(name=name).pk
            return
        if pending.kind == "publish":
            thing.status = "published"
        elif pending.kind == "unpublish":
            thing.status = "draft"
        changed = {k: v for k, v in pending.content.items() if pending.base.get(k) != v}
        if "position" in changed:
            self.make_room(key, changed["position"])
        thing.content = {**thing.content, **changed}

    def make_room(self, key: str, wanted: int) -> None:
        """An entry moved to a place a sibling holds takes it; the siblings between move one
        place along (the gate's approval of a move)."""
        thing = self.things[key]
        old = thing.content["position"]
        low, high = min(old, wanted), max(old, wanted)
        siblings = sorted(
            (t for k, t in self.things.items() if t.kind == "entry" and t.exists and k != key),
            key=lambda t: t.content["position"],
        )
        between = [t for t in siblings if low <= t.content["position"] <= high]
        if not any(t.content["position"] == wanted for t in between):
            return
        slots = sorted([old, *(t.content["position"] for t in between)])
        order = list(between)
        order.insert(slots.index(wanted), thing)
        for place, other in zip(slots, order, strict=True):
            if other is not thing:
                other.content["position"] = place

    # Setup the sequences start from.

    @initialize(target=entries)
    def the_pathway(self):
        return multiple("E1", "E2", "E3")

    # Steps: entries.

    @rule(
        target=entries,
        user=st.sampled_from(NATIONAL),
        repeats=st.none() | entries,
        published=st.booleans(),
    )
    def create_entry(self, user, repeats, published):
        """Adds an entry through the add form (a publisher may try to add it published)."""
        key = f"E{len([k for k in self.things if k.startswith('E')]) + 1}"
        if user != EDITOR:  # publishers approve; they do not add content
            assert self.clients[user].get("/admin/pathways/entry/add/").status_code == 403
            return multiple()
        if repeats is not None and not self.things[repeats].exists:
            repeats = None
        last = max(t.content["position"] for t in self.things.values() if t.kind == "entry")
        content = {
            "rationale": self.mint(),
            "interventions": [self.mint()],
            "repeats": repeats,
            "position": last + 10,
        }

        def fill(data):
            data.update(
                {
                    "pathway": str(self.pathway_pk),
                    "stage": str(self.shared["stage"]),
                    "age_band": str(self.shared["age_band"]),
                    "service": str(self.shared["service"]),
                    "tag": str(self.shared["tag"]),
                    "rationale": self.rationale_text(content["rationale"]),
                    "repeats": str(self.pk[repeats]) if repeats else "",
                    "interventions-TOTAL_FORMS": "1",
                    "interventions-0-text": self.intervention_text(content["interventions"][0]),
                    "interventions-0-bullets": "",
                    "interventions-0-position": "",
                }
            )
            if published and "status" in data:
                data["status"] = "published"

        self.save_form(user, "/admin/pathways/entry/add/", fill)
        created = Entry.objects.filter(rationale__contains=content["rationale"]).first()
        assert created is not None, f"{user}'s new entry was not saved"
        self.pk[key] = created.pk
        # The gate spec: a new entry is saved as a draft, whatever the form said.
        self.things[key] = Thing("entry", content, "draft", saved_authors={user})
        return key

    @rule(user=st.sampled_from(NATIONAL), key=entries, to_draft=st.booleans())
    def edit_rationale(self, user, key, to_draft):
        """Edits an entry's rationale; a publisher may set it to draft in the same save."""
        thing = self.things[key]
        if not thing.exists:
            return
        old = thing.current["rationale"]
        new = self.mint()
        to_draft = to_draft and user != EDITOR and thing.status == "published"

        def change(data):
            assert old in data["rationale"], (
                f"{key}'s form does not open on its version to edit: {data['rationale']!r}, "
                f"expected {old}"
            )
            data["rationale"] = self.rationale_text(new)
            if to_draft:
                data["status"] = "draft"

        self.save_form(user, self.entry_form_url(key), change)
        content = copy.deepcopy(thing.current)
        content["rationale"] = new
        self.touched.add(old)
        if to_draft:  # an unpublishing, with the edit
            self.propose(thing, user, "unpublish", content)
        else:
            self.edit(thing, user, content)

    @rule(user=st.sampled_from(NATIONAL), key=entries, which=st.integers(0, 3))
    def edit_intervention(self, user, key, which):
        thing = self.things[key]
        if not thing.exists or not thing.current["interventions"]:
            return
        content = copy.deepcopy(thing.current)
        index = which % len(content["interventions"])
        old = content["interventions"][index]
        new = self.mint()

        def change(data):
            names = [k for k, v in data.items() if re.match(r"interventions-\d+-text$", k)]
            found = [k for k in names if old in data[k]]
            assert found, f"{key}'s form does not show the intervention {old} it should open on"
            data[found[0]] = self.intervention_text(new)

        self.save_form(user, self.entry_form_url(key), change)
        content["interventions"][index] = new
        self.touched.add(old)
        self.edit(thing, user, content)

    @rule(user=st.sampled_from(NATIONAL), key=entries, direction=st.sampled_from(["up", "down"]))
    def move_entry(self, user, key, direction):
        """Up / Down on the changelist: one place from where the entry's form puts it."""
        thing = self.things[key]
        if not thing.exists:
            return
        place = int(the_form(self.get(user, self.entry_form_url(key))).data()["position"])
        assert place == thing.current["position"], f"{key}'s form does not open on its version"
        move = f"/admin/pathways/entry/{self.pk[key]}/move-entry/{direction}/"
        self.post(user, move, {"csrfmiddlewaretoken": self.tokens[user]})
        entries = sorted(
            (t for t in self.things.values() if t.kind == "entry" and t.exists),
            key=lambda t: t.content["position"],
        )
        slots = [t.content["position"] for t in entries]
        # A pending move's place may be no entry's any more (a draft deleted since): the move
        # goes from between its neighbours.
        below = bisect_left(slots, place)
        if below < len(slots) and slots[below] == place:
            index = below + (-1 if direction == "up" else 1)
        else:
            index = below - 1 if direction == "up" else below
        if not 0 <= index < len(slots):
            return  # already first or last
        if thing.live or thing.pending is not None:
            self.propose(thing, user, "change", {**thing.current, "position": slots[index]})
            return
        # With no pending change, `place` is the live one and so is the order.
        mine = entries.index(thing)
        neighbour = entries[mine - 1 if direction == "up" else mine + 1]
        if neighbour.live:
            self.propose(thing, user, "change", {**thing.current, "position": slots[index]})
        else:
            thing.content["position"], neighbour.content["position"] = (
                neighbour.content["position"],
                thing.content["position"],
            )
            thing.saved_authors.add(user)
            neighbour.saved_authors.add(user)

    @rule(user=st.sampled_from(NATIONAL), key=entries, direction=st.sampled_from(["up", "down"]))
    def move_intervention(self, user, key, direction):
        """Move up / Move down on the entry's form: its first intervention."""
        thing = self.things[key]
        if not thing.exists or len(thing.current["interventions"]) < 2:
            return
        html = self.get(user, self.entry_form_url(key))
        form = the_form(html)
        moves = [a for a in form.formactions if a.endswith(f"/{direction}/")]
        first = thing.current["interventions"][0]
        texts = [v for k, v in form.fields if re.match(r"interventions-\d+-text$", k)]
        assert texts and first in texts[0], f"{key}'s form does not open on its version"
        self.post(user, moves[0], {"csrfmiddlewaretoken": csrf_token(html)})
        if direction == "up":
            return  # the first is already first
        content = copy.deepcopy(thing.current)
        items = content["interventions"]
        items[0], items[1] = items[1], items[0]
        self.edit(thing, user, content)

    @rule(user=st.sampled_from(NATIONAL), key=entries)
    def delete_entry(self, user, key):
        thing = self.things[key]
        if not thing.exists:
            return
        url = f"/admin/pathways/entry/{self.pk[key]}/delete/"
        response = self.clients[user].get(url)
        if response.status_code == 200 and 'name="post"' in body(response):
            self.post(user, url, {"csrfmiddlewaretoken": csrf_token(body(response)), "post": "yes"})
        else:
            note(f"{user} may not delete {key}: {response.status_code}")
        if user != EDITOR or thing.status == "published":
            return  # publishers may not delete entries, nor editors published ones
        if thing.live or thing.pending is not None:
            self.propose(thing, user, "delete", copy.deepcopy(thing.content))
        else:
            self.remove(key)

    @rule(user=st.sampled_from(NATIONAL), key=entries)
    def publish(self, user, key):
        thing = self.things[key]
        if not thing.exists:
            return
        # Tried whatever the model says: a publisher acts on what the admin shows them.
        self.changelist_action(user, "entry", "publish", self.pk[key])
        self.publish_in_model(key, user)

    def publish_in_model(self, key: str, user: str) -> None:
        thing = self.things[key]
        if not may_publish(user, thing.area):
            return  # editors do not publish, nor local publishers another area's content
        if thing.live:
            # Published already: a request on its pending change joins it (the proposal, to
            # be published); with none, nothing to do.
            if thing.pending is not None:
                self.propose(thing, user, "publish", copy.deepcopy(thing.current))
            return
        if thing.kind == "entry":
            target = self.things.get(thing.content["repeats"] or "")
            if target is not None and not target.live:
                return  # refused: it would repeat a draft
        if thing.pending is not None or user in thing.authors:
            self.propose(thing, user, "publish", copy.deepcopy(thing.current))
        else:
            thing.status = "published"
            thing.saved_authors = set()

    @rule(user=st.sampled_from(NATIONAL), key=entries)
    def unpublish(self, user, key):
        thing = self.things[key]
        if not thing.exists:
            return
        self.changelist_action(user, "entry", "unpublish", self.pk[key])
        self.unpublish_in_model(key, user)

    def unpublish_in_model(self, key: str, user: str) -> None:
        thing = self.things[key]
        if not may_publish(user, thing.area):
            return
        if not thing.live:
            # A draft already: a request on its pending change joins it (kept a draft).
            if thing.pending is not None:
                self.propose(thing, user, "unpublish", copy.deepcopy(thing.current))
            return
        if any(t.live for t in self.repeaters(key)):
            return  # refused: a published entry repeats it
        self.propose(thing, user, "unpublish", copy.deepcopy(thing.current))

    @rule(user=st.sampled_from(NATIONAL), key=entries, which=st.integers(0, 5))
    def revert_entry(self, user, key, which):
        """Reverts an entry to one of its versions from the version page."""
        thing = self.things[key]
        if not thing.exists:
            return
        records = list(Entry.history.filter(id=self.pk[key]).order_by("history_id"))
        record = records[which % len(records)]
        # What the version page shows, read as the model's tokens.
        rows = sorted((record.parts or {}).get("interventions", []), key=lambda r: r["position"])
        by_pk = {pk: k for k, pk in self.pk.items() if k.startswith("E")}
        content = {
            "rationale": TOKEN.search(record.rationale)[0],
            "interventions": [TOKEN.search(row["text"])[0] for row in rows],
            "repeats": by_pk.get(record.repeats_id),
            "position": record.position,
        }
        if content == thing.current:
            return
        taken = any(
            t.exists and t is not thing and t.content["position"] == record.position
            for t in self.things.values()
            if t.kind == "entry"
        )
        url = f"/admin/pathways/entry/{self.pk[key]}/history/{record.history_id}/"
        html = self.get(user, url)
        self.post(user, url, {"csrfmiddlewaretoken": csrf_token(html), "change_reason": "Back"})
        if taken:
            return  # refused: another entry holds that place now
        if thing.live or thing.pending is not None:
            self.propose(thing, user, "revert", content)
        else:
            self.edit(thing, user, content)

    # Steps: the glossary, the delivery plan, tags.

    @rule(user=st.sampled_from(NATIONAL))
    def edit_glossary_term(self, user):
        thing = self.things["term"]
        old, new = thing.current["expansion"], self.mint()

        def change(data):
            assert old in data["expansions"], "the term's form does not open on its version"
            data["expansions"] = new

        self.save_form(user, f"/admin/pathways/glossaryterm/{self.pk['term']}/change/", change)
        self.touched.add(old)
        self.edit(thing, user, {"expansion": new})

    @rule(user=st.sampled_from(NATIONAL), publish=st.booleans())
    def publish_or_unpublish_glossary_term(self, user, publish):
        action = "publish" if publish else "unpublish"
        self.changelist_action(user, "glossaryterm", action, self.pk["term"])
        if publish:
            self.publish_in_model("term", user)
        else:
            self.unpublish_in_model("term", user)

    @rule(user=st.sampled_from(NATIONAL))
    def edit_plan_section(self, user):
        thing = self.things["document"]
        if not thing.exists or user != EDITOR:
            return  # publishers read documents; editors change them
        old, new = thing.current["section"], self.mint()

        def change(data):
            assert old in data["sections-0-body"], "the plan's form does not open on its version"
            data["sections-0-body"] = f"We did {new}."

        self.save_form(
            user, f"/admin/pathways/contextdocument/{self.pk['document']}/change/", change
        )
        self.touched.add(old)
        self.edit(thing, user, {**thing.current, "section": new})

    @rule(user=st.sampled_from(NATIONAL))
    def delete_plan(self, user):
        thing = self.things["document"]
        if not thing.exists:
            return
        url = f"/admin/pathways/contextdocument/{self.pk['document']}/delete/"
        response = self.clients[user].get(url)
        if response.status_code == 200 and 'name="post"' in body(response):
            self.post(user, url, {"csrfmiddlewaretoken": csrf_token(body(response)), "post": "yes"})
        if user == EDITOR:  # publishers may not delete documents
            self.propose(thing, user, "delete", copy.deepcopy(thing.content))

    @rule(user=st.sampled_from(NATIONAL))
    def create_tag(self, user):
        if user != EDITOR:
            assert self.clients[user].get("/admin/pathways/tag/add/").status_code == 403
            return
        name = self.mint()

        def fill(data):
            data.update({"name": name, "slug": name, "position": "0"})

        self.save_form(user, "/admin/pathways/tag/add/", fill)
        thing = Thing("tag", {"name": name}, None, exists=False)
        thing.pending = Pending("create", {"name": name}, {user}, base={})
        self.things[f"tag {name}"] = thing

    # Steps: importing the pathway's page text (issue 24).

    def live_page(self) -> list[list]:
        """What the pathway's page text says, from the model: its published entries in page
        order, each [key, rationale, interventions, the published entry it repeats]."""
        live = sorted(
            ((k, t) for k, t in self.things.items() if t.kind == "entry" and t.live),
            key=lambda item: item[1].content["position"],
        )
        page = []
        for key, thing in live:
            target = self.things.get(thing.content["repeats"] or "")
            shown = thing.content["repeats"] if target is not None and target.live else None
            page.append(
                [key, thing.content["rationale"], list(thing.content["interventions"]), shown]
            )
        return page

    @rule(
        user=st.sampled_from(NATIONAL),
        change=st.sampled_from(["reword", "intervention", "add", "drop"]),
        which=st.integers(0, 9),
    )
    def import_page_text(self, user, change, which):
        """Imports a variant of the pathway's page text through the admin (paste, preview,
        save): one entry reworded, an intervention replaced, an entry added or one dropped."""
        page = self.live_page()
        entries = [{"key": k, "rationale": r, "interventions": list(i)} for k, r, i, _ in page]
        if change == "add" or not entries or (change == "drop" and len(entries) < 2):
            entries.append({"key": None, "rationale": self.mint(), "interventions": [self.mint()]})
        else:
            chosen = entries[which % len(entries)]
            if change == "drop":
                entries.remove(chosen)
            elif change == "reword":
                chosen["rationale"] = self.mint()
            else:
                chosen["interventions"] = [self.mint(), *chosen["interventions"][1:]]
        text = write_page_text(self.page_text(entries))
        url = "/admin/pathways/pathway/import-text/"
        self.get(user, url)
        data = {"csrfmiddlewaretoken": self.tokens[user], "text": text, "slug": SLUG}
        preview = body(self.post(user, url, {**data, "action": "preview"}))
        assert "Save as a pending import" in preview, "the import's preview refused the text"
        self.post(user, url, {**data, "action": "save"})
        thing = self.things.setdefault("import", Thing("import", {}, None))
        self.pk["import"] = self.pathway_pk
        if thing.pending is None:
            thing.content = {"page": page}  # what the import is made from
        self.propose(thing, user, "import", {"entries": entries})

    def page_text(self, entries: list[dict]) -> PageText:
        return PageText(
            title="Machine Pathway",
            entries=[
                TextEntry(
                    stage="Birth - 1 year",
                    band="Birth - 1 year",
                    rationale=self.rationale_text(item["rationale"]),
                    service="Machine Visiting",
                    tag="Machine Tag",
                    interventions=[
                        TextIntervention(self.intervention_text(t)) for t in item["interventions"]
                    ],
                )
                for item in entries
            ],
        )

    def import_in_model(self, entries: list[dict], base: list[list]) -> None:
        """An approved import: the entries it names say what it says (no "as above" link, as
        none was confirmed), the ones it left out go, a new one takes the next free place."""
        kept = {item["key"] for item in entries if item["key"]}
        for key, rationale, interventions, _ in base:
            if key not in kept:
                self.touched.update([rationale, *interventions])
                self.remove(key)
        held = {
            t.content["position"]
            for t in self.things.values()
            if t.kind == "entry" and t.exists and not t.live
        }
        previous = 0
        for item in entries:
            content = {"rationale": item["rationale"], "interventions": item["interventions"]}
            if item["key"] is not None:
                thing = self.things[item["key"]]
                self.touched.update([thing.content["rationale"], *thing.content["interventions"]])
                thing.content = {**thing.content, **content, "repeats": None}
                previous = thing.content["position"]
                continue
            previous += 1
            while previous in held:
                previous += 1
            key = f"E{len([k for k in self.things if k.startswith('E')]) + 1}"
            self.things[key] = Thing(
                "entry", {**content, "repeats": None, "position": previous}, "published"
            )
            self.pk[key] = Entry.objects.get(rationale__contains=item["rationale"]).pk

    # Steps: deciding.

    def waiting(self) -> list[str]:
        return sorted(k for k, t in self.things.items() if t.pending is not None)

    @precondition(lambda self: self.waiting())
    @rule(user=st.sampled_from(USERS), which=st.integers(0, 9), comment=st.booleans())
    def approve(self, user, which, comment):
        key = self.waiting()[which % len(self.waiting())]
        note(f"approve: {user} approves the pending {self.things[key].pending.kind} of {key}")
        STATS["approvals"][self.things[key].area or "national"] += 1
        self.others_are_refused(key, user)
        self.decide(user, key, "approve", "Checked" if comment else "")
        refused = self.refusal(key, user)
        if refused:
            note(f"refused: {refused}")
        else:
            self.approve_in_model(key)

    def others_are_refused(self, key: str, user: str | None = None) -> None:
        """Everyone but `user` whom the gate spec refuses for who they are (an editor, an
        author, a publisher of another area, a local publisher on national content) tries to
        approve `key`'s pending change: each is refused, and it still waits. Done at every
        proposal and approval, so every person is tried on every change, not only the one
        a step draws."""
        thing = self.things[key]
        change = self.app_pending(key)
        url = f"/admin/pathways/pendingchange/{change.pk}/change/"
        for other in USERS:
            if other == user or (may_decide(other, thing.area) and other not in thing.authors):
                continue
            refused = self.refusal(key, other)
            data = {"csrfmiddlewaretoken": self.tokens[other], "decision": "approve"}
            self.post(other, url, {**data, "comment": ""})
            decision = PendingChange.objects.get(pk=change.pk).decision
            assert decision == "pending", f"{other} approved {key}'s change ({refused})"

    @precondition(lambda self: self.waiting())
    @rule(user=st.sampled_from(USERS), which=st.integers(0, 9))
    def reject(self, user, which):
        key = self.waiting()[which % len(self.waiting())]
        note(f"reject: {user} rejects the pending {self.things[key].pending.kind} of {key}")
        self.decide(user, key, "reject", "Not yet")
        if may_decide(user, self.things[key].area):
            self.drop(key)

    @precondition(lambda self: self.waiting())
    @rule(user=st.sampled_from(USERS), which=st.integers(0, 9))
    def withdraw(self, user, which):
        key = self.waiting()[which % len(self.waiting())]
        note(f"withdraw: {user} withdraws the pending {self.things[key].pending.kind} of {key}")
        self.decide(user, key, "withdraw", "")
        if user in self.things[key].pending.proposers:
            self.drop(key)

    def drop(self, key: str) -> None:
        thing = self.things[key]
        thing.pending = None
        if thing.kind in ("tag", "service") and not thing.exists:
            del self.things[key]

    def decide(self, user: str, key: str, decision: str, comment: str) -> None:
        change = self.app_pending(key)
        url = f"/admin/pathways/pendingchange/{change.pk}/change/"
        token = self.tokens[user]
        self.post(
            user, url, {"csrfmiddlewaretoken": token, "decision": decision, "comment": comment}
        )

    # The invariant: every anonymous surface shows the approved content, and nothing else.

    def read(self, path: str, query: dict, headers=None) -> str:
        return body(self.anonymous.get(path, query, headers=headers))

    def page_and_offline_words(self, query: dict) -> tuple[str, str]:
        """The page, and what offline search finds on its saved copy. The offline tables (a
        file the page's rules name, which the service worker saves with the page) are read as
        "offline words", not as the page's text: the typo index files each word under its
        misspellings, which are no version's token. Read once per area and check."""
        key = json.dumps(query, sort_keys=True)
        if key not in self.pages_read:
            page = self.read(PAGE, query)
            script = re.compile(
                r'<script id="offline-rules" type="application/json">(.*?)</script>'
            )
            found = script.search(page)
            page = script.sub("", page)
            tables_url = json.loads(found[1]).get("tables_url") if found else None
            rules = json.loads(self.read(tables_url, {}))["search"] if tables_url else {}
            self.pages_read[key] = (page, offline_words(page, rules))
        return self.pages_read[key]

    def cds_card(self, query: dict) -> str:
        born = (ages.uk_today() - datetime.timedelta(days=60)).isoformat()
        hook = {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/hv-1", "patientId": "child-1"},
            "prefetch": {
                "patient": {"resourceType": "Patient", "id": "child-1", "birthDate": born}
            },
        }
        cds = self.anonymous.post(
            f"/cds-services/{SLUG}",
            json.dumps(hook),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {signed_call(issuer_of(query.get('area')))}",
        )
        return body(cds) if cds.status_code == 200 else ""

    # The invariant: every anonymous surface shows the approved content, and nothing else;
    # without an area no local content at all, with an area only that area's approved content.

    @invariant()
    def readers_get_exactly_the_approved_content(self):
        if not self.acted:
            return  # the step posted nothing (a refused GET, say): nothing can have changed
        self.acted = False
        STATS["checks"] += 1
        self.pages_read = {}
        shown = self.visible()
        live = set().union(*shown.values())
        self.ever_live |= live
        problems = []
        for area in (None, *AREAS):
            problems += self.surface_problems(area, shown, live)
        problems += self.search_problems(shown)
        self.touched = set()
        assert not problems, "\n".join(problems)

    def surface_problems(self, area: str | None, shown: dict, live: set[str]) -> list[str]:
        """What each surface read for `area` (None: no area) shows that it must not, or misses.
        Nothing unapproved anywhere; without an area no local token at all; with an area its
        approved local content, wherever the surface renders local content (it shows any of
        what the readers' door, the directory, holds)."""
        local = self.local_visible(area)
        query = {"area": area} if area else {}
        door = set(TOKEN.findall(self.read_directory(query)))
        problems = []
        for surface in SURFACES:
            if area is not None and surface.name not in BY_AREA:
                continue
            tokens = set(TOKEN.findall(surface.read(self, query)))
            must = set().union(*(shown[k] for k in surface.shows))
            if area is not None and (surface.is_door or tokens & door):
                must |= set().union(*(local[k] for k in surface.local))
            # "What changed" names what readers saw before, and only that.
            allowed = self.ever_live if surface.name.startswith("what changed") else live
            allowed = allowed | set().union(*local.values())
            name = f"{surface.name} (area {area})" if area else surface.name
            missing = sorted(must - tokens)
            extra = sorted(tokens - allowed)
            if missing:
                problems.append(f"{name}: approved content missing: {missing}")
            if extra:
                problems.append(f"{name}: shows content not approved: {extra}")
        return problems

    def search_problems(self, shown: dict[str, set[str]]) -> list[str]:
        """Search, exactly and with a one-letter typo, for each text this step touched (all of
        them the first time): approved texts find their entry, others find nothing."""
        searchable = shown["rationales"] | shown["interventions"] | shown["glossary"]
        tokens = self.minted if not self.checked_once else self.touched
        self.checked_once = True
        tokens = {t for t in tokens if not self.is_plan_or_tag(t)}
        problems = []
        for token, query in product(sorted(tokens), ("exact", "typo")):
            if query == "typo" and self.is_glossary(token):
                continue  # the typo rule reads the entries' words, not the glossary's
            q = token if query == "exact" else typo(token)
            text = body(self.anonymous.get(PAGE, {"q": q}, headers=HTMX))
            count = re.search(r"Showing (\d+) of", text)
            found = int(count[1]) if count else 0
            if token in searchable and found == 0:
                problems.append(f"search ({query}) for approved {token} finds nothing")
            if token not in searchable and found:
                problems.append(f"search ({query}) for unapproved {token} finds {found}")
        return problems

    def is_glossary(self, token: str) -> bool:
        thing = self.things["term"]
        return token in json.dumps([thing.content, thing.pending.content if thing.pending else 0])

    def is_plan_or_tag(self, token: str) -> bool:
        for thing in self.things.values():
            if thing.kind in ("document", "tag") and token in json.dumps(
                [thing.content, thing.pending.content if thing.pending else None]
            ):
                return True
        return False

    # Steps: the delivery plan imported from its page text (issue 24), in the admin.

    @rule(user=st.sampled_from(NATIONAL))
    def import_plan_from_text(self, user):
        url = "/admin/pathways/contextdocument/import-text/"
        if user != EDITOR:  # publishers read documents; editors change them
            assert self.clients[user].get(url).status_code == 403
            return
        thing = self.things["document"]
        if not thing.exists:
            return
        old, new = thing.current["section"], self.mint()
        text = (
            f"Plan {thing.current['title']}\n\nWhy.\n\nAnnex\n\nAims\n\nThe aims.\n\n"
            f"Area of focus:\n\n1. Focus\n\nWhat we did:\n\nWe did {new}.\n"
        )
        data = {"slug": DOCUMENT, "text": text, "action": "save"}
        self.post(user, url, {"csrfmiddlewaretoken": self.tokens[user], **data})
        self.touched.add(old)
        self.edit(thing, user, {**thing.current, "section": new})


def offline_words(page: str, rules: dict) -> str:
    """What offline search can find on the saved page: each card's stems (data-stems), the
    stems the typo index files words under, the stems table and the glossary."""
    stems = re.findall(r'data-stems="([^"]*)"', page)
    typos = [stem for filed in rules.get("typos", {}).values() for stem in filed]
    tables = json.dumps([rules.get("stems", {}), rules.get("glossary", {})])
    return " ".join([*stems, *typos, tables])


@dataclass(frozen=True)
class Surface:
    """Something an anonymous reader gets: how it is read (`query`: the address parameters of
    an area, or none), which of the model's visible kinds it must show (`shows`), and which
    local kinds it must show for an area once it renders local content (`local`). The door
    (the directory) must always show its area's."""

    name: str
    read: Callable[[ApprovalMachine, dict], str]
    shows: tuple[str, ...] = ()
    local: tuple[str, ...] = ()
    is_door: bool = False


ON_CARDS = ("local_services", "local_notes")
API = f"/api/pathways/{SLUG}"
# Every surface, read without an area at each check.
SURFACES = [
    Surface(
        "page",
        lambda m, q: m.page_and_offline_words(q)[0],
        ("rationales", "interventions", "glossary", "pathway_plan"),
        ON_CARDS,
    ),
    Surface(
        "fragment",
        lambda m, q: m.read(PAGE, q, HTMX),
        ("rationales", "interventions", "glossary"),
        ON_CARDS,
    ),
    Surface(
        "checklist",
        lambda m, q: m.read(f"{PAGE}checklist/", q),
        ("rationales", "interventions"),
        ON_CARDS,
    ),
    Surface(
        "CSV",
        lambda m, q: m.read(f"{PAGE}export.csv", q),
        ("rationales", "interventions"),
        ON_CARDS,
    ),
    Surface(
        "API", lambda m, q: m.read(f"{API}/entries/", q), ("rationales", "interventions"), ON_CARDS
    ),
    Surface("API pathway", lambda m, q: m.read(f"{API}/", q), ("pathway_plan",)),
    # With an area its actions name the services by name only (how to refer is in each
    # HealthcareService): checked for nothing unapproved or another area's, not for routes.
    Surface(
        "FHIR PlanDefinition",
        lambda m, q: m.read(f"{API}/fhir", q),
        ("rationales", "own_interventions"),
    ),
    Surface("FHIR CodeSystem", lambda m, q: m.read("/fhir/CodeSystem/pathway-navigator", q)),
    Surface("CDS card", lambda m, q: m.cds_card(q), ("rationales",), ("local_services",)),
    Surface(
        "offline words",
        lambda m, q: m.page_and_offline_words(q)[1],
        ("rationales", "interventions", "glossary"),
    ),
    Surface("what changed", lambda m, q: m.read(f"{PAGE}changes/", q), ("rationales",)),
    Surface("what changed feed", lambda m, q: m.read(f"{PAGE}changes/feed/", q), ("rationales",)),
    Surface(
        "plan page", lambda m, q: m.read(f"/documents/{DOCUMENT}/", q), ("plan_title", "plan_text")
    ),
    Surface(
        "local directory",
        lambda m, q: m.read_directory(q),
        local=("local_directory", "local_notes"),
        is_door=True,
    ),
    # An area's own addresses: nothing to read without one.
    Surface(
        "area page",
        lambda m, q: m.read(f"/areas/{q['area']}/", {}) if q else "",
        local=("local_directory",),
        is_door=True,
    ),
    Surface(
        "FHIR HealthcareService",
        lambda m, q: m.read("/fhir/HealthcareService", {"organization": q["area"]}) if q else "",
        local=("local_directory",),
        is_door=True,
    ),
]
# The surfaces read with each area too (`?area=<slug>`): one line per surface that takes it.
BY_AREA = (
    "page",
    "fragment",
    "checklist",
    "CSV",
    "API",
    "FHIR PlanDefinition",
    "CDS card",
    "offline words",
    "local directory",
    "area page",
    "FHIR HealthcareService",
)


STATS: dict = {"checks": 0, "steps": Counter(), "approvals": Counter()}


def count_steps(machine: type[RuleBasedStateMachine]) -> None:
    """Counts each rule's steps in STATS["steps"], so a change to the rules can show how the
    budget is shared out between them."""
    for _, attribute in inspect.getmembers(machine):
        rule_of = getattr(attribute, RULE_MARKER, None)
        if rule_of is None:
            continue
        function = rule_of.function

        @functools.wraps(function)
        def counted(self, *args, _function=function, **kwargs):
            STATS["steps"][_function.__name__] += 1
            return _function(self, *args, **kwargs)

        rule_of.function = counted


count_steps(ApprovalMachine)
EXAMPLES = int(os.environ.get("APPROVAL_MACHINE_EXAMPLES", "50"))
# The sequences are shared out between SHARES tests, each with a seed of its own, so that
# pytest-xdist runs them side by side on two cores: the same sequences on every run (a red
# build is the same red build again), EXAMPLES of them in all.
SHARES = 2


@pytest.fixture
def people(db):
    for name in USERS:
        user = User.objects.create_user(name, f"{name}@example.nhs.uk", "x" * 20, is_staff=True)
        if name in NATIONAL:
            user.groups.add(staff_group("Editors" if name == EDITOR else "Publishers"))
    # Local staff get their areas (AreaMembership) when each sequence builds them.


@pytest.fixture
def trusted_ehr(settings):
    """The site trusts the test EHR's key, and nobody unsigned; the same EHR calls from each
    area too, as an issuer mapped to that area."""
    settings.SITE_URL = SITE
    keys = {"jwks": {"keys": [public_jwk()]}}
    settings.CDS_HOOKS_CLIENTS = {
        ISSUER: keys,
        **{issuer_of(area): {**keys, "area": area} for area in AREAS},
    }
    settings.CDS_HOOKS_ALLOW_UNSIGNED = False


@pytest.mark.parametrize("share", range(SHARES))
def test_the_two_person_rule_holds_on_every_path(share, people, trusted_ehr):
    # For exploring one defect at a time: APPROVAL_MACHINE_SKIP names rules to leave out.
    skipped = [n for n in os.environ.get("APPROVAL_MACHINE_SKIP", "").split(",") if n]
    machine = type("ApprovalMachine", (ApprovalMachine,), dict.fromkeys(skipped))
    examples = EXAMPLES // SHARES + (share < EXAMPLES % SHARES)
    test = get_state_machine_test(machine, settings=settings_for_machine(examples))
    if not os.environ.get("APPROVAL_MACHINE_RANDOM"):
        test = seed(share)(test)
    SESSIONS.clear()
    signed_in()
    STATS["checks"] = 0
    STATS["steps"].clear()
    STATS["approvals"].clear()
    started = time.monotonic()
    try:
        test()
    finally:
        SESSIONS.clear()
        print(f"{STATS['checks']} checks in {time.monotonic() - started:.1f} s")
        print(f"steps: {dict(sorted(STATS['steps'].items()))}")
        print(f"approvals tried, by the area of the change: {dict(STATS['approvals'])}")


def test_local_changes_go_live_through_a_second_person(people, trusted_ehr, monkeypatch):
    """The local steps once, in order, outside Hypothesis (the CI's sequences may decide no
    local change): lou's edit of S1 goes live when lee approves it, bea's of T1 when pia does,
    lee's new published service when ola does, and its deletion when pia does; lou's
    directory import changing S1's route when lee approves it (bea's refused); the invariant
    after each step, and every person refused on each proposal, as in the machine."""
    from . import machine_local

    for module in (machine_local, sys.modules[__name__]):
        monkeypatch.setattr(module, "note", lambda text: None)  # notes are Hypothesis's
    SESSIONS.clear()
    signed_in()
    machine = ApprovalMachine()
    try:
        steps = [
            lambda m: m.edit_local("lou", m.local_keys().index("S1"), False),
            lambda m: m.approve("lee", m.waiting().index("S1"), False),
            lambda m: m.edit_local("bea", m.local_keys().index("T1"), False),
            lambda m: m.approve("pia", m.waiting().index("T1"), False),
            lambda m: m.create_local_service("lee", True, False),
            lambda m: m.approve("ola", m.waiting().index("S2"), False),
            lambda m: m.delete_local_service("lee", m.local_keys("service").index("S2")),
            lambda m: m.approve("pia", m.waiting().index("S2"), False),
            lambda m: m.import_directory("bea"),  # another area's editor: refused
            lambda m: m.import_directory("lou"),
            lambda m: m.approve("lee", m.waiting().index("S1"), False),
        ]
        machine.readers_get_exactly_the_approved_content()
        for step in steps:
            step(machine)
            machine.readers_get_exactly_the_approved_content()
        assert not machine.waiting() and not machine.things["S2"].exists
    finally:
        machine.teardown()
        SESSIONS.clear()


def settings_for_machine(examples: int) -> hypothesis_settings:
    return hypothesis_settings(
        max_examples=examples,
        stateful_step_count=30,
        deadline=None,
        database=None,
        # No "explain" phase: tracing every line of a failing sequence takes minutes here.
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
