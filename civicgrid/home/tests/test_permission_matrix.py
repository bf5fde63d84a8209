"""Every URL pattern × every role × in and out of scope (NetBox ViewTestCases style).

The test walks the URL resolver, so a page or endpoint added later is covered without
editing this file: it must carry an `@access(...)` declaration (civicgrid.core.access),
and if it names a model the model needs a sample below. Expectations come from the
hand-written role × permission table below, never from the code under test: no permission
→ 403, out of scope → 404 (exactly like a missing record), in scope → success; anonymous →
sign-in page (pages) or 401 (API). A second test pins the code's role table
(civicgrid.accounts.roles) to the hand table, so a permission added to a role in code
without a deliberate change here fails.

The district, its users and the sample records are built once for the module inside an
outer transaction; each test runs in a savepoint rolled back after it and gets its own
deep copy of the model instances (NetBox's setUpTestData, in pytest form).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from operator import attrgetter
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from civicgrid.accounts.models import User
from civicgrid.accounts.roles import PERMISSIONS, Role
from civicgrid.areas.models import Area
from civicgrid.audit.models import AuditEntry
from civicgrid.audit.services import audit_record
from civicgrid.cases.models import Attachment, Case, Party
from civicgrid.core.access import Access
from civicgrid.core.scope import get_scope
from civicgrid.surveys.tests.fieldwork_samples import own_unit, web_token
from civicgrid.testing import SAMPLES, build_world, once_per_module
from civicgrid.units.models import Unit

# Framework URLs with no civicgrid declaration, and what anyone gets there.
UNDECLARED_PUBLIC = {"api:openapi-json", "api:openapi-view", "api:api-root"}

# --- the hand-written role × permission table -------------------------------------------
# Written out by hand, one row per permission, one column per role: changing what a role
# may do means changing this table on purpose. Read it against BRIEF.md (separation of
# duties: the administrator changes things and reads no cases and no audit log; the
# auditor reads everything and the audit log and changes nothing).
COLUMNS = (Role.GRID_WORKER, Role.HANDLER, Role.UNIT_LEADER, Role.SUPERVISOR, Role.LEADER,
           Role.ADMINISTRATOR, Role.AUDITOR)
EXPECTED: dict[str, tuple[bool, bool, bool, bool, bool, bool, bool]] = {
    # permission                            (grid,  handler, unit_leader, supervisor,
    #                                         leader, administrator, auditor)
    "accounts.user.add":                    (False, False, False, False, False, True, False),
    "accounts.user.change":                 (False, False, False, False, False, True, False),
    "accounts.user.delete":                 (False, False, False, False, False, True, False),
    "accounts.user.view":                   (True, True, True, True, True, True, True),
    "api.apitoken.add":                     (False, False, False, False, False, True, False),
    "api.apitoken.change":                  (False, False, False, False, False, True, False),
    "api.apitoken.delete":                  (False, False, False, False, False, True, False),
    "api.apitoken.view":                    (False, False, False, False, False, True, False),
    "areas.area.add":                       (False, False, False, False, False, True, False),
    "areas.area.change":                    (False, False, False, False, False, True, False),
    "areas.area.delete":                    (False, False, False, False, False, True, False),
    "areas.area.view":                      (True, True, True, True, True, True, True),
    "areas.gridassignment.add":             (False, False, False, False, False, True, False),
    "areas.gridassignment.change":          (False, False, False, False, False, True, False),
    "areas.gridassignment.delete":          (False, False, False, False, False, True, False),
    "areas.gridassignment.view":            (True, True, True, True, True, True, True),
    "areas.positiontype.add":               (False, False, False, False, False, True, False),
    "areas.positiontype.change":            (False, False, False, False, False, True, False),
    "areas.positiontype.delete":            (False, False, False, False, False, True, False),
    "areas.positiontype.view":              (False, False, False, False, False, True, False),
    "audit.auditentry.view":                (False, False, False, False, False, False, True),
    "cases.case.add":                       (True, True, True, True, False, False, False),
    "cases.case.dispatch":                  (False, False, False, True, False, False, False),
    "cases.case.handle":                    (False, True, True, False, False, False, False),
    "cases.case.supervise":                 (False, False, False, True, False, False, False),
    "cases.case.verify":                    (True, False, False, True, False, False, False),
    "cases.case.view":                      (True, True, True, True, True, False, True),
    "cases.category.add":                   (False, False, False, False, False, True, False),
    "cases.category.change":                (False, False, False, False, False, True, False),
    "cases.category.delete":                (False, False, False, False, False, True, False),
    "cases.category.view":                  (False, False, False, False, False, True, False),
    "cases.categoryattribute.add":          (False, False, False, False, False, True, False),
    "cases.categoryattribute.change":       (False, False, False, False, False, True, False),
    "cases.categoryattribute.delete":       (False, False, False, False, False, True, False),
    "cases.categoryattribute.view":         (False, False, False, False, False, True, False),
    "cases.party.reveal":                   (False, True, True, True, False, False, False),
    "cases.routingrule.add":                (False, False, False, False, False, True, False),
    "cases.routingrule.change":             (False, False, False, False, False, True, False),
    "cases.routingrule.delete":             (False, False, False, False, False, True, False),
    "cases.routingrule.view":               (False, False, False, False, False, True, False),
    "core.admin_site.view":                 (False, False, False, False, False, True, False),
    # Export of an area's registry (a bulk copy of personal data): supervisors only, on top
    # of reading the registry (issue 16; the reasons in accounts/roles.py, EXPORTS).
    "field.fielddevice.add":                (False, False, False, False, False, True, False),
    "field.fielddevice.change":             (False, False, False, False, False, True, False),
    "field.fielddevice.delete":             (False, False, False, False, False, True, False),
    "field.fielddevice.view":               (False, False, False, False, False, True, False),
    "imports.export.view":                  (False, False, False, True, False, False, False),
    # Imports of registry data: the administrator (data steward) and supervisors in scope.
    "imports.importrun.add":                (False, False, False, True, False, True, False),
    "imports.importrun.apply":              (False, False, False, True, False, True, False),
    "imports.importrun.view":               (False, False, False, True, False, True, False),
    "open311.open311request.add":           (False, False, False, False, False, True, False),
    "open311.open311request.change":        (False, False, False, False, False, True, False),
    "open311.open311request.delete":        (False, False, False, False, False, True, False),
    "open311.open311request.view":          (False, False, False, False, False, True, False),
    # Publishing a release speaks for the district: leaders, not dispatchers (ADR 0008).
    "reports.monthlyrelease.publish":       (False, False, False, False, True, False, False),
    # The registry: leaders see counts only; the administrator nothing of it; grid workers
    # and supervisors register, update and reveal (with a reason).
    "registry.building.add":                (True, False, False, True, False, False, False),
    "registry.building.change":             (True, False, False, True, False, False, False),
    "registry.building.view":               (True, True, True, True, False, False, True),
    # Change review (issue 16): grid workers submit and see their own requests; supervisors
    # (the community reviewers) see those of their jurisdiction, approve or return them and
    # decide where review applies; the auditor reads them; the administrator nothing.
    "registry.changerequest.add":           (True, False, False, True, False, False, False),
    "registry.changerequest.approve":       (False, False, False, True, False, False, False),
    "registry.changerequest.view":          (True, False, False, True, False, False, True),
    "registry.dormitory.add":               (True, False, False, True, False, False, False),
    "registry.dormitory.view":              (True, True, True, True, False, False, True),
    "registry.gridfigures.view":            (True, True, True, True, True, False, True),
    "registry.household.add":               (True, False, False, True, False, False, False),
    "registry.household.change":            (True, False, False, True, False, False, False),
    "registry.household.view":              (True, True, True, True, False, False, True),
    "registry.organisation.add":            (True, False, False, True, False, False, False),
    "registry.organisation.change":         (True, False, False, True, False, False, False),
    "registry.organisation.view":           (True, True, True, True, False, False, True),
    "registry.person.add":                  (True, False, False, True, False, False, False),
    "registry.person.change":               (True, False, False, True, False, False, False),
    "registry.person.reveal":               (True, False, False, True, False, False, False),
    "registry.person.view":                 (True, True, True, True, False, False, True),
    "registry.rental.add":                  (True, False, False, True, False, False, False),
    "registry.rental.change":               (True, False, False, True, False, False, False),
    "registry.rental.view":                 (True, True, True, True, False, False, True),
    "registry.reviewrule.change":           (False, False, False, True, False, False, False),
    "registry.residence.view":              (True, True, True, True, False, False, True),
    "registry.residencepermit.view":        (True, True, True, True, False, False, True),
    "registry.room.change":                 (True, False, False, True, False, False, False),
    "registry.room.view":                   (True, True, True, True, False, False, True),
    "reports.monthlyrelease.view":          (False, False, False, True, True, False, True),
    # Major matters and risk assessment (issue 18): every working role sees the matters of
    # its jurisdiction (to tag cases); the findings, decisions and hearings are read by the
    # organisers (supervisors, unit leaders), the deciders (leaders) and the auditor;
    # leaders decide and approve exemptions; the administrator keeps the kinds and the rule.
    "risk.assessment.add":                  (False, False, True, True, False, False, False),
    "risk.assessment.change":               (False, False, True, True, False, False, False),
    "risk.assessment.view":                 (False, False, True, True, True, False, True),
    "risk.decision.add":                    (False, False, False, False, True, False, False),
    "risk.decision.view":                   (False, False, True, True, True, False, True),
    "risk.hearing.add":                     (False, False, True, True, False, False, False),
    "risk.hearing.change":                  (False, False, True, True, False, False, False),
    "risk.hearing.view":                    (False, False, True, True, True, False, True),
    "risk.levelrule.add":                   (False, False, False, False, False, True, False),
    "risk.levelrule.view":                  (False, False, False, False, False, True, False),
    "risk.matter.add":                      (False, False, True, True, False, False, False),
    "risk.matter.approve":                  (False, False, False, False, True, False, False),
    "risk.matter.change":                   (False, False, True, True, False, False, False),
    "risk.matter.view":                     (True, True, True, True, True, False, True),
    "risk.matterkind.add":                  (False, False, False, False, False, True, False),
    "risk.matterkind.change":               (False, False, False, False, False, True, False),
    "risk.matterkind.view":                 (False, False, False, False, False, True, False),
    "reports.report.view":                  (False, False, False, True, True, False, True),
    "stats.dashboard.view":                 (False, False, False, True, True, False, True),
    "stats.kpitarget.add":                  (False, False, False, False, False, True, False),
    "stats.kpitarget.change":               (False, False, False, False, False, True, False),
    "stats.kpitarget.delete":               (False, False, False, False, False, True, False),
    "stats.kpitarget.view":                 (False, False, False, False, False, True, False),
    # The safety survey (issue 19): the centre (supervisors) organises and interviews, grid
    # workers interview their call sheet, leaders and the auditor read the results.
    "surveys.round.add":                    (False, False, False, True, False, False, False),
    "surveys.round.change":                 (False, False, False, True, False, False, False),
    "surveys.round.view":                   (False, False, False, True, True, False, True),
    "surveys.sampleunit.assign":            (False, False, False, True, False, False, False),
    "surveys.sampleunit.change":            (True, False, False, True, False, False, False),
    "surveys.sampleunit.view":              (True, False, False, True, False, False, True),
    "units.specialty.add":                  (False, False, False, False, False, True, False),
    "units.specialty.change":               (False, False, False, False, False, True, False),
    "units.specialty.delete":               (False, False, False, False, False, True, False),
    "units.specialty.view":                 (False, False, False, False, False, True, False),
    "units.unit.add":                       (False, False, False, False, False, True, False),
    "units.unit.change":                    (False, False, False, False, False, True, False),
    "units.unit.delete":                    (False, False, False, False, False, True, False),
    "units.unit.view":                      (True, True, True, True, True, True, True),
    "units.unitmembership.add":             (False, False, False, False, False, True, False),
    "units.unitmembership.change":          (False, False, False, False, False, True, False),
    "units.unitmembership.delete":          (False, False, False, False, False, True, False),
    "units.unitmembership.view":            (False, False, False, False, False, True, False),
    "warnings.areastatus.view":             (True, True, True, True, True, False, True),
    "warnings.checksettings.add":           (False, False, False, False, False, True, False),
    "warnings.checksettings.change":        (False, False, False, False, False, True, False),
    "warnings.checksettings.delete":        (False, False, False, False, False, True, False),
    "warnings.checksettings.view":          (False, False, False, False, False, True, False),
    "warnings.reporteroverride.add":        (False, False, False, False, False, True, False),
    "warnings.reporteroverride.change":     (False, False, False, False, False, True, False),
    "warnings.reporteroverride.delete":     (False, False, False, False, False, True, False),
    "warnings.reporteroverride.view":       (False, False, False, False, False, True, False),
    "warnings.warningrule.add":             (False, False, False, False, False, True, False),
    "warnings.warningrule.change":          (False, False, False, False, False, True, False),
    "warnings.warningrule.delete":          (False, False, False, False, False, True, False),
    "warnings.warningrule.view":            (False, False, False, False, False, True, False),
    "warnings.weeklycheck.add":             (True, True, True, True, False, False, False),
    "warnings.weeklycheck.remind":          (False, False, False, True, False, False, False),
    "warnings.weeklycheck.resolve":         (False, False, False, True, False, False, False),
    "warnings.weeklycheck.view":            (True, True, True, True, True, False, True),
    "webhooks.webhookdelivery.add":         (False, False, False, False, False, True, False),
    "webhooks.webhookdelivery.change":      (False, False, False, False, False, True, False),
    "webhooks.webhookdelivery.delete":      (False, False, False, False, False, True, False),
    "webhooks.webhookdelivery.view":        (False, False, False, False, False, True, False),
    "webhooks.webhookendpoint.add":         (False, False, False, False, False, True, False),
    "webhooks.webhookendpoint.change":      (False, False, False, False, False, True, False),
    "webhooks.webhookendpoint.delete":      (False, False, False, False, False, True, False),
    "webhooks.webhookendpoint.view":        (False, False, False, False, False, True, False),
    "workcalendar.calendarday.add":         (False, False, False, False, False, True, False),
    "workcalendar.calendarday.change":      (False, False, False, False, False, True, False),
    "workcalendar.calendarday.delete":      (False, False, False, False, False, True, False),
    "workcalendar.calendarday.view":        (False, False, False, False, False, True, False),
}


def expected_permissions(role: Role) -> frozenset[str]:
    column = COLUMNS.index(role)
    return frozenset(p for p, row in EXPECTED.items() if row[column])


def expected_allowed(role: Role, permission: str | tuple[str, ...] | None) -> bool:
    """What the hand table says about an @access declaration (a tuple: any one will do)."""
    if permission is None:
        return True
    wanted = permission if isinstance(permission, tuple) else (permission,)
    return bool(expected_permissions(role) & set(wanted))


def test_the_hand_table_has_every_role_once():
    assert len(COLUMNS) == len(set(COLUMNS)) == len(Role)
    assert set(COLUMNS) == set(Role)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_the_code_grants_each_role_exactly_the_hand_table(role):
    granted = PERMISSIONS.get(role, frozenset())
    assert sorted(granted - expected_permissions(role)) == [], "granted in code, not in table"
    assert sorted(expected_permissions(role) - granted) == [], "in the table, not in code"


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_a_user_of_each_role_can_exactly_what_the_hand_table_says(role, world):
    scope = get_scope(world.users[role])
    assert {p for p in EXPECTED if scope.can(p)} == expected_permissions(role)


@dataclass
class Endpoint:
    name: str
    route: str
    pattern: URLPattern
    spec: Access
    method: str  # the method to exercise


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry, prefix + str(entry.pattern), full_ns)
        else:
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield name, prefix + str(entry.pattern), entry


def _ninja_operations(callback):
    """The operations behind a django-ninja URL pattern (its PathView)."""
    for cell in getattr(callback, "__closure__", None) or ():
        path_view = cell.cell_contents
        if hasattr(path_view, "operations"):
            return path_view.operations
    return None


def endpoints() -> list[Endpoint]:
    found: list[Endpoint] = []
    for name, route, pattern in _walk(get_resolver()):
        if name.startswith("admin:") or name in UNDECLARED_PUBLIC:
            continue
        operations = _ninja_operations(pattern.callback)
        if operations is not None:
            for op in operations:
                spec = getattr(op.view_func, "civicgrid_access", None)
                assert spec is not None, f"API {route} {op.methods} has no @access declaration"
                for method in op.methods:
                    found.append(Endpoint(name, route, pattern, spec, method))
            continue
        spec = getattr(pattern.callback, "civicgrid_access", None)
        assert spec is not None, f"{name or route} has no @access declaration"
        found.append(Endpoint(name, route, pattern, spec, "GET"))
    return found


ALL_ENDPOINTS = endpoints()


def test_every_declared_permission_is_in_the_hand_table():
    for endpoint in ALL_ENDPOINTS:
        permission = endpoint.spec.permission
        wanted = permission if isinstance(permission, tuple) else (permission,)
        for p in wanted:
            assert p is None or p in EXPECTED, f"{endpoint.name}: add {p!r} to EXPECTED"


def test_every_url_is_declared_and_enumerated():
    names = {e.name for e in ALL_ENDPOINTS}
    # A sanity check that the walk really reaches pages and API operations.
    assert {"core:home", "areas:detail", "units:detail", "accounts:user_detail",
            "audit:list", "api:area_detail", "api:unit_detail", "api:user_detail"} <= names
    # The user administration pages (issue 13): administrators only, as the table says.
    assert {"accounts:user_new", "accounts:user_roles", "accounts:user_jurisdictions",
            "accounts:user_unit_add", "accounts:user_unit_remove", "accounts:user_grid_add",
            "accounts:user_grid_remove", "accounts:user_active", "accounts:user_totp_reset",
            "accounts:user_password"} <= names
    assert len(ALL_ENDPOINTS) >= 20


# --- samples: one object in the user's scope and one outside it, per model -------------

def _sample_case(world, grid):
    """A case in `grid` (a test category with code 99xx, so it never meets the taxonomy)."""
    from civicgrid.cases.models import Case, Category
    from civicgrid.cases.services import PartyInput, case_intake

    existing = Case.objects.filter(area=grid).first()
    if existing:
        return existing
    category, _created = Category.objects.get_or_create(
        code="9901", defaults={"name": "测试分类", "kind": "dispute",
                               "default_level": "community",
                               "sla": {"accept": {"days": 3, "unit": "working"}}})
    return case_intake(channel="patrol", category=category, actor=None, area=grid,
                       description="楼道堆放杂物影响通行",
                       parties=[PartyInput(role="applicant", name="张三",
                                           phone="13812345678")])


def _sample_party(world, grid):
    party = Party.objects.filter(case__area=grid).first() or \
        _sample_case(world, grid).parties.first()
    assert party is not None
    return party


def _sample_attachment(world, grid):
    """A photo (with its thumbnail) of a case in `grid`."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civicgrid.cases.services import case_intake
    from civicgrid.cases.tests.test_workflow import PNG

    existing = Attachment.objects.filter(case__area=grid).first()
    if existing:
        return existing
    category = _sample_case(world, grid).category
    case = case_intake(channel="patrol", category=category, actor=None, area=grid,
                       description="路灯损坏夜间无照明",
                       uploads=[SimpleUploadedFile("photo.png", PNG, "image/png")])
    return case.attachments.get()


