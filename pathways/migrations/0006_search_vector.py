"""Full-text search on PostgreSQL: a search vector per entry, indexed with GIN, that
triggers rebuild from the entry's rationale and criteria and its interventions' text
whenever any of them changes (admin, fixtures, imports, bulk loads alike).
On other databases the column stays empty and search falls back to word matching."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

# Rationale weighs most, then criteria, then interventions: ts_rank uses the weights.
CREATE_TRIGGERS = """
CREATE FUNCTION pathways_entry_search_vector() RETURNS trigger AS $$
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

CREATE TRIGGER pathways_entry_search_vector
  BEFORE INSERT OR UPDATE ON pathways_entry
  FOR EACH ROW EXECUTE FUNCTION pathways_entry_search_vector();

CREATE FUNCTION pathways_intervention_touch_entry() RETURNS trigger AS $$
BEGIN
  -- Touching the entry runs its trigger, which re-reads every intervention.
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

CREATE TRIGGER pathways_intervention_touch_entry
  AFTER INSERT OR UPDATE OR DELETE ON pathways_intervention
  FOR EACH ROW EXECUTE FUNCTION pathways_intervention_touch_entry();

UPDATE pathways_entry SET id = id;
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS pathways_intervention_touch_entry ON pathways_intervention;
DROP FUNCTION IF EXISTS pathways_intervention_touch_entry();
DROP TRIGGER IF EXISTS pathways_entry_search_vector ON pathways_entry;
DROP FUNCTION IF EXISTS pathways_entry_search_vector();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("pathways", "0005_publishers_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="entry_search_vector_gin"
            ),
        ),
        migrations.RunPython(on_postgresql(CREATE_TRIGGERS), on_postgresql(DROP_TRIGGERS)),
    ]
