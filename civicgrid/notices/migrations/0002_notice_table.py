from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("notices", "0001_initial"),
        ("cases", "0008_inboxitem_moved_to_notices"),
    ]

    operations = [
        migrations.AlterModelTable(name="notice", table=None),
    ]
