from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_case_tracking_code"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="tracking_code",
            field=models.CharField(editable=False, max_length=9, unique=True,
                                   verbose_name="查询码"),
        ),
    ]
