"""The approval machine's local steps (issue 25): two areas, their staff, services and a note,
worked through the local admin as the national content is, so the machine looks for a path
round the two-person rule through local content too. A mixin of ApprovalMachine: the gate
spec's people rules (who writes, publishes and decides what) live here, once, for both."""

from __future__ import annotations

import copy

from django.contrib.auth.models import User
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pathways.history import record_version
from pathways.local.models import Area, AreaMembership, LocalNote, LocalService
from pathways.local.reading import area_named, directory
from pathways.operations.caching import content_version
from pathways.publishing import PendingChange, publish, state_of

from .htmlforms import csrf_token

AREAS = ("machine-a", "machine-b")
EDITOR, PUBLISHERS = "erin", ("pia", "ola")
NATIONAL = [EDITOR, *PUBLISHERS]
# Local staff: their area and role (an AreaMembership; never in a national group).
LOCAL_STAFF = {
    "lou": ("machine-a", "editor"),
    "lee": ("machine-a", "publisher"),
    "bea": ("machine-b", "editor"),
}
USERS = [*NATIONAL, *LOCAL_STAFF]
LOCAL_KINDS = ("service", "note")
ADMIN_MODEL = {"service": "localservice", "note": "localnote"}
MODELS = {"service": LocalService, "note": LocalNote}


# The gate spec's people: who writes, publishes and decides content of an area (None: national).


def may_write(user: str, area: str | None) -> bool:
    """National editors write anything; local staff their area's content only."""
    if user in LOCAL_STAFF:
        return area is not None and LOCAL_STAFF[user][0] == area
    return user == EDITOR


def may_publish(user: str, area: str | None) -> bool:
    """National publishers publish (and decide) anything; a local publisher her area's only."""
    if user in LOCAL_STAFF:
        return area is not None and LOCAL_STAFF[user] == (area, "publisher")
    return user in PUBLISHERS


may_decide = may_publish


# Local texts as the content holds them: one token per version.


def service_name(token: str) -> str:
    return f"Machine service {token}"


def route_text(token: str) -> str:
    return f"Phone the {token} team."


def note_text(token: str) -> str:
    return f"Locally, ask for {token}."


