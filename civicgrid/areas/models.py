from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from civicgrid.core.localized import localized
from civicgrid.core.scope import RestrictedManager, Scope, ancestor_codes

models.CharField.register_lookup(Length)


class Level(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("区县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")


# Code length per level (BRIEF.md "Area codes"); the order is the hierarchy.
CODE_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
}
LEVEL_ORDER = list(CODE_LENGTH)
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTH.items()}


class UrbanRuralClass(models.TextChoices):
    MAIN_URBAN = "111", _("主城区")
    URBAN_FRINGE = "112", _("城乡结合区")
    TOWN_CENTRE = "121", _("镇中心区")
    TOWN_FRINGE = "122", _("镇乡结合区")
    SPECIAL = "123", _("特殊区域")
    TOWNSHIP_CENTRE = "210", _("乡中心区")
    VILLAGE = "220", _("村庄")


class Area(models.Model):
    """One administrative area; codes nest by prefix, so a subtree is `code LIKE 'x%'`."""

    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("上级区域"),
    )
    urban_rural_class = models.CharField(
        _("城乡分类代码"), max_length=3, choices=UrbanRuralClass.choices, blank=True
    )
    population = models.PositiveIntegerField(_("人口"), default=0)
    households = models.PositiveIntegerField(_("户数"), default=0)
    boundary = models.JSONField(_("边界(GeoJSON)"), null=True, blank=True)
    centroid_lng = models.FloatField(_("中心经度"), null=True, blank=True)
    centroid_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="areas_area_level_code")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    *[Q(level=lvl, code__length=n) for lvl, n in CODE_LENGTH.items()],
                    _connector=Q.OR,
                ),
                name="areas_area_code_length_matches_level",
            ),
            models.CheckConstraint(
                condition=Q(level=Level.PROVINCE) | Q(parent__isnull=False)
                | Q(code__length__lte=6),
                name="areas_area_parent_below_county",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("code")

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID

    def ancestors(self) -> models.QuerySet[Area]:
        return Area.objects.filter(code__in=ancestor_codes(self.code)).order_by(Length("code"))


class GeometryRevision(models.Model):
    """A counter bumped by every change of a boundary; point→grid indexes rebuild on change."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="areas_geomrev_singleton")]

    def __str__(self) -> str:
        return f"geometry revision {self.revision}"


# Built-in positions (一格多员); created by migration 0002, administrators add more.
BUILTIN_POSITIONS = [
    ("grid_leader", "网格长", 10),
    ("grid_worker", "网格员", 20),
    ("community_police", "社区民警", 30),
    ("mediator", "调解员", 40),
    ("grid_doctor", "网格医生", 50),
    ("legal_adviser", "法律顾问", 60),
    ("building_leader", "楼栋长", 70),
]
# Their English names (ADR 0009), filled in by migration 0003; administrators edit them.
BUILTIN_POSITIONS_EN = {
    "grid_leader": "Grid leader",
    "grid_worker": "Grid worker",
    "community_police": "Community police officer",
    "mediator": "Mediator",
    "grid_doctor": "Grid doctor",
    "legal_adviser": "Legal adviser",
    "building_leader": "Building leader",
}


class PositionType(models.Model):
    """A staffing position in a grid (一格多员): 网格长, 网格员, 社区民警 … or one an admin adds."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=50, blank=True,
                               help_text=_("英文界面显示;空 = 显示中文名称。"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    builtin = models.BooleanField(_("内置"), default=False)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("网格岗位")
        verbose_name_plural = _("网格岗位")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.display_name()

    def display_name(self) -> str:
        """The name in the reader's language (ADR 0009)."""
        return localized(self)

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return Q()


class GridAssignment(models.Model):
    """A person holding a position in a grid."""

    grid = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("网格")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_assignments",
        verbose_name=_("人员"),
    )
    position = models.ForeignKey(
        PositionType, on_delete=models.PROTECT, related_name="assignments",
        verbose_name=_("岗位"),
    )
    since = models.DateField(_("到岗日期"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("网格配员")
        verbose_name_plural = _("网格配员")
        ordering = ["grid__code", "position__sort_order", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "user", "position"], name="areas_gridassignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grid.name} · {self.position} · {self.user}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("grid__code")


class RoadKind(models.TextChoices):
    """How a road is drawn on the local base map (the widths of docs/areas.md)."""

    MAJOR = "major", _("主干路")
    MINOR = "minor", _("次干路、支路")
    LANE = "lane", _("街巷")
    PATH = "path", _("步行道")


class RoadImportMode(models.TextChoices):
    REPLACE = "replace", _("替换现有道路")
    ADD = "add", _("添加到现有道路")


class RoadImport(models.Model):
    """One GeoJSON file of roads an administrator imported (areas/services.py, roads_import);
    its roads go with it when it is removed or replaced.

    Roads and their imports have no `restrict()`: they are the geography every map shows
    (like a tile server's streets), not records of an area or a person. They are read by
    whoever may read maps (`areas.area.view`; the portal's public map) and written only by
    area administrators (`areas.area.change`), through the services.
    """

    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("文件大小(字节)"))
    mode = models.CharField(_("方式"), max_length=10, choices=RoadImportMode.choices)
    roads = models.PositiveIntegerField(_("道路数"))
    vertices = models.PositiveIntegerField(_("顶点数"))
    imported_at = models.DateTimeField(_("导入时间"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
        blank=True, verbose_name=_("导入人"), help_text=_("空:命令行导入(manage.py import_roads)"),
    )

    class Meta:
        verbose_name = _("道路导入")
        verbose_name_plural = _("道路导入")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.roads})"


class Road(models.Model):
    """A road for the local base map: its name, kind and line (GeoJSON LineString or
    MultiLineString, WGS 84, two-dimensional), with its bounds for viewport queries."""

    source = models.ForeignKey(RoadImport, on_delete=models.CASCADE, related_name="road_set",
                               verbose_name=_("导入"))
    name = models.CharField(_("名称"), max_length=100, blank=True)
    kind = models.CharField(_("类别"), max_length=10, choices=RoadKind.choices,
                            default=RoadKind.MINOR)
    geometry = models.JSONField(_("线形(GeoJSON)"))
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    vertices = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("道路")
        verbose_name_plural = _("道路")
        ordering = ["id"]
        indexes = [models.Index(fields=["west", "south"], name="areas_road_bounds")]
        constraints = [
            models.CheckConstraint(
                condition=Q(west__gte=-180, east__lte=180, south__gte=-90, north__lte=90,
                            west__lte=F("east"), south__lte=F("north")),
                name="areas_road_bounds_wgs84",
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"road {self.pk}"