# Sample factories by model: (in scope, out of scope), each called with the world; the in-
# scope sample lies in grid A1 (every street-A user's scope), the other in grid B1. An app
# registers the samples of its models in its own `tests/samples.py` (civicgrid.testing
# .register_samples), found here by import: a page or endpoint added later is covered
# without editing this file.
def _load_app_samples() -> None:
    import importlib
    import pkgutil

    import civicgrid

    for app in pkgutil.iter_modules(civicgrid.__path__):
        try:
            importlib.import_module(f"civicgrid.{app.name}.tests.samples")
        except ModuleNotFoundError as exc:
            if exc.name != f"civicgrid.{app.name}.tests.samples" and not (
                    exc.name or "").startswith(f"civicgrid.{app.name}.tests"):
                raise


_load_app_samples()


def in_scope(model, user: User, world):
    if model in SAMPLES:
        return SAMPLES[model][0](world)
    if model is Area:
        jurisdiction = user.jurisdictions.select_related("area").first()
        return jurisdiction.area if jurisdiction else world.street_a
    if model is Unit:
        return world.unit_a  # in street A, i.e. in or above every street-A user's area
    if model is User:
        return user
    if model is AuditEntry:
        return AuditEntry.objects.order_by("-id").first()
    if model is Case:
        return _sample_case(world, world.grid_a1)
    if model is Party:
        return _sample_party(world, world.grid_a1)
    if model is Attachment:
        return _sample_attachment(world, world.grid_a1)
    from civicgrid.cases.models import Category

    if model is Category:  # reference data: the sample case's category
        return _sample_case(world, world.grid_a1).category
    raise AssertionError(f"no in-scope sample for {model.__name__}: add one to this test")


