# Every case gets a random tracking code (查询码, civicgrid/core/tracking.py): the field is
# added empty, existing cases are given codes here, and 0010 makes it required and unique.
# Two migrations, so that PostgreSQL does not alter the table in the transaction that
# updated its rows.

from django.db import migrations, models

BATCH = 2000


def give_codes(apps, schema_editor):
    from civicgrid.core.tracking import new_tracking_code

    Case = apps.get_model("cases", "Case")
    pks = list(Case.objects.filter(tracking_code__isnull=True).values_list("pk", flat=True))
    taken: set[str] = set()
    for start in range(0, len(pks), BATCH):
        rows = []
        for pk in pks[start:start + BATCH]:
            code = new_tracking_code()
            while code in taken:
                code = new_tracking_code()
            taken.add(code)
            rows.append(Case(pk=pk, tracking_code=code))
        Case.objects.bulk_update(rows, ["tracking_code"])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0008_inboxitem_moved_to_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="tracking_code",
            field=models.CharField(editable=False, max_length=9, null=True,
                                   verbose_name="查询码"),
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop, elidable=False),
    ]
