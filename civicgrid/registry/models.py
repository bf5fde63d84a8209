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
from civicgrid.cases.models import Sex
from civicgrid.core.scope import RestrictedManager, Scope

BUILDING_CODE_LENGTH = 20  # the grid's 15 digits and a 5-digit sequence
MAX_FLOORS_ABOVE = 200
MAX_FLOORS_BELOW = 10
MAX_UNITS = 50
MAX_ROOMS_PER_FLOOR = 60
MAX_GENERATED_ROOMS = 6000  # one layout table generated at once


class InGrid:
    """A record read through `restrict()` by the code of the grid it stands in
    (`grid_code`): a grid worker sees their grids', community and street staff their
    subtree's."""

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("grid_code")


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


class Building(InGrid, models.Model):
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


class Room(InGrid, models.Model):
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
    # The owner (产权人): a registered person or an organisation, at most one of the two.
    owner_person = models.ForeignKey("Person", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="owned_rooms",
                                     verbose_name=_("产权人"))
    owner_organisation = models.ForeignKey("Organisation", on_delete=models.SET_NULL,
                                           null=True, blank=True, related_name="owned_rooms",
                                           verbose_name=_("产权单位"))
    verified_at = models.DateTimeField(_("最近核实时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("房屋")
        verbose_name_plural = _("房屋")
        ordering = ["building_id", "unit", "floor", "number"]
        indexes = [models.Index(fields=["grid_code", "use"], name="registry_room_grid_use"),
                   models.Index(fields=["grid_code", "verified_at"],
                                name="registry_room_verified"),
                   # an import finds a room by its standard address (civicgrid/imports)
                   models.Index(fields=["address"], name="registry_room_address")]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "floor", "number"],
                                    name="registry_room_unique_place"),
            models.CheckConstraint(condition=~Q(floor=0), name="registry_room_floor_not_zero"),
            models.CheckConstraint(
                condition=Q(owner_person__isnull=True) | Q(owner_organisation__isnull=True),
                name="registry_room_one_owner"),
        ]

    def __str__(self) -> str:
        return self.address


# --- people (实有人口) ---------------------------------------------------------------------

class PersonKind(models.TextChoices):
    """GB/T 31000's four kinds of actual population (实有人口)."""

    REGISTERED = "registered", _("户籍人口")
    SEPARATED = "separated", _("人户分离")
    FLOATING = "floating", _("流动人口")
    FOREIGN = "foreign", _("境外人员")


class DocumentType(models.TextChoices):
    ID_CARD = "id_card", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO = "hk_macao", _("港澳居民来往内地通行证")
    TAIWAN = "taiwan", _("台湾居民来往大陆通行证")
    PERMANENT_RESIDENCE = "permanent_residence", _("外国人永久居留身份证")
    OTHER = "other", _("其他证件")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("研究生")
    BACHELOR = "bachelor", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY_VOCATIONAL = "secondary_vocational", _("中等职业教育")
    HIGH_SCHOOL = "high_school", _("普通高中")
    JUNIOR = "junior", _("初中")
    PRIMARY = "primary", _("小学")
    NONE = "none", _("未上过学")


class StayPurpose(models.TextChoices):
    WORK = "work", _("务工经商")
    STUDY = "study", _("学习培训")
    FAMILY = "family", _("投亲靠友")
    VISIT = "visit", _("旅游探亲")
    BUSINESS = "business", _("商务")
    OTHER = "other", _("其他")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    MOVED_AWAY = "moved_away", _("迁出")
    DECEASED = "deceased", _("死亡")
    DEREGISTERED = "deregistered", _("注销")


