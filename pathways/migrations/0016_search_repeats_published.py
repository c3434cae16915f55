"""Search never finds an entry by a draft's words (issue 21): the search vector takes the
interventions of the entry an entry repeats only while that entry is published in the same
pathway (the "as above" rule of pathways.models, `repeats_shown_condition`), and an entry's
status or pathway changing rebuilds the vectors of the entries that repeat it.

PostgreSQL only, like 0006 and 0012; SQLite reads the words in Python (pathways.search)."""

from django.db import migrations

CREATE_FUNCTIONS = """
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
      FROM pathways_intervention i
      JOIN pathways_entry repeated ON repeated.id = i.entry_id
      WHERE repeated.id = NEW.repeats_id
        AND repeated.status = 'published'
        AND repeated.pathway_id = NEW.pathway_id))), 'C');
  RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION pathways_entry_touch_repeaters() RETURNS trigger AS $$
BEGIN
  -- Touching an entry that repeats this one runs its trigger, which reads this one afresh.
  UPDATE pathways_entry SET id = id WHERE repeats_id = NEW.id;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER pathways_entry_touch_repeaters
  AFTER UPDATE OF status, pathway_id ON pathways_entry
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.pathway_id IS DISTINCT FROM NEW.pathway_id)
  EXECUTE FUNCTION pathways_entry_touch_repeaters();

UPDATE pathways_entry SET id = id WHERE repeats_id IS NOT NULL;
"""

# Back to 0012's search vector.
DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS pathways_entry_touch_repeaters ON pathways_entry;
DROP FUNCTION IF EXISTS pathways_entry_touch_repeaters();

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

UPDATE pathways_entry SET id = id WHERE repeats_id IS NOT NULL;
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0015_cds_tokens"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(CREATE_FUNCTIONS), on_postgresql(DROP_FUNCTIONS)),
    ]
