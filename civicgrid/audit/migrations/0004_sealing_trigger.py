"""The sealed chain (ADR 0010): the append-only trigger lets the sealer set an unsealed
entry's place and hashes, and nothing else; the entries written before are numbered in the
order they were chained (by id), keeping their hashes."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND (OLD.hash = '' OR NEW.hash = OLD.hash)
       AND (OLD.prev_hash = '' OR NEW.prev_hash = OLD.prev_hash)
       AND (NEW.id, NEW.time, NEW.actor_id, NEW.actor_username, NEW.source_ip, NEW.event_type,
            NEW.subject_type, NEW.subject_id, NEW.subject_repr, NEW.success, NEW.details)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.time, OLD.actor_id, OLD.actor_username, OLD.source_ip, OLD.event_type,
            OLD.subject_type, OLD.subject_id, OLD.subject_repr, OLD.success, OLD.details)
    THEN
        RETURN NEW;  -- the sealer: an unsealed entry gets its place and hashes, once
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
BEFORE = """
CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
NUMBER = """
UPDATE audit_auditentry SET seq = numbered.n
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM audit_auditentry) AS numbered
WHERE audit_auditentry.id = numbered.id AND audit_auditentry.hash <> ''
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)
    schema_editor.execute(NUMBER, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BEFORE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_sealed_chain")]
    operations = [migrations.RunPython(forwards, backwards)]