def out_of_scope(model, world):
    if model in SAMPLES:
        return SAMPLES[model][1](world)
    if model is Area:
        return world.street_b
    if model is Unit:
        return world.unit_b
    if model is User:
        return world.outsider
    if model is AuditEntry:
        return None  # only deployment-wide roles read the audit log
    if model is Case:
        return _sample_case(world, world.grid_b1)
    if model is Party:
        return _sample_party(world, world.grid_b1)
    if model is Attachment:
        return _sample_attachment(world, world.grid_b1)
    from civicgrid.cases.models import Category

    if model is Category:
        return None  # reference data: every category is in everyone's scope
    raise AssertionError(f"no out-of-scope sample for {model.__name__}: add one to this test")


def _portal_token(world) -> str:
    from civicgrid.portal.selectors import status_token

    return status_token(_sample_case(world, world.grid_a1))


def _open311_record(world):
    """An Open311 request about a public service (a 民生服务 category), so that it is
    listed for everyone."""
    from civicgrid.api.services import api_token_create
    from civicgrid.cases.models import Category
    from civicgrid.open311.models import Open311Request
    from civicgrid.open311.services import RequestInput, open311_request_create

    existing = Open311Request.objects.select_related("case").first()
    if existing:
        return existing
    category, _created = Category.objects.get_or_create(
        code="9902", defaults={"name": "路灯损坏(测试)", "kind": "service",
                               "default_level": "community",
                               "sla": {"accept": {"days": 3, "unit": "working"}}})
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civicgrid.cases.tests.test_workflow import PNG

    token, _plain = api_token_create(name="open311", unit=world.unit_a, actions=["open311"],
                                     actor=None)
    return open311_request_create(api_token=token, category=category, data=RequestInput(
        address_id=world.grid_a1.code, description="路灯整晚不亮",
        media=[SimpleUploadedFile("lamp.png", PNG, "image/png")]))


