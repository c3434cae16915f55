"""Search that finds what is there (PRODUCT.md "Search"): the glossary of abbreviations, an
entry's reference to the entry it repeats ("As above in 1 - 3 years age range plus:"),
pg_trgm for typo candidates, and the search vector rebuilt from normalised text that includes
the repeated entry's interventions. Editors edit glossary terms; publishers publish them.

`pathways_search_text` reads text as pathways.search.words_of does: accents taken off (by
translate(), without the unaccent extension), lower case, and anything but letters and
digits (apostrophes and dashes of every kind included) a space between words."""

import unicodedata

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

EDITORS = "Editors"
PUBLISHERS = "Publishers"
FOR_EDITORS = [f"{action}_glossaryterm" for action in ("add", "change", "delete", "view")]
FOR_PUBLISHERS = ["view_glossaryterm", "change_glossaryterm", "publish_glossaryterm"]


def _accented() -> tuple[str, str]:
    """Letters with accents (Latin-1 to Latin Extended-B) and the plain letter of each."""
    plain_from, plain_to = "", ""
    for code in range(0xC0, 0x250):
        char = chr(code)
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
        if len(base) == 1 and base.isascii() and base.isalpha() and base != char:
            plain_from += char
            plain_to += base
    return plain_from, plain_to


ACCENTED, PLAIN = _accented()

CREATE_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION pathways_search_text(text) RETURNS text AS $$
  SELECT regexp_replace(lower(translate(coalesce($1, ''), '{ACCENTED}', '{PLAIN}')),
                        '[^[:alnum:]]+', ' ', 'g')
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION pathways_entry_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', pathways_search_text(NEW.rationale)), 'A') ||
    setweight(to_tsvector('english', pathways_search_text(NEW.criteria)), 'B') ||
    setweight(to_tsvector('english', pathways_search_text((
      SELECT string_agg(i.text || ' ' || i.bullets, ' ' ORDER BY i.position)
      FROM pathways_intervention i WHERE i.entry_id = NEW.id))), 'C') ||
    setweight(to_tsvector('english', pathways_search_text((
      SELECT string_agg(i.text || ' ' || i.bullets, ' ' ORDER BY i.position)
      FROM pathways_intervention i WHERE i.entry_id = NEW.repeats_id))), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pathways_intervention_touch_entry() RETURNS trigger AS $$
BEGIN
  -- Touching an entry runs its trigger, which re-reads every intervention; entries that
  -- repeat this one's entry read them too.
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE pathways_entry SET id = id WHERE id = OLD.entry_id OR repeats_id = OLD.entry_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.entry_id <> OLD.entry_id
      OR NEW.text <> OLD.text OR NEW.bullets <> OLD.bullets) THEN
    UPDATE pathways_entry SET id = id WHERE id = NEW.entry_id OR repeats_id = NEW.entry_id;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

UPDATE pathways_entry SET id = id;
"""

# Back to 0006's search vector.
DROP_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pathways_entry_search_vector() RETURNS trigger AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector('english', coalesce(NEW.rationale, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(NEW.criteria, '')), 'B') ||
    setweight(to_tsvector('english', coalesce((
      SELECT string_agg(i.text || ' ' || i.bullets, ' ' ORDER BY i.position)
      FROM pathways_intervention i WHERE i.entry_id = NEW.id), '')), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pathways_intervention_touch_entry() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE pathways_entry SET id = id WHERE id = OLD.entry_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.entry_id <> OLD.entry_id
      OR NEW.text <> OLD.text OR NEW.bullets <> OLD.bullets) THEN
    UPDATE pathways_entry SET id = id WHERE id = NEW.entry_id;
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP FUNCTION IF EXISTS pathways_search_text(text);
UPDATE pathways_entry SET id = id;
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


def _permissions(apps, codenames):
    return apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="pathways", codename__in=codenames
    )


def give_glossary_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; these are needed now.
    app_config = apps.get_app_config("pathways")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    for name, codenames in ((EDITORS, FOR_EDITORS), (PUBLISHERS, FOR_PUBLISHERS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, codenames))


def take_glossary_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, codenames in ((EDITORS, FOR_EDITORS), (PUBLISHERS, FOR_PUBLISHERS)):
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0011_pending_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # A no-op on SQLite; on PostgreSQL the pg_trgm extension (trusted: a database owner
        # may create it).
        TrigramExtension(),
        migrations.CreateModel(
            name="GlossaryTerm",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "term",
                    models.CharField(
                        help_text="As the pathway writes it, e.g. “NICU”.",
                        max_length=50,
                        unique=True,
                    ),
                ),
                (
                    "expansions",
                    models.TextField(
                        help_text="What the term stands for, one per line. The first line is shown where the term is used; search also finds the term by the other lines (another wording the pathway uses for the same thing, another spelling)."
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("draft", "Draft"), ("published", "Published")],
                        default="draft",
                        help_text="Search and the result cards use a term once it is published.",
                        max_length=20,
                    ),
                ),
            ],
            options={
                "ordering": ["term"],
                "permissions": [
                    ("publish_glossaryterm", "Can publish and unpublish glossary terms")
                ],
            },
        ),
        migrations.AddField(
            model_name="entry",
            name="repeats",
            field=models.ForeignKey(
                blank=True,
                help_text="The entry whose interventions this one repeats, where it says so (“As above in 1 - 3 years age range plus:”). Its interventions are shown with this entry and search finds this entry by them.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="repeated_by",
                to="pathways.entry",
            ),
        ),
        migrations.AddField(
            model_name="historicalentry",
            name="repeats",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The entry whose interventions this one repeats, where it says so (“As above in 1 - 3 years age range plus:”). Its interventions are shown with this entry and search finds this entry by them.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pathways.entry",
            ),
        ),
        migrations.CreateModel(
            name="HistoricalGlossaryTerm",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "term",
                    models.CharField(
                        db_index=True,
                        help_text="As the pathway writes it, e.g. “NICU”.",
                        max_length=50,
                    ),
                ),
                (
                    "expansions",
                    models.TextField(
                        help_text="What the term stands for, one per line. The first line is shown where the term is used; search also finds the term by the other lines (another wording the pathway uses for the same thing, another spelling)."
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("draft", "Draft"), ("published", "Published")],
                        default="draft",
                        help_text="Search and the result cards use a term once it is published.",
                        max_length=20,
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "approval",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="pathways.pendingchange",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical glossary term",
                "verbose_name_plural": "historical glossary terms",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(on_postgresql(CREATE_FUNCTIONS), on_postgresql(DROP_FUNCTIONS)),
        migrations.RunPython(give_glossary_permissions, take_glossary_permissions),
    ]
