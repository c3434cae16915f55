"""Databases in use survive every release: a database made by the last release (its content,
history and pending changes) migrates to this one and loses nothing."""

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from .conftest import FIXTURES

# The last release's newest migration of the app (main before issue 21).
LAST_RELEASE = [("pathways", "0012_search_glossary_repeats")]
CONTENT = [
    "Pathway",
    "ReadingNote",
    "Stage",
    "AgeBand",
    "Service",
    "Tag",
    "Entry",
    "Intervention",
    "GlossaryTerm",
    "ContextDocument",
    "DocumentSection",
]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def counts(apps) -> dict[str, int]:
    """Rows of every content model and of its history."""
    found = {}
    for name in CONTENT:
        found[name] = apps.get_model("pathways", name).objects.count()
        found[f"Historical{name}"] = apps.get_model("pathways", f"Historical{name}").objects.count()
    return found


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_last_release_migrates_and_loses_nothing(django_user_model):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        # Content and its history as the last release's `make run` leaves them: loaded with
        # today's models (the fixtures carry today's fields), then taken back to the last
        # release's tables.
        call_command("loaddata", *FIXTURES, verbosity=0)
        call_command("record_history_baseline", verbosity=0, stdout=io.StringIO())
        old = migrate(LAST_RELEASE)
        editor = django_user_model.objects.create_user("erin", password="x" * 12)
        publisher = django_user_model.objects.create_user("pia", password="x" * 12)
        ContentType = old.get_model("contenttypes", "ContentType")
        Entry = old.get_model("pathways", "Entry")
        Tag = old.get_model("pathways", "Tag")
        PendingChange = old.get_model("pathways", "PendingChange")
        entry_type = ContentType.objects.get(app_label="pathways", model="entry")
        tag_type = ContentType.objects.get(app_label="pathways", model="tag")
        entry = Entry.objects.order_by("position").first()
        tag = Tag.objects.first()

        def change(content_type, obj, who, words, decision="pending"):
            return PendingChange.objects.create(
                content_type=content_type,
                object_id=obj.pk,
                object_repr=words,
                kind="change",
                base={"fields": {"words": "old"}, "parts": {}},
                proposed={"fields": {"words": words}, "parts": {}},
                reason=words,
                proposed_by_id=who.pk,
                decision=decision,
            )

        # The last release let two changes wait on one object; the newer is kept pending.
        older = change(entry_type, entry, editor, "older")
        newer = change(entry_type, entry, publisher, "newer")
        other = change(tag_type, tag, editor, "tag")
        decided = change(tag_type, tag, editor, "approved", decision="approved")
        ProblemReport = old.get_model("pathways", "ProblemReport")
        report = ProblemReport.objects.create(entry=entry, text="Wrong", email="r@example.org")
        # The staff groups as the last release made them (a transactional test before this
        # one may have emptied the table): 0020 gives them the local permissions.
        for name in ("Editors", "Publishers"):
            old.get_model("auth", "Group").objects.get_or_create(name=name)
        before = counts(old)
        saved = {c.pk: (c.base, c.proposed, c.reason) for c in PendingChange.objects.all()}

        new = migrate(latest)

        assert counts(new) == before
        # Entries are numbered by the place they held, so links by position keep their entry.
        for model in ("Entry", "HistoricalEntry"):
            rows = new.get_model("pathways", model).objects.values_list("position", "number")
            assert rows and all(position == number for position, number in rows), model
        PendingChange = new.get_model("pathways", "PendingChange")
        assert {c.pk: (c.base, c.proposed, c.reason) for c in PendingChange.objects.all()} == saved
        by_pk = {c.pk: c for c in PendingChange.objects.all()}
        for pk in (older.pk, newer.pk, other.pk, decided.pk):
            assert [u.pk for u in by_pk[pk].proposers.all()] == [by_pk[pk].proposed_by_id]
        assert by_pk[newer.pk].decision == "pending"
        assert by_pk[other.pk].decision == "pending"
        assert by_pk[decided.pk].decision == "approved"
        assert by_pk[older.pk].decision == "withdrawn"
        assert "replaces it" in by_pk[older.pk].comment
        # 0019: an import of a pathway's page text waits beside the pathway's own pending
        # change (one of each); a second change of either kind is still refused.
        Pathway = new.get_model("pathways", "Pathway")
        pathway_type = new.get_model("contenttypes", "ContentType").objects.get(
            app_label="pathways", model="pathway"
        )
        pathway = Pathway.objects.get(slug="infant-mental-health")

        def waiting(kind):
            return PendingChange.objects.create(
                content_type_id=pathway_type.pk,
                object_id=pathway.pk,
                object_repr=kind,
                kind=kind,
                base={"page": None},
                proposed={"text": kind},
                proposed_by_id=editor.pk,
            )

        waiting("change")
        waiting("import")
        for kind in ("change", "import"):
            with pytest.raises(IntegrityError), transaction.atomic():
                waiting(kind)
        # 0020: every existing change is national content's (no area); a report keeps its
        # entry and text and is about that entry alone; editors and publishers hold the local
        # permissions, and a report about nothing is refused.
        assert set(PendingChange.objects.values_list("area", flat=True)) == {None}
        ProblemReport = new.get_model("pathways", "ProblemReport")
        kept = ProblemReport.objects.get(pk=report.pk)
        assert (kept.entry_id, kept.text, kept.email) == (entry.pk, "Wrong", "r@example.org")
        assert (kept.local_service_id, kept.resolution, kept.notified_at) == (None, "", None)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProblemReport.objects.create(text="About nothing")
        Group = new.get_model("auth", "Group")
        editors = set(
            Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
        )
        publishers = set(
            Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True)
        )
        assert {"add_localservice", "change_localnote", "change_area"} <= editors
        assert {"publish_localservice", "publish_localnote", "publish_area"} <= publishers
        assert "publish_localservice" not in editors
        # And back: the release before this one's schema, the content still whole.
        back = migrate([("pathways", "0019_import_kind")])
        assert counts(back) == before
    finally:
        migrate(latest)