def _open311_media_kwargs(world) -> dict[str, object]:
    """The path values of the media_url of the Open311 request's photo."""
    from civicgrid.open311.selectors import media_path

    attachment = _open311_record(world).case.attachments.get()
    return resolve(media_path(attachment)).kwargs


def _public_hearing(world):
    """The noticed hearing of the risk module's in-scope sample (public from its notice)."""
    from civicgrid.risk.models import Hearing

    return SAMPLES[Hearing][0](world)


# Path values that only exist at run time and name no model field: public pages reached by
# a signed link (the resident portal's status pages) and Open311 resources.
RUNTIME_KWARGS = {
    ("portal:report_done", "token"): _portal_token,
    ("portal:status", "token"): _portal_token,
    ("open311:service_definition", "service_code"):
        lambda world: _open311_record(world).case.category.code,
    ("open311:request", "service_request_id"): lambda world: _open311_record(world).case.number,
    ("open311:token", "token"): lambda world: _open311_record(world).token,
    **{("open311:media", kwarg): (lambda world, kwarg=kwarg: _open311_media_kwargs(world)[kwarg])
       for kwarg in ("attachment_id", "signature", "ext")},
    # The public consultation pages (/consult/): a noticed hearing is everyone's to read, in
    # anyone's scope or none, so it is named by value, not as a scoped sample.
    **{(f"consult:{name}", "pk"): (lambda world: _public_hearing(world).pk)
       for name in ("hearing", "register", "comment", "list")},
    # The survey's web link (/s/<token>/): the token exists only as a keyed hash.
    ("survey_web:form", "token"): web_token,
}

