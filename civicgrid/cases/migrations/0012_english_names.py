from django.db import migrations, models

from civicgrid.cases.loader import fill_english


def forwards(apps, schema_editor):
    fill_english(Category=apps.get_model("cases", "Category"),
                 CategoryAttribute=apps.get_model("cases", "CategoryAttribute"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_party_and_facts_events")]
    operations = [
        migrations.AddField(
            model_name="category", name="name_en",
            field=models.CharField(blank=True, help_text="英文界面显示;空 = 显示中文名称。",
                                   max_length=60, verbose_name="英文名称")),
        migrations.AddField(
            model_name="categoryattribute", name="description_en",
            field=models.CharField(blank=True, help_text="英文界面显示;空 = 显示中文。",
                                   max_length=200, verbose_name="英文问题")),
        migrations.AddField(
            model_name="categoryattribute", name="values_en",
            field=models.JSONField(blank=True, default=dict,
                                   help_text='{"代码": "English name", ...};缺的显示中文。',
                                   verbose_name="可选值英文名称")),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
