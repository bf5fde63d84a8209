"""The registry's places (一标三实: one standard address and the real houses at it).

A building (楼栋) stands in one grid and is coded `<15-digit grid code><5-digit sequence>`
(GB/T 31000 style): the code names where it was registered and never changes. Its rooms
(房屋) are addressed by unit, floor and number within it. Every read goes through
`restrict()` by the grid's code: a grid worker sees the buildings of their grids, community
and street staff their subtree (docs/registry.md).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Area
from civicgrid.core.scope import RestrictedManager, Scope

BUILDING_CODE_LENGTH = 20  # the grid's 15 digits and a 5-digit sequence
MAX_FLOORS_ABOVE = 200
MAX_FLOORS_BELOW = 10
MAX_UNITS = 50
MAX_ROOMS_PER_FLOOR = 60
MAX_GENERATED_ROOMS = 6000  # one layout table generated at once


class BuildingUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    OFFICE = "office", _("办公")
    INDUSTRIAL = "industrial", _("工业")
    PUBLIC = "public", _("公共服务")
    MIXED = "mixed", _("商住混合")
    OTHER = "other", _("其他")


class RoomUse(models.TextChoices):
    UNKNOWN = "unknown", _("待核实")
    OWNER = "owner", _("自住")
    RENTED = "rented", _("出租")
    VACANT = "vacant", _("空置")
    BUSINESS = "business", _("经营")
    OTHER = "other", _("其他")


class Building(models.Model):
    code = models.CharField(_("楼栋编码"), max_length=BUILDING_CODE_LENGTH, unique=True)
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="buildings",
                             verbose_name=_("所在网格"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    road = models.CharField(_("街路巷"), max_length=60, blank=True)
    house_number = models.CharField(_("门牌号"), max_length=20, blank=True)
    name = models.CharField(_("楼栋名称"), max_length=60)
    address = models.CharField(_("标准地址"), max_length=200)
    use = models.CharField(_("用途"), max_length=12, choices=BuildingUse.choices,
                           default=BuildingUse.RESIDENTIAL)
    floors_above = models.PositiveSmallIntegerField(_("地上层数"), default=1)
    floors_below = models.PositiveSmallIntegerField(_("地下层数"), default=0)
    units = models.PositiveSmallIntegerField(_("单元数"), default=1)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    verified_at = models.DateTimeField(_("最近核实时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["code"]
        indexes = [models.Index(fields=["grid_code", "code"], name="registry_building_grid")]
        constraints = [
            models.CheckConstraint(condition=Q(floors_above__gte=1, units__gte=1),
                                   name="registry_building_floors_units"),
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.code})"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("grid_code")


class Room(models.Model):
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="rooms",
                                 verbose_name=_("楼栋"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    unit = models.PositiveSmallIntegerField(_("单元"))
    floor = models.SmallIntegerField(_("楼层"))  # below ground: -1, -2…
    number = models.CharField(_("室号"), max_length=12)
    address = models.CharField(_("标准地址"), max_length=200)
    area_m2 = models.DecimalField(_("面积(平方米)"), max_digits=8, decimal_places=2,
                                  null=True, blank=True)
    use = models.CharField(_("用途"), max_length=10, choices=RoomUse.choices,
                           default=RoomUse.UNKNOWN)
    verified_at = models.DateTimeField(_("最近核实时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["building_id", "unit", "floor", "number"]
        indexes = [models.Index(fields=["grid_code", "use"], name="registry_room_grid_use")]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "floor", "number"],
                                    name="registry_room_unique_place"),
            models.CheckConstraint(condition=~Q(floor=0), name="registry_room_floor_not_zero"),
        ]

    def __str__(self) -> str:
        return self.address

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("grid_code")