# Pages whose "in scope" is personal: an interviewer's unit is theirs alone (a unit of
# someone else's call sheet answers 404 even to the staff of its area), so each role is
# tried on a unit of its own sheet (civicgrid/surveys/tests/fieldwork_samples.py).
OWN_SAMPLES = dict.fromkeys(
    ("survey_calls:unit", "survey_calls:reveal", "survey_calls:interview",
     "survey_calls:quota"), own_unit)


def url_for(endpoint: Endpoint, obj, world=None) -> str:
    kwargs = {}
    converters = endpoint.pattern.pattern.converters
    route_kwargs = set(converters)
    # Kwargs captured by parent resolvers are not expected here (flat URL design).
    for kwarg in route_kwargs:
        field = endpoint.spec.lookup.get(kwarg)
        runtime = RUNTIME_KWARGS.get((endpoint.name, kwarg))
        if field is None and runtime is not None and world is not None:
            kwargs[kwarg] = runtime(world)
            continue
        if field is None and kwarg in endpoint.spec.example:
            # A path value that names no field of the object (e.g. the transition of a case
            # action URL) comes from the declaration's example.
            kwargs[kwarg] = endpoint.spec.example[kwarg]
            continue
        assert field is not None, f"{endpoint.name}: URL kwarg {kwarg!r} not in the lookup"
        kwargs[kwarg] = attrgetter(field)(obj)  # "case.number": a field of a related object
    url = reverse(endpoint.name, kwargs=kwargs)
    query = {k: v for k, v in endpoint.spec.example.items() if k not in route_kwargs}
    if query:
        url += "?" + urlencode(query)
    return url


