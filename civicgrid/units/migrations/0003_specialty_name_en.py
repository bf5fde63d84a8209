from django.db import migrations, models

from civicgrid.units.models import BUILTIN_SPECIALTIES, BUILTIN_SPECIALTIES_EN


def forwards(apps, schema_editor):
    Specialty = apps.get_model("units", "Specialty")
    for code, name in BUILTIN_SPECIALTIES:  # only rows still named as shipped
        Specialty.objects.filter(code=code, name=name, name_en="").update(
            name_en=BUILTIN_SPECIALTIES_EN[code])


class Migration(migrations.Migration):
    dependencies = [("units", "0002_builtin_specialties")]
    operations = [
        migrations.AddField(
            model_name="specialty", name="name_en",
            field=models.CharField(blank=True, help_text="英文界面显示;空 = 显示中文名称。",
                                   max_length=50, verbose_name="英文名称")),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
