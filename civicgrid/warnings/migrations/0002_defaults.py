"""The settings row, the default warning rules, and (PostgreSQL) an append-only trigger
on the weekly check revisions: nothing a user submitted can be changed or deleted."""

from django.db import migrations

from civicgrid.warnings.defaults import load_default_rules

CREATE = """
CREATE OR REPLACE FUNCTION warnings_revision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'warnings_weeklycheckrevision is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER warnings_revision_append_only
    BEFORE UPDATE OR DELETE ON warnings_weeklycheckrevision
    FOR EACH ROW EXECUTE FUNCTION warnings_revision_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS warnings_revision_append_only ON warnings_weeklycheckrevision;
DROP FUNCTION IF EXISTS warnings_revision_append_only();
"""


def forwards(apps, schema_editor):
    apps.get_model("warnings", "CheckSettings").objects.get_or_create(pk=1)
    load_default_rules(WarningRule=apps.get_model("warnings", "WarningRule"))
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("warnings", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
