from django.db import migrations, models

from civicgrid.warnings.defaults import fill_english_names


def forwards(apps, schema_editor):
    fill_english_names(WarningRule=apps.get_model("warnings", "WarningRule"))


class Migration(migrations.Migration):
    dependencies = [("warnings", "0002_defaults")]
    operations = [
        migrations.AddField(
            model_name="warningrule", name="name_en",
            field=models.CharField(blank=True, help_text="英文界面显示;空 = 显示中文名称。",
                                   max_length=60, verbose_name="英文名称")),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