def call(client: Client, endpoint: Endpoint, url: str):
    if endpoint.method == "GET":
        response = client.get(url)
        if response.status_code == 405:  # a POST-only page: exercise its real method
            response = client.post(url)
        return response
    body = endpoint.spec.body or {}
    if endpoint.spec.multipart:
        return client.post(url, data=body)
    return getattr(client, endpoint.method.lower())(url, data=body,
                                                     content_type="application/json")


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


# An API write that reached its view with a valid body may still be refused on business
# grounds the role table cannot see: the version is stale, the status does not allow the
# action, the body names nothing real, or the workflow's relation to the case (assignee,
# receiver) is missing. What it must never do is answer like an out-of-scope or
# unauthenticated call, or fail.
API_WRITE_REFUSALS = (400, 403, 409)


def assert_api_write_reached_view(response, context: str) -> None:
    # (202: a registry edit queued for review, civicgrid/registry/services/review.py)
    assert response.status_code in (200, 201, 202, *API_WRITE_REFUSALS), \
        f"{context}: {response.status_code} {response.content[:300]!r}"
    if response.status_code == 403:
        assert response.json()["code"] == "forbidden", context


def assert_success(response, context: str) -> None:
    assert response.status_code in (200, 302), f"{context}: {response.status_code}"
    assert not is_login_redirect(response), f"{context}: sent to sign-in"


