"""The targets the seed documents set, as deployment-wide standing targets (year 0):
到2015年,全市社会矛盾纠纷调处成功率92%以上;初信初访和信访积案化解率均达85%以上
(镇江, seeds/000)."""

from decimal import Decimal

from django.db import migrations

SEED_TARGETS = [
    ("mediation_success", Decimal("92.00"), "镇江:到2015年矛盾纠纷调处成功率92%以上"),
    ("first_petition_resolution", Decimal("85.00"),
     "镇江:到2015年初信初访和信访积案化解率均达85%以上"),
]


def load(apps, schema_editor):
    KpiTarget = apps.get_model("stats", "KpiTarget")
    for indicator, value, note in SEED_TARGETS:
        KpiTarget.objects.get_or_create(indicator=indicator, area_code="", year=0,
                                        defaults={"value": value, "note": note})


def unload(apps, schema_editor):
    KpiTarget = apps.get_model("stats", "KpiTarget")
    for indicator, _value, _note in SEED_TARGETS:
        KpiTarget.objects.filter(indicator=indicator, area_code="", year=0).delete()


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
