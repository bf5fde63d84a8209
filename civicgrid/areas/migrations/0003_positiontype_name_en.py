from django.db import migrations, models

from civicgrid.areas.models import BUILTIN_POSITIONS, BUILTIN_POSITIONS_EN


def forwards(apps, schema_editor):
    PositionType = apps.get_model("areas", "PositionType")
    for code, name, _order in BUILTIN_POSITIONS:  # only rows still named as shipped
        PositionType.objects.filter(code=code, name=name, name_en="").update(
            name_en=BUILTIN_POSITIONS_EN[code])


class Migration(migrations.Migration):
    dependencies = [("areas", "0002_builtin_positions")]
    operations = [
        migrations.AddField(
            model_name="positiontype", name="name_en",
            field=models.CharField(blank=True, help_text="英文界面显示;空 = 显示中文名称。",
                                   max_length=50, verbose_name="英文名称")),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
