from django.db import migrations

from civicgrid.areas.models import BUILTIN_POSITIONS


def create_positions(apps, schema_editor):
    PositionType = apps.get_model("areas", "PositionType")
    for code, name, order in BUILTIN_POSITIONS:
        PositionType.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order, "builtin": True}
        )


class Migration(migrations.Migration):
    dependencies = [("areas", "0001_initial")]
    operations = [migrations.RunPython(create_positions, migrations.RunPython.noop)]
