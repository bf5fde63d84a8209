from django.db import migrations

from civicgrid.cases.loader import load_categories


def forwards(apps, schema_editor):
    load_categories(Category=apps.get_model("cases", "Category"),
                    CategoryAttribute=apps.get_model("cases", "CategoryAttribute"),
                    Specialty=apps.get_model("units", "Specialty"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial"), ("units", "0002_builtin_specialties")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