ROLES = list(Role)


# --- the module's data: built once, rolled back per test ---------------------------------

@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker):
    """The shared two-street world and every sample record, built once for the module
    (civicgrid/testing.py says how)."""
    def build():
        world = build_world()
        for grid in (world.grid_a1, world.grid_b1):
            _sample_attachment(world, grid)
            _sample_party(world, grid)
        for inside, outside in SAMPLES.values():
            inside(world), outside(world)
        _open311_record(world)
        return world

    yield from once_per_module(django_db_blocker, build)


@pytest.fixture
def world(_module_world, db):
    """A fresh copy of the module's world for each test: a test that changes an instance
    (or caches a scope on a user) leaves the next test's copy alone."""
    return copy.deepcopy(_module_world)


@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=lambda e: f"{e.method} {e.route}")
def test_anonymous(endpoint, world):
    client = Client()
    obj = in_scope(endpoint.spec.model, world.users[Role.SUPERVISOR], world) \
        if endpoint.spec.model else None
    url = url_for(endpoint, obj, world)
    response = call(client, endpoint, url)
    if endpoint.spec.public:
        assert response.status_code in (200, 302), response.status_code
    elif endpoint.spec.api:
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    else:
        assert is_login_redirect(response), response.status_code


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
@pytest.mark.parametrize("endpoint", ALL_ENDPOINTS, ids=lambda e: f"{e.method} {e.route}")
def test_role_in_and_out_of_scope(endpoint, role, world):
    user = world.users[role]
    if endpoint.spec.model is AuditEntry:
        audit_record(actor=None, event_type="demo.seeded", username="system")
    client = Client()
    client.force_login(user)
    spec = endpoint.spec
    allowed = spec.public or expected_allowed(role, spec.permission)
    model = spec.model
    if model is None:
        samples = [("none", None)]
    elif endpoint.name in OWN_SAMPLES:
        samples = [("in", OWN_SAMPLES[endpoint.name](world, user))]
    else:
        samples = [("in", in_scope(model, user, world))]
    if model is not None:
        outside = out_of_scope(model, world)
        if outside is not None:
            samples.append(("out", outside))
    is_global = role in (Role.ADMINISTRATOR, Role.AUDITOR)
    for where, obj in samples:
        if model is not None and obj is None:
            continue
        url = url_for(endpoint, obj, world)
        response = call(client, endpoint, url)
        context = f"{role.value} {where} {endpoint.method} {url}"
        if not allowed:
            assert response.status_code == 403, f"{context}: {response.status_code}"
        elif where == "out" and not is_global:
            assert response.status_code == 404, f"{context}: {response.status_code}"
            if spec.api:
                assert response.json() == {"code": "not_found", "message": "Not found.",
                                           "details": None}
        elif spec.public:
            assert response.status_code in (200, 302), f"{context}: {response.status_code}"
        elif "_auth_user_id" not in client.session:  # the page signed the user out
            assert response.status_code == 302, context
        elif spec.api and endpoint.method != "GET":
            assert_api_write_reached_view(response, context)
        else:
            assert_success(response, context)
        client.force_login(user)  # a POST-only page may have been sign-out


