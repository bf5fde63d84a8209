from django.db import migrations

from civicgrid.units.models import BUILTIN_SPECIALTIES


def create_specialties(apps, schema_editor):
    Specialty = apps.get_model("units", "Specialty")
    for code, name in BUILTIN_SPECIALTIES:
        Specialty.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("units", "0001_initial")]
    operations = [migrations.RunPython(create_specialties, migrations.RunPython.noop)]
