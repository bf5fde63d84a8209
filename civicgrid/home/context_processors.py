from civicgrid.core.access import has_permission
from civicgrid.core.scope import get_scope
from civicgrid.notices.selectors import notices_for


def navigation(request):
    """Which navigation entries the signed-in user may use, and the unread notice count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = get_scope(user)
    cases = has_permission(user, "cases.case.view")
    notices = 0
    if cases:
        notices = notices_for(actor=user).count()  # one query per page
    return {
        "nav": {
            "cases": cases,
            "dashboard": has_permission(user, "stats.dashboard.view"),
            "reports": has_permission(user, "reports.report.view"),
            "notices": notices,
            "areas": has_permission(user, "areas.area.view"),
            "warnings": has_permission(user, "warnings.areastatus.view"),
            "checks": has_permission(user, "warnings.weeklycheck.view"),
            # "work" for the people who register and change places, "read" for readers
            # (whose header is full at laptop widths: base.html shows them the entry in
            # the phone menu and from 1400 px on).
            "registry": ("work" if has_permission(user, "registry.building.add") else
                         "read" if has_permission(user, "registry.building.view") else ""),
            "imports": has_permission(user, "imports.importrun.view"),
            # major matters: those who organise, decide or audit assessments; the
            # administrator reaches the level rule (they see no matter)
            # ("decide" for leaders, whose header has room; the organisers' and the
            # auditor's headers are full at laptop widths: base.html shows them the entry
            # in the phone menu and from 1400 px on, the workspace has a button)
            "risk": ("decide" if has_permission(user, "risk.decision.add") else
                     "read" if has_permission(user, "risk.assessment.view") else
                     "rules" if has_permission(user, "risk.levelrule.view") else ""),
            # the safety survey's rounds: organisers, leaders, the auditor (their headers
            # are full at laptop widths: base.html shows the entry in the phone menu and
            # from 1400 px on, the workspace has a button)
            "surveys": has_permission(user, "surveys.round.view"),
            "units": has_permission(user, "units.unit.view"),
            "users": has_permission(user, "accounts.user.view"),
            "audit": has_permission(user, "audit.auditentry.view"),
            "admin": has_permission(user, "core.admin_site.view"),
        },
        "my_roles": sorted(scope.roles),
    }
