from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.core.localized import localized
from civicgrid.core.scope import RestrictedManager, Scope


class UnitKind(models.TextChoices):
    GOVERNANCE_CENTRE = "governance_centre", _("综治中心(社会治理中心)")
    MEDIATION_COMMITTEE = "mediation_committee", _("人民调解委员会")
    SPECIALISED_COMMITTEE = "specialised_committee", _("专业性行业性调解委员会")
    STREET_OFFICE = "street_office", _("街道办事处/乡镇政府")
    COMMUNITY_COMMITTEE = "community_committee", _("社区居委会/村委会")
    DEPARTMENT = "department", _("职能部门")
    JUSTICE_OFFICE = "justice_office", _("司法所")
    POLICE_STATION = "police_station", _("派出所")
    COURT = "court", _("人民法院")
    PROCURATORATE = "procuratorate", _("人民检察院")
    PETITION_OFFICE = "petition_office", _("信访部门")
    LEGAL_AID = "legal_aid", _("法律援助中心")
    OTHER = "other", _("其他")


# Specialties (一综多专) seen in real mediation systems; categories will point to them.
BUILTIN_SPECIALTIES = [
    ("marriage_family", "婚姻家庭"),
    ("neighbourhood", "邻里纠纷"),
    ("labour", "劳资纠纷"),
    ("medical", "医患纠纷"),
    ("land_acquisition", "征地拆迁"),
    ("land_rights", "土地山林水利权属"),
    ("property_management", "物业纠纷"),
    ("traffic_accident", "交通事故"),
    ("consumer", "消费纠纷"),
    ("environment", "环境保护"),
    ("education", "教育"),
    ("village_affairs", "村务"),
    ("conduct", "干部作风"),
    ("foreign", "涉外"),
    ("public_service", "民生服务"),
    ("safety_hazard", "安全隐患"),
    ("emergency", "突发事件"),
    ("petition", "信访"),
    ("general", "综合"),
]
# Their English names (ADR 0009), filled in by migration 0003; administrators edit them.
BUILTIN_SPECIALTIES_EN = {
    "marriage_family": "Marriage and family",
    "neighbourhood": "Neighbour disputes",
    "labour": "Labour disputes",
    "medical": "Medical disputes",
    "land_acquisition": "Land acquisition and demolition",
    "land_rights": "Land, forest and water rights",
    "property_management": "Property management disputes",
    "traffic_accident": "Traffic accidents",
    "consumer": "Consumer disputes",
    "environment": "Environmental protection",
    "education": "Education",
    "village_affairs": "Village affairs",
    "conduct": "Officials' conduct",
    "foreign": "Foreign-related",
    "public_service": "Public services",
    "safety_hazard": "Safety hazards",
    "emergency": "Emergencies",
    "petition": "Petitions",
    "general": "General",
}


class Specialty(models.Model):
    """A kind of dispute or work a unit specialises in (一综多专), matched to categories."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=50, blank=True,
                               help_text=_("英文界面显示;空 = 显示中文名称。"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("专业领域")
        verbose_name_plural = _("专业领域")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self) -> str:
        """The name in the reader's language (ADR 0009)."""
        return localized(self)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q()


class Unit(models.Model):
    code = models.SlugField(_("单位代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=30, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("上级单位"),
    )
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="units",
        verbose_name=_("所在区域"),
        help_text=_("单位所在的行政区域,决定其处置层级。"),
    )
    jurisdiction = models.ManyToManyField(
        "areas.Area", related_name="serving_units", blank=True, verbose_name=_("管辖范围")
    )
    specialties = models.ManyToManyField(
        Specialty, related_name="units", blank=True, verbose_name=_("专业领域")
    )
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("在用"), default=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["area__code", "kind", "code"]
        indexes = [models.Index(fields=["kind", "area"], name="units_unit_kind_area")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """Units located in, or serving, an area that overlaps the user's jurisdiction."""
        serving = Unit.jurisdiction.through.objects.filter(
            scope.overlap_q("area__code")
        ).values("unit_id")
        return scope.overlap_q("area__code") | Q(pk__in=serving) | Q(pk__in=scope.unit_ids)


class UnitMembership(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_memberships"
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)
    is_leader = models.BooleanField(_("负责人"), default=False)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("单位成员")
        verbose_name_plural = _("单位成员")
        ordering = ["unit__code", "-is_leader", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "user"], name="units_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.user}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q(unit__in=Unit.objects.filter(Unit.scope_q(scope)))