class Person(models.Model):
    """A person living (or registered) in the district. The citizen ID or other document
    number and the phone are sealed (core/privacy.py: encrypted, a keyed hash for exact
    search, a mask for display); one person per keyed document hash. `grid_code` is the grid
    whose register holds the person (where they were registered or last moved in); the
    person is also seen from every grid where they live now (`scope_q`)."""

    name = models.CharField(_("姓名"), max_length=60)
    sex = models.CharField(_("性别"), max_length=6, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    document_type = models.CharField(_("证件类型"), max_length=20, choices=DocumentType.choices,
                                     default=DocumentType.ID_CARD)
    id_number_encrypted = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True)
    id_number_masked = models.CharField(_("证件号码"), max_length=40, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=24, blank=True)
    phone_last4 = models.CharField(max_length=4, blank=True)
    hukou_code = models.CharField(_("户籍地行政区划代码"), max_length=6, blank=True)
    kind = models.CharField(_("人口类型"), max_length=12, choices=PersonKind.choices)
    nationality = models.CharField(_("国籍(地区)"), max_length=3, blank=True)
    stay_purpose = models.CharField(_("来居住地事由"), max_length=12, choices=StayPurpose.choices,
                                    blank=True)
    education = models.CharField(_("学历"), max_length=24, choices=Education.choices,
                                 blank=True)
    occupation = models.CharField(_("职业"), max_length=60, blank=True)
    employer = models.ForeignKey("Organisation", on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="employees",
                                 verbose_name=_("服务处所"))
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("登记网格"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    status = models.CharField(_("状态"), max_length=14, choices=PersonStatus.choices,
                              default=PersonStatus.ACTIVE)
    status_date = models.DateField(_("状态变更日期"), null=True, blank=True)
    status_reason = models.CharField(_("变更原因"), max_length=200, blank=True)
    scrubbed_at = models.DateTimeField(_("个人信息清除时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("最近核实时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["grid_code", "status", "kind"], name="registry_person_grid"),
            models.Index(fields=["name", "id"], name="registry_person_name"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_number_hash"], condition=~Q(id_number_hash=""),
                                    name="registry_person_one_per_document"),
        ]

    def __str__(self) -> str:
        return self.name or str(_("(已清除)"))

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        living = Residence.objects.filter(scope.subtree_q("grid_code"), until__isnull=True)
        return scope.subtree_q("grid_code") | Q(pk__in=living.values("person_id"))


class PersonIdHistory(models.Model):
    """A document number a person had before a correction (更正): sealed like the current."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="id_history")
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    id_number_encrypted = models.TextField(blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True)
    id_number_masked = models.CharField(_("证件号码"), max_length=40, blank=True)
    replaced_at = models.DateTimeField(_("更正时间"))
    replaced_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("更正原因"), max_length=200)

    class Meta:
        ordering = ["person", "-replaced_at"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.person_id} {self.id_number_masked}"


class ResidenceKind(models.TextChoices):
    LIVING = "living", _("居住")
    RENTING = "renting", _("租住")
    LODGING = "lodging", _("借住")
    DORMITORY = "dormitory", _("集体宿舍")


class ResidenceSource(models.TextChoices):
    VISIT = "visit", _("入户走访")
    DECLARED = "declared", _("本人申报")
    LANDLORD = "landlord", _("房东报送")
    IMPORT = "import", _("数据导入")
    API = "api", _("接口")


class Residence(InGrid, models.Model):
    """A person living in a room (人房关联) from `since` until `until` (open: now)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="residences")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="residences")
    grid_code = models.CharField(_("网格代码"), max_length=15)
    kind = models.CharField(_("居住方式"), max_length=10, choices=ResidenceKind.choices)
    source = models.CharField(_("信息来源"), max_length=10, choices=ResidenceSource.choices,
                              default=ResidenceSource.VISIT)
    since = models.DateField(_("入住日期"))
    until = models.DateField(_("搬离日期"), null=True, blank=True)
    end_reason = models.CharField(_("搬离原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("居住信息")
        verbose_name_plural = _("居住信息")
        ordering = ["-since", "-id"]
        indexes = [
            models.Index(fields=["room", "until"], name="registry_residence_room"),
            models.Index(fields=["grid_code", "until"], name="registry_residence_grid"),
            models.Index(fields=["person", "until"], name="registry_residence_person"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "room"], condition=Q(until__isnull=True),
                                    name="registry_residence_one_open_per_room"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.room_id}"


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class Household(InGrid, models.Model):
    """A household (户): its number (户号), the room it lives in, its members."""

    number = models.CharField(_("户号"), max_length=20, unique=True)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="households", verbose_name=_("住址"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("户")
        verbose_name_plural = _("户")
        ordering = ["number"]
        indexes = [models.Index(fields=["grid_code", "active"], name="registry_household_grid")]

    def __str__(self) -> str:
        return self.number


class HouseholdMember(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices)
    since = models.DateField(_("入户日期"))
    until = models.DateField(_("离户日期"), null=True, blank=True)

    class Meta:
        ordering = ["household", "id"]
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["household"],
                                    condition=Q(relation="head", until__isnull=True),
                                    name="registry_household_one_head"),
            models.UniqueConstraint(fields=["person"], condition=Q(until__isnull=True),
                                    name="registry_member_one_household"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}:{self.person_id} {self.relation}"


class ResidencePermit(InGrid, models.Model):
    """居住证: its number sealed; the annual endorsement (签注) falls due on `endorsed_until`,
    when the grid worker reminds the holder to renew."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="permits")
    grid_code = models.CharField(_("网格代码"), max_length=15)
    number_encrypted = models.TextField()
    number_hash = models.CharField(max_length=64, unique=True)
    number_masked = models.CharField(_("居住证号"), max_length=40)
    issued_on = models.DateField(_("签发日期"))
    expires_on = models.DateField(_("有效期至"))
    endorsed_until = models.DateField(_("签注有效期至"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("居住证")
        verbose_name_plural = _("居住证")
        ordering = ["person", "-issued_on"]
        indexes = [models.Index(fields=["grid_code", "endorsed_until"],
                                name="registry_permit_due")]

    def __str__(self) -> str:
        return self.number_masked


class ChangeKind(models.TextChoices):
    MOVE_IN = "move_in", _("入住")
    MOVE_OUT = "move_out", _("搬离")
    LEAVE = "leave", _("迁出/死亡/注销")


class PersonChange(models.Model):
    """One undoable change of where or whether a person lives (入住, 搬离, 迁出/死亡/注销):
    what it did, so that `person_change_undo` can put it back (the latest change first)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("变动"), max_length=10, choices=ChangeKind.choices)
    residence_ids = models.JSONField(default=list)
    before = models.JSONField(default=dict)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"))
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        ordering = ["person", "-at", "-id"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind}"


# --- organisations (实有单位) ----------------------------------------------------------------

class OrganisationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    SOLE_TRADER = "sole_trader", _("个体工商户")
    SOCIAL_GROUP = "social_group", _("社会团体")
    SOCIAL_SERVICE = "social_service", _("社会服务机构")
    FOUNDATION = "foundation", _("基金会")
    COMMUNITY_GROUP = "community_group", _("社区社会组织")


# 非公有制经济组织 and 社会组织 (000-七, 003-32)
NON_PUBLIC_ECONOMIC = frozenset({OrganisationKind.ENTERPRISE, OrganisationKind.SOLE_TRADER})
SOCIAL_ORGANISATIONS = frozenset({OrganisationKind.SOCIAL_GROUP, OrganisationKind.SOCIAL_SERVICE,
                                  OrganisationKind.FOUNDATION,
                                  OrganisationKind.COMMUNITY_GROUP})


class RegistrationAuthority(models.TextChoices):
    MARKET = "market", _("市场监督管理部门")
    CIVIL_AFFAIRS = "civil_affairs", _("民政部门")
    OTHER = "other", _("其他")


class Organisation(InGrid, models.Model):
    """A real organisation at a place (实有单位): enterprise, sole trader or social
    organisation, with its unified social credit code (GB 32100) when it has one."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, null=True, blank=True,
                                   unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=OrganisationKind.choices)
    authority = models.CharField(_("登记管理机关"), max_length=14,
                                 choices=RegistrationAuthority.choices,
                                 default=RegistrationAuthority.MARKET)
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("所在网格"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    building = models.ForeignKey(Building, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="organisations", verbose_name=_("所在楼栋"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    staff_count = models.PositiveIntegerField(_("从业人数"), null=True, blank=True)
    legal_representative = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("法定代表人(负责人)"))
    safety_lead = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("治安(安全)负责人"))
    has_trade_union = models.BooleanField(_("建立工会"), default=False)
    has_party_organisation = models.BooleanField(_("建立党组织"), default=False)
    active = models.BooleanField(_("存续"), default=True)
    verified_at = models.DateTimeField(_("最近核实时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["grid_code", "kind"], name="registry_org_grid")]

    def __str__(self) -> str:
        return self.name


# --- rental housing and dormitories -------------------------------------------------------

class RentalPurpose(models.TextChoices):
    DWELLING = "dwelling", _("居住")
    BUSINESS = "business", _("经营")
    STORAGE = "storage", _("仓储")
    OTHER = "other", _("其他")


class HazardLevel(models.TextChoices):
    NONE = "none", _("无隐患")
    GENERAL = "general", _("一般隐患")
    RELATIVELY_MAJOR = "relatively_major", _("较大隐患")
    MAJOR = "major", _("重大隐患")


class Rental(InGrid, models.Model):
    """A room let out (出租房屋). When more people live in it than its limit (限住人数), a
    safety-hazard case about the dwelling is suggested to the dispatch centre (no person is
    flagged); `hazard_case` keeps the one open case so that it is not suggested twice."""

    room = models.OneToOneField(Room, on_delete=models.PROTECT, related_name="rental",
                                verbose_name=_("房屋"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    lessor_person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True,
                                      blank=True, related_name="+", verbose_name=_("出租人"))
    lessor_organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("出租单位"))
    filing_number = models.CharField(_("租赁备案号"), max_length=40, blank=True)
    lease_start = models.DateField(_("租赁起始日期"), null=True, blank=True)
    lease_end = models.DateField(_("租赁截止日期"), null=True, blank=True)
    purpose = models.CharField(_("出租用途"), max_length=10, choices=RentalPurpose.choices,
                               default=RentalPurpose.DWELLING)
    occupant_limit = models.PositiveSmallIntegerField(_("限住人数"))
    fire_exits = models.PositiveSmallIntegerField(_("安全出口数"), default=1)
    responsibility_signed_on = models.DateField(_("治安责任书签订日期"), null=True, blank=True)
    hazard_level = models.CharField(_("隐患等级"), max_length=18, choices=HazardLevel.choices,
                                    default=HazardLevel.NONE)
    hazard_case = models.ForeignKey("cases.Case", on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+",
                                    verbose_name=_("超员隐患事件"))
    active = models.BooleanField(_("在租"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("出租房屋")
        verbose_name_plural = _("出租房屋")
        ordering = ["room_id"]
        indexes = [models.Index(fields=["grid_code", "active"], name="registry_rental_grid")]
        constraints = [
            models.CheckConstraint(condition=Q(occupant_limit__gte=1),
                                   name="registry_rental_limit"),
        ]

    def __str__(self) -> str:
        return str(self.room)


class DormitoryService(models.TextChoices):
    CANTEEN = "canteen", _("集中用餐")
    CLINIC = "clinic", _("医疗服务")
    SECURITY = "security", _("安保值守")
    ACTIVITY = "activity", _("文体活动")
    LAUNDRY = "laundry", _("洗衣")
    STUDY = "study", _("学习培训")


class Dormitory(InGrid, models.Model):
    """A concentrated dormitory (集中居住点; 三集中: living, managed, served together): a
    building run by an operator for its workers. A residence of kind 集体宿舍 is in one."""

    building = models.OneToOneField(Building, on_delete=models.PROTECT,
                                    related_name="dormitory", verbose_name=_("楼栋"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    name = models.CharField(_("名称"), max_length=100)
    operator = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                 related_name="dormitories", verbose_name=_("管理单位"))
    capacity = models.PositiveIntegerField(_("可容纳人数"))
    services = models.JSONField(_("服务内容"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("集中居住点")
        verbose_name_plural = _("集中居住点")
        ordering = ["grid_code", "id"]

    def __str__(self) -> str:
        return self.name


# --- figures ------------------------------------------------------------------------------

class GridFigures(InGrid, models.Model):
    """The registry's counts of one grid, moved in the same transaction as every write that
    changes them (registry/figures.py): an area's figures are the sum over its grids."""

    grid_code = models.CharField(max_length=15, primary_key=True)
    buildings = models.IntegerField(default=0, db_default=0)
    rooms = models.IntegerField(default=0, db_default=0)
    rooms_unknown = models.IntegerField(default=0, db_default=0)
    rooms_owner = models.IntegerField(default=0, db_default=0)
    rooms_rented = models.IntegerField(default=0, db_default=0)
    rooms_vacant = models.IntegerField(default=0, db_default=0)
    rooms_business = models.IntegerField(default=0, db_default=0)
    rooms_other = models.IntegerField(default=0, db_default=0)
    people = models.IntegerField(default=0, db_default=0)
    people_registered = models.IntegerField(default=0, db_default=0)
    people_separated = models.IntegerField(default=0, db_default=0)
    people_floating = models.IntegerField(default=0, db_default=0)
    people_foreign = models.IntegerField(default=0, db_default=0)
    people_linked = models.IntegerField(default=0, db_default=0)
    floating_in_dormitories = models.IntegerField(default=0, db_default=0)
    households = models.IntegerField(default=0, db_default=0)
    rentals = models.IntegerField(default=0, db_default=0)
    organisations = models.IntegerField(default=0, db_default=0)
    non_public_economic = models.IntegerField(default=0, db_default=0)
    social_organisations = models.IntegerField(default=0, db_default=0)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("登记统计")
        verbose_name_plural = _("登记统计")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.grid_code


# --- change review (issue 16) -------------------------------------------------------------

REVIEW_LEVELS = ("street", "community", "grid")  # the areas a review rule may be set on


class ReviewRule(models.Model):
    """Whether the registry edits of the grid workers of an area (a street, a community or a
    grid) wait for a reviewer's approval. The nearest rule above a grid decides — a grid's
    own rule before its community's, a community's before its street's; no rule: edits apply
    at once (registry/services/review.py)."""

    area = models.OneToOneField(Area, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("区域"))
    area_code = models.CharField(_("区域代码"), max_length=15, unique=True)
    needs_review = models.BooleanField(_("网格员变更需审核"))
    set_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("设置人"))
    set_at = models.DateTimeField(_("设置时间"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("变更审核设置")
        verbose_name_plural = _("变更审核设置")
        ordering = ["area_code"]

    def __str__(self) -> str:
        return f"{self.area_code} {'review' if self.needs_review else 'direct'}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        return scope.subtree_q("area_code")


class ChangeRequestKind(models.TextChoices):
    MOVE_IN = "move_in", _("入住")
    MOVE_OUT = "move_out", _("搬离")
    HOUSEHOLD_MEMBER = "household_member", _("登记户成员")
    ORGANISATION = "organisation", _("登记实有单位")
    ROOM_USE = "room_use", _("房屋用途")


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class ChangeRequest(InGrid, models.Model):
    """A grid worker's registry edit waiting for a reviewer (变更审核): the service's input
    (`payload`: record numbers, choices, dates and numbers — never an ID number or a phone),
    what the record looked like when it was submitted and what it would become (`before`,
    `after`: facts of places and choices, no person's name: a person is named through
    `person`, as far as the reader may see them), and its outcome. Approving calls the same
    service as a direct edit, with the reviewer as its actor."""

    kind = models.CharField(_("变更类型"), max_length=20, choices=ChangeRequestKind.choices)
    grid = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("网格"))
    grid_code = models.CharField(_("网格代码"), max_length=15)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("提交人"))
    payload = models.JSONField(default=dict)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    # What the request is about (for the room and person pages, and to name them).
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="change_requests", verbose_name=_("人员"))
    room = models.ForeignKey(Room, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="change_requests", verbose_name=_("房屋"))
    household = models.ForeignKey(Household, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("户"))
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="+", verbose_name=_("单位"))
    note = models.CharField(_("说明"), max_length=200, blank=True)  # (a move-out's reason)
    base_version = models.PositiveIntegerField(_("提交时的版本"), null=True, blank=True)
    # An edit made apart (an offline phone) that met another edit of the same field: the
    # record keeps its value; approving takes this one, returning keeps the record's.
    conflict = models.BooleanField(_("编辑冲突"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=ChangeRequestStatus.choices,
                              default=ChangeRequestStatus.PENDING)
    reviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("审核人"))
    reviewed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    reason = models.CharField(_("退回理由"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提交时间"))

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("登记变更申请")
        verbose_name_plural = _("登记变更申请")
        ordering = ["-created_at", "-id"]
        default_permissions = ("view", "add")
        permissions = [("approve", _("审核登记变更"))]
        indexes = [
            # The reviewer's queue: the pending ones of a subtree, oldest first.
            models.Index(fields=["status", "grid_code", "created_at", "id"],
                         name="registry_change_queue"),
            # A grid worker's own requests, newest first.
            models.Index(fields=["requested_by", "created_at", "id"],
                         name="registry_change_mine"),
        ]
        constraints = [
            # Pending: nobody decided yet; withdrawn: by the requester, at `reviewed_at`;
            # approved or returned: by a reviewer.
            models.CheckConstraint(
                condition=Q(status="pending", reviewer__isnull=True, reviewed_at__isnull=True)
                | Q(status="withdrawn", reviewer__isnull=True, reviewed_at__isnull=False)
                | Q(status__in=["approved", "returned"], reviewer__isnull=False,
                    reviewed_at__isnull=False),
                name="registry_change_decided"),
        ]

    def __str__(self) -> str:  # (the audit log's name for it: never a person's name)
        return f"{self.kind} #{self.pk}"

    @classmethod
    def scope_q(cls, scope: Scope) -> Q:
        """A reviewer sees the requests of their subtree; anyone else (a grid worker) only
        their own, in their grids."""
        mine = scope.subtree_q("grid_code")
        if scope.can("registry.changerequest.approve"):
            return mine
        return mine & Q(requested_by_id=scope.user_id)
