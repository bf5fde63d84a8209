"""The provincial list of kinds of major matters and the first published level rule.

Kinds drawn from 中办发〔2012〕2号, 发改投资〔2012〕2492号 and the provincial lists of matters
that must be assessed (docs/risk.md); administrators edit the list afterwards. The rule's
figures are the defaults of LevelRule (docs/risk.md, "The level rule")."""

from django.db import migrations
from django.utils import timezone

KINDS = [
    ("land_acquisition", "征地拆迁与房屋征收", "集体土地征收、国有土地上房屋征收与补偿", True),
    ("urban_construction", "城乡建设与旧城改造", "老旧小区改造、城中村改造、市政设施建设", True),
    ("major_project", "重大工程项目", "交通、能源、水利等重大建设项目的立项与实施", True),
    ("environment", "生态环境", "可能影响生态环境的项目布局与调整,垃圾处理、污水处理设施选址", True),
    ("education", "教育", "学校撤并、学区调整、招生入学政策", True),
    ("health", "医疗卫生", "医疗机构布局调整、医疗服务价格与医保政策", True),
    ("price", "价格调整", "水、电、气、公共交通等与群众生活密切相关的价格调整", True),
    ("social_security", "社会保障与劳动就业", "社会保障、就业、收入分配等政策的制定与调整", True),
    ("enterprise_restructuring", "企业改制", "国有、集体企业改制、重组、破产", True),
    ("other", "其他事项", "其他涉及群众切身利益、需要研究是否评估的事项", False),
]


def forwards(apps, schema_editor):
    MatterKind = apps.get_model("risk", "MatterKind")
    LevelRule = apps.get_model("risk", "LevelRule")
    for position, (code, name, description, mandatory) in enumerate(KINDS, start=1):
        MatterKind.objects.get_or_create(code=code, defaults={
            "name": name, "description": description, "mandatory": mandatory,
            "position": position})
    if not LevelRule.objects.exists():
        LevelRule.objects.create(version=1, published_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