class LocalSteps:
    """Areas machine-a (lou, lee) and machine-b (bea): A's service S1 serving E1 and note N1
    on E2, B's service T1 serving E1, all published through the gate; rules that edit,
    publish, create and delete them through the admin, and attempts on another area's."""

    def build_local(self) -> None:
        erin, pia = (User.objects.get(username=name) for name in (EDITOR, "pia"))
        self.area_pk = {}
        for slug in AREAS:
            area = Area(name=slug.replace("-", " ").title(), slug=slug)
            area._history_user = erin
            area.save()
            publish(area, pia)  # a national publisher who wrote none of it: live at once
            self.area_pk[slug] = area.pk
        for name, (slug, role) in LOCAL_STAFF.items():
            AreaMembership.objects.create(
                user=User.objects.get(username=name), area_id=self.area_pk[slug], role=role
            )
        for key, area, author, publisher in (
            ("S1", "machine-a", "lou", "lee"),
            ("T1", "machine-b", "bea", "pia"),
        ):
            content = {"name": self.mint(), "route": self.mint(), "serves": "E1"}
            service = LocalService(
                area_id=self.area_pk[area],
                slug=key.lower(),
                offers="Machine offers.",
                **self.service_fields(content),
            )
            self.put_live(key, service, author, publisher, {"serves_entries": [self.pk["E1"]]})
            self.things[key] = self.local_thing("service", content, area)
        content = {"text": self.mint(), "entry": "E2"}
        local_note = LocalNote(
            area_id=self.area_pk["machine-a"],
            entry_id=self.pk["E2"],
            text=note_text(content["text"]),
        )
        self.put_live("N1", local_note, "lou", "lee")
        self.things["N1"] = self.local_thing("note", content, "machine-a")

    def put_live(self, key, obj, author: str, publisher: str, links=None) -> None:
        """Saves `obj` as `author`'s draft, then publishes it as `publisher` (who wrote none of
        it: the gate puts it live at once)."""
        obj._history_user = User.objects.get(username=author)
        obj.save()
        for name, values in (links or {}).items():
            getattr(obj, name).set(values)
            obj._history_user = User.objects.get(username=author)
            record_version(obj)
        change = publish(obj, User.objects.get(username=publisher))
        assert change.decision == "approved", f"{key} did not go live through the gate"
        self.pk[key] = obj.pk

    def local_thing(self, kind: str, content: dict, area: str):
        return self.thing_class(kind, content, "published", area=area)

    @staticmethod
    def service_fields(content: dict) -> dict:
        return {
            "name": service_name(content["name"]),
            "referral_route": route_text(content["route"]),
        }

    # What the model says readers of an area get.

    def local_visible(self, area: str | None) -> dict[str, set[str]]:
        """The local tokens readers of `area` may get, by kind: services serving a shown entry
        (`local_services`), the area's whole directory (`local_directory`) and notes on shown
        entries (`local_notes`). Nothing without an area."""
        shown = {"local_services": set(), "local_directory": set(), "local_notes": set()}
        if area is None:
            return shown
        for thing in self.things.values():
            if thing.kind not in LOCAL_KINDS or thing.area != area or not thing.live:
                continue
            if thing.kind == "note":
                if self.entry_live(thing.content["entry"]):
                    shown["local_notes"].add(thing.content["text"])
                continue
            tokens = {thing.content["name"], thing.content["route"]}
            shown["local_directory"] |= tokens
            if self.entry_live(thing.content["serves"]):
                shown["local_services"] |= tokens
        return shown

    def entry_live(self, key: str | None) -> bool:
        thing = self.things.get(key or "")
        return thing is not None and thing.live

    def read_directory(self, query: dict) -> str:
        """The readers' one door (pathways.local.reading.directory), as every surface reads it:
        with the content version."""
        if not query.get("area"):
            return ""
        version = content_version()
        area = area_named(query["area"], version)
        return repr(directory(area, version)) if area is not None else ""

    # Finding things.

    def local_keys(self, kind: str | None = None) -> list[str]:
        return sorted(
            k
            for k, t in self.things.items()
            if t.kind in LOCAL_KINDS and t.exists and (kind is None or t.kind == kind)
        )

    def change_url(self, key: str) -> str:
        return f"/admin/pathways/{ADMIN_MODEL[self.things[key].kind]}/{self.pk[key]}/change/"

    def crafted_data(self, user: str, key: str) -> dict:
        """A whole change form's data for `key`, with new words: what a person who may not
        open the form would have to POST by hand."""
        thing = self.things[key]
        token = self.mint()
        data = {
            "csrfmiddlewaretoken": self.tokens[user],
            "area": str(self.area_pk[thing.area]),
            "status": "published",
            "change_reason": "",
        }
        if thing.kind == "note":
            entry = self.pk.get(thing.content["entry"], "")
            return {**data, "entry": str(entry), "text": note_text(token)}
        return {
            **data,
            **self.service_fields({"name": token, "route": token}),
            "slug": f"x{token}",
            "offers": "Machine offers.",
            "serves_entries": [str(self.pk["E1"])] if self.things["E1"].exists else [],
        }

    def refused(self, user: str, key: str, action: str) -> None:
        """Tries `action` (change, delete, publish or unpublish) on `key` as `user`, who may
        not: the app must refuse it with nothing changed, neither the row nor any pending
        change (another area's row is "not there"; a national publisher cannot write local
        content; an editor cannot publish)."""
        thing = self.things[key]
        model = MODELS[thing.kind]
        before = self.row_and_changes(model, key)
        note(f"{user} tries to {action} {key} of {thing.area}")
        if action == "change":
            self.post(user, self.change_url(key), self.crafted_data(user, key))
        elif action == "delete":
            url = f"/admin/pathways/{ADMIN_MODEL[thing.kind]}/{self.pk[key]}/delete/"
            self.post(user, url, {"csrfmiddlewaretoken": self.tokens[user], "post": "yes"})
        else:
            self.changelist_action(user, ADMIN_MODEL[thing.kind], action, self.pk[key])
        after = self.row_and_changes(model, key)
        assert after == before, f"{user}'s {action} of {thing.area}'s {key} was not refused"

    def row_and_changes(self, model, key: str) -> tuple:
        row = model.objects.filter(pk=self.pk[key]).first()
        changes = PendingChange.objects.order_by("pk").values_list("pk", "decision", "proposed")
        return (state_of(row), row.status) if row else None, list(changes)

    # Steps: local services and notes. Each is tried by anyone: those the gate spec lets do
    # it through the forms, the others (another area's staff included) by a crafted POST.

    @precondition(lambda self: self.local_keys())
    @rule(user=st.sampled_from(USERS), which=st.integers(0, 9), to_draft=st.booleans())
    def edit_local(self, user, which, to_draft):
        """Edits a service's route or a note's text; a publisher may set a service to draft
        in the same save."""
        keys = self.local_keys()
        key = keys[which % len(keys)]
        thing = self.things[key]
        if not may_write(user, thing.area):
            self.refused(user, key, "change")
        elif thing.kind == "service":
            self.edit_local_service(user, key, to_draft)
        else:
            self.edit_local_note(user, key)

    def edit_local_service(self, user: str, key: str, to_draft: bool) -> None:
        thing = self.things[key]
        old, new = thing.current["route"], self.mint()
        to_draft = to_draft and may_publish(user, thing.area) and thing.status == "published"

        def change(data):
            assert old in data["referral_route"], f"{key}'s form does not open on its version"
            data["referral_route"] = route_text(new)
            if to_draft:
                data["status"] = "draft"

        self.save_form(user, self.change_url(key), change)
        # The form keeps a link to an entry unpublished since (it offers the chosen ones too).
        content = {**copy.deepcopy(thing.current), "route": new}
        self.touched.add(old)
        if to_draft:
            self.propose(thing, user, "unpublish", content)
        else:
            self.edit(thing, user, content)

    def edit_local_note(self, user: str, key: str) -> None:
        thing = self.things[key]
        old, new = thing.current["text"], self.mint()

        def change(data):
            assert old in data["text"], f"{key}'s form does not open on its version"
            data["text"] = note_text(new)

        self.save_form(user, self.change_url(key), change)
        self.touched.add(old)
        self.edit(thing, user, {**copy.deepcopy(thing.current), "text": new})

    @precondition(lambda self: self.local_keys())
    @rule(user=st.sampled_from(USERS), which=st.integers(0, 9), publish=st.booleans())
    def publish_or_unpublish_local(self, user, which, publish):
        keys = self.local_keys()
        key = keys[which % len(keys)]
        thing = self.things[key]
        action = "publish" if publish else "unpublish"
        if not may_publish(user, thing.area):
            self.refused(user, key, action)
            return
        self.changelist_action(user, ADMIN_MODEL[thing.kind], action, self.pk[key])
        if publish:
            self.publish_in_model(key, user)
        else:
            self.unpublish_in_model(key, user)

    @rule(user=st.sampled_from(USERS), published=st.booleans(), in_b=st.booleans())
    def create_local_service(self, user, published, in_b):
        """Adds a service through the add form (a publisher may try to add it published)."""
        url = "/admin/pathways/localservice/add/"
        if not (may_write(user, "machine-a") or may_write(user, "machine-b")):
            assert self.clients[user].get(url).status_code == 403
            return
        area = LOCAL_STAFF[user][0] if user in LOCAL_STAFF else AREAS[in_b]
        content = {"name": self.mint(), "route": self.mint()}
        content["serves"] = "E1" if self.entry_live("E1") else None

        def fill(data):
            data.update(
                {
                    "area": str(self.area_pk[area]),
                    "slug": content["name"],
                    "offers": "Machine offers.",
                    "serves_entries": [str(self.pk["E1"])] if content["serves"] else [],
                    **self.service_fields(content),
                }
            )
            if published and "status" in data:
                data["status"] = "published"

        self.save_form(user, url, fill)
        key = f"S{len([k for k in self.things if k.startswith('S')]) + 1}"
        if published and may_publish(user, area):
            # Added published: the whole new service waits for a second person.
            thing = self.thing_class("service", content, "published", exists=False, area=area)
            thing.pending = self.pending_class("create", content, {user}, base={})
            self.things[key] = thing
            self.others_are_refused(key)
            return
        created = LocalService.objects.filter(name=service_name(content["name"])).first()
        assert created is not None, f"{user}'s new service was not saved"
        self.pk[key] = created.pk
        self.things[key] = self.thing_class(
            "service", content, "draft", saved_authors={user}, area=area
        )

    @precondition(lambda self: self.local_keys("service"))
    @rule(user=st.sampled_from(USERS), which=st.integers(0, 9))
    def delete_local_service(self, user, which):
        keys = self.local_keys("service")
        key = keys[which % len(keys)]
        thing = self.things[key]
        if user in LOCAL_STAFF and not may_write(user, thing.area):
            self.refused(user, key, "delete")  # another area's: a crafted POST
            return
        url = f"/admin/pathways/localservice/{self.pk[key]}/delete/"
        response = self.clients[user].get(url)
        page = response.content.decode()
        if response.status_code == 200 and 'name="post"' in page:
            self.post(user, url, {"csrfmiddlewaretoken": csrf_token(page), "post": "yes"})
        else:
            note(f"{user} may not delete {key}: {response.status_code}")
        # Deleting published content takes it away from readers: publishers of its area only.
        if not may_write(user, thing.area) or (
            thing.status == "published" and not may_publish(user, thing.area)
        ):
            return
        if thing.live or thing.pending is not None:
            self.propose(thing, user, "delete", copy.deepcopy(thing.content))
        else:
            self.remove(key)

    @precondition(lambda self: "S1" in self.things)
    @rule(user=st.sampled_from(USERS))
    def import_directory(self, user):
        """Downloads machine-a's directory, changes S1's route in the file and proposes it
        through the admin's import: one pending change for a publisher of the area. Anyone
        who may not write machine-a is refused with nothing changed."""
        thing, area = self.things["S1"], "machine-a"
        url = f"/admin/pathways/localservice/import/?area={area}"
        before = self.row_and_changes(LocalService, "S1")
        if not may_write(user, area):
            token = csrf_token(self.get(user, "/admin/"))  # a real session's, as a forger has
            data = {"csrfmiddlewaretoken": token, "text": "slug,name\r\n", "action": "propose"}
            response = self.post(user, url, data)
            assert response.status_code in (403, 404), (user, response.status_code)
            assert self.row_and_changes(LocalService, "S1") == before, f"{user} changed S1"
            return
        if not thing.live or thing.pending is not None:
            return  # an import bases on the live version: tried where that is what waits
        download = self.clients[user].get(f"/admin/pathways/localservice/download/?area={area}")
        text = download.content.decode("utf-8-sig")
        old, new = thing.current["route"], self.mint()
        assert old in text, "the download does not hold S1's live route"
        page = self.get(user, url)
        self.post(
            user,
            url,
            {
                "csrfmiddlewaretoken": csrf_token(page),
                "text": text.replace(old, new),
                "action": "propose",
            },
        )
        self.touched.add(old)
        self.propose(thing, user, "change", {**copy.deepcopy(thing.current), "route": new})
