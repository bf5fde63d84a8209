"""Roles and what each may do: the one permission table that pages, API and tests read.

A permission is "<app_label>.<model_name>.<action>". A role grants a set of permissions;
*where* a user may use them is their jurisdiction (see civicgrid.core.scope).
Administrators and auditors work across the whole deployment.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    HANDLER = "handler", _("办理人员/调解员")
    UNIT_LEADER = "unit_leader", _("单位负责人")
    SUPERVISOR = "supervisor", _("指挥调度员(综治中心)")
    LEADER = "leader", _("领导")
    ADMINISTRATOR = "administrator", _("系统管理员")
    AUDITOR = "auditor", _("安全审计员")


VIEW_DIRECTORY = frozenset(
    {
        "areas.area.view",
        "areas.gridassignment.view",
        "units.unit.view",
        "accounts.user.view",
        "cases.case.view",
    }
)
# Case work (civicgrid/cases/workflow.py maps these to the actor kinds of each transition).
GRID_WORK = frozenset({"cases.case.add", "cases.case.verify"})
HANDLING = frozenset({"cases.case.add", "cases.case.handle", "cases.party.reveal"})
DISPATCHING = frozenset({"cases.case.add", "cases.case.dispatch", "cases.case.supervise",
                         "cases.case.verify", "cases.party.reveal"})
# Weekly checks (排查, 零报告) and area warnings (civicgrid/warnings): everyone who works
# reads them; the people of an area submit its check; supervisors also remind the missing
# and choose between two edits of the same field made apart (offline phones).
WARNINGS_READ = frozenset({"warnings.weeklycheck.view", "warnings.areastatus.view"})
CHECK_REPORT = frozenset({"warnings.weeklycheck.add"})
CHECK_REMIND = frozenset({"warnings.weeklycheck.remind", "warnings.weeklycheck.resolve"})

# The registry (一标三实, civicgrid/registry): staff who work an area read its places,
# people, households and organisations (personal particulars masked); grid workers and
# supervisors register and update them and may reveal a sealed particular with a reason.
# Leaders see counts only (gridfigures), the administrator nothing of it (what a room is
# used for tells of its people).
REGISTRY_READ = frozenset({
    "registry.building.view", "registry.room.view", "registry.person.view",
    "registry.residence.view", "registry.household.view", "registry.residencepermit.view",
    "registry.organisation.view", "registry.rental.view", "registry.dormitory.view",
    "registry.gridfigures.view"})
REGISTRY_WORK = frozenset({
    "registry.building.add", "registry.building.change", "registry.room.change",
    "registry.person.add", "registry.person.change", "registry.person.reveal",
    "registry.household.add", "registry.household.change", "registry.organisation.add",
    "registry.organisation.change", "registry.rental.add", "registry.rental.change",
    "registry.dormitory.add",
    # change review (issue 16): a grid worker's edit where a review rule applies becomes a
    # request they see and may withdraw (ChangeRequest.scope_q: their own only)
    "registry.changerequest.add", "registry.changerequest.view"})
REGISTRY_FIGURES = frozenset({"registry.gridfigures.view"})
# The community reviewers: supervisors (指挥调度员 of the social governance centre) approve
# or return the grid workers' registry changes of their jurisdiction and decide where
# review applies. Not the administrator, who holds nothing of the registry (and a rule set
# by someone who cannot review would leave requests with no reviewer).
REGISTRY_REVIEW = frozenset({"registry.changerequest.approve", "registry.reviewrule.change"})
# Imports of registry data from other systems (civicgrid/imports): the administrator (the
# district's data steward) and supervisors of an area upload files, read the dry-run
# reports — counts, column names, row numbers and reasons, no person's particulars — and
# apply or undo a run within their jurisdiction.
IMPORTS = frozenset({"imports.importrun.view", "imports.importrun.add",
                     "imports.importrun.apply"})
# Export of an area's registry as a file (civicgrid/imports/exports.py): a bulk copy of
# personal data that leaves the system, so reading the registry is not enough. Supervisors
# (the street and community centres, who exchange data with the police, civil affairs and
# statistics systems and check the grids' collection) may export their jurisdiction,
# masked, or with the ID numbers and phones in clear when they also hold
# registry.person.reveal and give a reason (audited). Not grid workers: they are many, work
# on their phones and do their work record by record on the pages, where every view and
# reveal is recorded against one person; a copy of a whole grid's residents on a personal
# phone is the leak the registry's minimisation exists to prevent. Not handlers, unit
# leaders or leaders (who read single records or counts), nor the administrator or the
# auditor (who hold no or read-only access to the registry's people). Everyone who reads
# the registry's figures reads the data-quality report (counts only).
EXPORTS = frozenset({"imports.export.view"})

# Dashboards and KPIs: aggregate numbers of the reader's jurisdiction, each leading to the
# cases behind it (which the reader's case scope then shows).
DASHBOARD = frozenset({"stats.dashboard.view"})
# Analysis reports (周报、月报、季报) and the internal monthly safety data release: the same
# readers as the dashboard. Publishing a district's release (and its public version) speaks
# for the district: a leader's decision (a leader whose jurisdiction covers the district,
# checked by the service), not a dispatcher's (docs/decisions/0008-release-publisher.md).
REPORTS_READ = frozenset({"reports.report.view", "reports.monthlyrelease.view"})
RELEASE_PUBLISH = frozenset({"reports.monthlyrelease.publish"})

# Major matters and their social-stability risk assessment, with hearings (civicgrid/risk,
# docs/risk.md). Everyone who works a jurisdiction sees its matters (to tag the cases about
# them); the assessment's findings, decisions and hearings' registrations are read by those
# who organise, decide or audit them. The social governance centre (supervisors) and the
# responsible units (unit leaders) register matters, run assessments and hearings; leaders
# record the deciding body's decision and approve exemptions from assessment (a leader's
# decision, not the requester's); the administrator keeps the list of kinds and publishes
# the level rule.
RISK_MATTERS = frozenset({"risk.matter.view"})
RISK_READ = frozenset({"risk.assessment.view", "risk.hearing.view", "risk.decision.view"})
RISK_WORK = frozenset({"risk.matter.add", "risk.matter.change", "risk.assessment.add",
                       "risk.assessment.change", "risk.hearing.add", "risk.hearing.change"})
RISK_DECIDE = frozenset({"risk.decision.add", "risk.matter.approve"})
RISK_ADMIN = frozenset({"risk.matterkind.view", "risk.matterkind.add", "risk.matterkind.change",
                        "risk.levelrule.view", "risk.levelrule.add"})

# The public safety-perception survey (civicgrid/surveys, docs/surveys.md): the social
# governance centre (supervisors) designs a round, draws and assigns its sample and closes
# it; grid workers and supervisors interview (their own call sheet); leaders and the
# auditor read the results, which are aggregates only.
SURVEY_READ = frozenset({"surveys.round.view"})
SURVEY_ORGANISE = frozenset({"surveys.round.add", "surveys.round.change",
                             "surveys.sampleunit.view", "surveys.sampleunit.assign"})
SURVEY_INTERVIEW = frozenset({"surveys.sampleunit.view", "surveys.sampleunit.change"})

ADMINISTER = frozenset(
    f"{model}.{action}"
    for model in (
        "areas.area",
        "areas.gridassignment",
        "areas.positiontype",
        "units.unit",
        "units.unitmembership",
        "units.specialty",
        "accounts.user",
        "workcalendar.calendarday",
        "cases.category",
        "cases.categoryattribute",
        "cases.routingrule",
        "webhooks.webhookendpoint",
        "webhooks.webhookdelivery",
        "api.apitoken",
        "open311.open311request",
        "warnings.checksettings",
        "warnings.reporteroverride",
        "warnings.warningrule",
        "stats.kpitarget",
        "field.fielddevice",
    )
    for action in ("view", "add", "change", "delete")
) | {"core.admin_site.view"}

PERMISSIONS: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: (VIEW_DIRECTORY | GRID_WORK | WARNINGS_READ | CHECK_REPORT
                       | REGISTRY_READ | REGISTRY_WORK | RISK_MATTERS | SURVEY_INTERVIEW),
    Role.HANDLER: (VIEW_DIRECTORY | HANDLING | WARNINGS_READ | CHECK_REPORT | REGISTRY_READ
                   | RISK_MATTERS),
    Role.UNIT_LEADER: (VIEW_DIRECTORY | HANDLING | WARNINGS_READ | CHECK_REPORT | REGISTRY_READ
                       | RISK_MATTERS | RISK_READ | RISK_WORK),
    Role.SUPERVISOR: (VIEW_DIRECTORY | DISPATCHING | WARNINGS_READ | CHECK_REPORT | CHECK_REMIND
                      | DASHBOARD | REPORTS_READ | REGISTRY_READ | REGISTRY_WORK
                      | REGISTRY_REVIEW | IMPORTS | EXPORTS | RISK_MATTERS | RISK_READ
                      | RISK_WORK | SURVEY_READ | SURVEY_ORGANISE | SURVEY_INTERVIEW),
    Role.LEADER: (VIEW_DIRECTORY | WARNINGS_READ | DASHBOARD | REPORTS_READ | RELEASE_PUBLISH
                  | REGISTRY_FIGURES | RISK_MATTERS | RISK_READ | RISK_DECIDE | SURVEY_READ),
    Role.ADMINISTRATOR: ADMINISTER | IMPORTS | RISK_ADMIN,
    # Separation of duties (三员分立): the auditor reads everything and the audit log,
    # changes nothing; the administrator changes things and cannot read the audit log.
    Role.AUDITOR: (VIEW_DIRECTORY | WARNINGS_READ | DASHBOARD | REPORTS_READ | REGISTRY_READ
                   | RISK_MATTERS | RISK_READ | SURVEY_READ
                   | {"registry.changerequest.view", "audit.auditentry.view",
                      "surveys.sampleunit.view"}),
}

# Roles whose scope is the whole deployment rather than their jurisdiction subtrees.
GLOBAL_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR})
# Roles that must use a second factor where TOTP_REQUIRED_FOR_PRIVILEGED is on. Their
# accounts (credentials, active flag, roles) are changed only by two administrators or the
# break-glass command (三员分立; civicgrid/accounts/services.py, "separation of duties").
PRIVILEGED_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR})
# Roles one person never holds together (三员分立: who administers is not who audits).
EXCLUSIVE_ROLES: tuple[frozenset[str], ...] = (frozenset({Role.ADMINISTRATOR, Role.AUDITOR}),)


def permissions_for(roles: frozenset[str]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= PERMISSIONS.get(role, frozenset())
    return frozenset(granted)