def _without_csrf(content: bytes) -> bytes:
    """CSRF tokens are masked afresh on every response, and the language switch returns
    to the requested path; everything else must be equal."""
    return re.sub(
        rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value|name="next" value)'
        rb'="[^"]+"', rb"\1=''", content,
    )


def test_out_of_scope_answers_like_missing(world, client):
    """Out of scope and nonexistent are indistinguishable, in pages and API (the registry's:
    civicgrid/registry/tests/test_scope.py)."""
    client.force_login(world.users[Role.GRID_WORKER])
    for missing, outside in [
        (reverse("areas:detail", args=["320602999"]),
         reverse("areas:detail", args=[world.street_b.code])),
        (reverse("units:detail", args=[999999]), reverse("units:detail", args=[world.unit_b.pk])),
        (reverse("accounts:user_detail", args=[999999]),
         reverse("accounts:user_detail", args=[world.outsider.pk])),
        ("/api/v1/areas/320602999", f"/api/v1/areas/{world.street_b.code}"),
        ("/api/v1/units/999999", f"/api/v1/units/{world.unit_b.pk}"),
        ("/api/v1/users/999999", f"/api/v1/users/{world.outsider.pk}"),
        # the maps' data (issue 17: outlines, names, buildings)
        (reverse("areas:map", args=["320602999"]) + "?fit=390x300",
         reverse("areas:map", args=[world.street_b.code]) + "?fit=390x300"),
        (reverse("areas:labels", args=["320602999"]),
         reverse("areas:labels", args=[world.street_b.code])),
        (reverse("areas:buildings", args=["320602999"]) + "?bbox=120.9,31.9,120.95,31.95",
         reverse("areas:buildings", args=[world.street_b.code]) + "?bbox=120.9,31.9,120.95,31.95"),
    ]:
        a, b = client.get(missing), client.get(outside)
        assert a.status_code == b.status_code == 404
        assert _without_csrf(a.content) == _without_csrf(b.content)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value)
def test_admin_site_only_for_administrators(role, world):
    client = Client()
    client.force_login(world.users[role])
    urls = [reverse("admin:index")] + [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
    ]
    for url in urls:
        response = client.get(url)
        if role == Role.ADMINISTRATOR:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, f"{role} {url}: {response.status_code}"


def test_admin_site_anonymous_goes_to_sign_in(db):
    response = Client().get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
