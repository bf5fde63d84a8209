from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.accounts import selectors
from civicgrid.accounts.bulk import (
    MAX_IMPORT_ROWS,
    users_import_apply,
    users_import_preview,
    users_import_rows,
    users_import_template,
)
from civicgrid.accounts.forms import (
    ActiveForm,
    Choices,
    CodeForm,
    GridAddForm,
    JurisdictionsForm,
    LoginForm,
    NewUserForm,
    PasswordChangeForm,
    PickForm,
    RolesForm,
    UnitAddForm,
    UserImportForm,
)
from civicgrid.accounts.models import CredentialAction, TOTPDevice, User
from civicgrid.accounts.services import (
    AccountLocked,
    ApprovalRequired,
    LoginOutcome,
    login_check_password,
    login_check_second_factor,
    login_complete,
    login_confirm_enrollment,
    login_refuse_if_locked,
    logout_complete,
    password_change_own,
    password_one_time,
    requires_second_administrator,
    second_factor_required,
    totp_begin_enrollment,
    totp_confirm,
    totp_pending_uri,
    totp_reset,
    user_onboard,
    user_set_active,
    user_set_jurisdictions,
    user_set_password,
    user_set_roles,
)
from civicgrid.areas.models import Area, GridAssignment, PositionType
from civicgrid.areas.services import grid_assign, grid_unassign
from civicgrid.audit.context import client_ip
from civicgrid.core.access import access, has_permission
from civicgrid.core.htmx import is_htmx
from civicgrid.core.pagination import request_page
from civicgrid.core.tables import MAX_UPLOAD_BYTES, table_read
from civicgrid.units.models import Unit
from civicgrid.units.services import unit_add_member, unit_remove_member

PENDING_KEY = "pending_login"
PENDING_TTL = timedelta(minutes=5)


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("core:home")


def _locked_message(until) -> str:
    return _("登录失败次数过多,账号已锁定至 %(until)s。") % {
        "until": timezone.localtime(until).strftime("%H:%M")
    }


def _drop_pending(request, until):
    """A lockout during the second step ends the pending sign-in: start again with the
    password once the lockout is over."""
    request.session.pop(PENDING_KEY, None)
    messages.error(request, _locked_message(until) + " " + _("请在解锁后重新输入密码登录。"))
    return redirect("accounts:login")


def _pending_user(request) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    started = timezone.datetime.fromisoformat(pending["at"])
    if timezone.now() - started > PENDING_TTL:
        request.session.pop(PENDING_KEY, None)
        return None
    return User.objects.filter(pk=pending["user_id"], is_active=True).first()


def _second_step_user(request):
    """The user half-way through signing in, or the response that ends it (none pending,
    or the account or address locked: checked before any code)."""
    user = _pending_user(request)
    if user is None:
        return None, redirect("accounts:login")
    until = login_refuse_if_locked(username=user.username, source_ip=client_ip(request),
                                   step="second_factor")
    if until is not None:
        return None, _drop_pending(request, until)
    return user, None


def _finish_sign_in(request, user: User, *, second_factor: bool, target: str):
    try:
        login_complete(request=request, user=user, second_factor=second_factor,
                       source_ip=client_ip(request))
    except AccountLocked as exc:
        return _drop_pending(request, exc.until)
    request.session.pop(PENDING_KEY, None)
    return redirect(target)


@access(public=True)
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = login_check_password(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            source_ip=client_ip(request),
        )
        if result.outcome is LoginOutcome.LOCKED:
            form.add_error(None, _locked_message(result.locked_until))
        elif result.outcome is LoginOutcome.BAD_CREDENTIALS:
            form.add_error(None, _("账号或密码不正确。"))
        else:
            user = result.user
            if second_factor_required(user):
                request.session.cycle_key()
                request.session[PENDING_KEY] = {
                    "user_id": user.pk, "at": timezone.now().isoformat(),
                    "next": _safe_next(request),
                }
                has_device = TOTPDevice.objects.filter(
                    user=user, confirmed_at__isnull=False
                ).exists()
                return redirect("accounts:login_verify" if has_device else "accounts:login_enroll")
            return _finish_sign_in(request, user, second_factor=False,
                                   target=_safe_next(request))
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


@access(public=True)
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify_view(request):
    user, refused = _second_step_user(request)
    if user is None:
        return refused
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = login_check_second_factor(user=user, code=form.cleaned_data["code"],
                                           source_ip=client_ip(request))
        if result.outcome is LoginOutcome.LOCKED:
            return _drop_pending(request, result.locked_until)
        if result.outcome is LoginOutcome.OK:
            return _finish_sign_in(request, user, second_factor=True,
                                   target=request.session[PENDING_KEY]["next"])
        form.add_error("code", _("验证码不正确或已使用。"))
    return render(request, "accounts/login_verify.html", {"form": form})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def _enrollment_context(user: User, form, *, restart: bool) -> dict:
    """QR code and secret for enrolment; a failed confirmation keeps the same secret."""
    uri = totp_begin_enrollment(user=user) if restart else totp_pending_uri(user=user)
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    return {"form": form, "qr_svg": _qr_svg(uri), "secret": secret}


@access(public=True)
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enroll_view(request):
    """Enrol a second factor during sign-in (enforced for administrators and auditors)."""
    user, refused = _second_step_user(request)
    if user is None:
        return refused
    if TOTPDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        return redirect("accounts:login_verify")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result, message = login_confirm_enrollment(
            user=user, code=form.cleaned_data["code"], source_ip=client_ip(request))
        if result.outcome is LoginOutcome.LOCKED:
            return _drop_pending(request, result.locked_until)
        if result.outcome is LoginOutcome.OK:
            return _finish_sign_in(request, user, second_factor=True,
                                   target=request.session[PENDING_KEY]["next"])
        form.add_error("code", message)
    pending = TOTPDevice.objects.filter(user=user, confirmed_at__isnull=True).exists()
    context = _enrollment_context(user, form, restart=request.method == "GET" or not pending)
    return render(request, "accounts/login_enroll.html", context)


@access()
@require_POST
def logout_view(request):
    logout_complete(request=request)
    messages.info(request, _("您已安全退出。"))
    response = redirect("accounts:login")
    # The browser deletes what this site kept: the offline app's encrypted store and its
    # cached shell (civicgrid/field). The app itself warns before signing out with unsent
    # items; this also covers a sign-out from any other page.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@access()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def security_view(request):
    """My account security: second factor status and enrolment."""
    device = TOTPDevice.objects.filter(user=request.user).first()
    enrolled = device is not None and device.confirmed
    form = CodeForm(request.POST or None)
    context: dict = {"enrolled": enrolled, "device": device,
                     "password_form": PasswordChangeForm()}
    if not enrolled:
        if request.method == "POST" and form.is_valid():
            try:
                totp_confirm(user=request.user, code=form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_error("code", exc.messages[0])
            else:
                request.session["second_factor"] = True
                messages.success(request, _("两步验证已启用。"))
                return redirect("accounts:security")
        context.update(
            _enrollment_context(
                request.user, form, restart=request.method == "GET" or device is None
            )
        )
    return render(request, "accounts/security.html", context)


@access()
@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@csrf_protect
@never_cache
@require_POST
def password_change_view(request):
    """The owner's password change (a card of the security page). The session stays
    signed in; the account's other sessions end (their password hash no longer matches)."""
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        try:
            password_change_own(user=request.user,
                                current_password=form.cleaned_data["current_password"],
                                new_password=form.cleaned_data["new_password"],
                                source_ip=client_ip(request))
        except AccountLocked as exc:
            logout_complete(request=request)
            messages.error(request, _locked_message(exc.until))
            return redirect("accounts:login")
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect("accounts:security")
    device = TOTPDevice.objects.filter(user=request.user).first()
    enrolled = device is not None and device.confirmed
    context: dict = {"enrolled": enrolled, "device": device, "password_form": form}
    if not enrolled:
        context.update(_enrollment_context(request.user, CodeForm(), restart=device is None))
    return render(request, "accounts/security.html", context)


@access("accounts.user.view")
def user_list_view(request):
    qs = selectors.user_list(actor=request.user, query=request.GET.get("q", ""))
    page = request_page(request, qs, ["username"])
    template = "accounts/partials/user_rows.html" if is_htmx(request) else "accounts/user_list.html"
    return render(request, template, {"page": page, "q": request.GET.get("q", ""),
                                      "can_add": has_permission(request.user,
                                                                "accounts.user.add")})


@access("accounts.user.view", model=User, lookup={"pk": "pk"})
def user_detail_view(request, pk: int):
    user = get_object_or_404(User.objects.restrict(request.user, "view"), pk=pk)
    context: dict = dict(selectors.user_detail(user=user))
    if has_permission(request.user, "accounts.user.change"):
        context.update(_admin_context(request, user))
    return render(request, "accounts/user_detail.html", context)


def _admin_context(request, user: User) -> dict:
    """The edit forms of the user page, and which changes need a second administrator."""
    choices = Choices(request.user)
    held_areas = list(user.jurisdictions.values_list("area__code", flat=True))
    needs_two = {
        action: requires_second_administrator(actor=request.user, user=user, action=action)
        for action in CredentialAction.values
    }
    hint = request.session.pop("approval_hint", "")
    return {
        "can_change": True,
        "roles_form": RolesForm(initial={"roles": selectors.user_role_codes(user=user)}),
        "areas_form": JurisdictionsForm(initial={"areas": held_areas}, choices=choices),
        "unit_form": UnitAddForm(choices=choices),
        "grid_form": GridAddForm(choices=choices),
        "needs_two": needs_two,
        "request_links": {action: _request_link(user, action) for action in needs_two},
        "approval_hint": hint,
        "has_totp": TOTPDevice.objects.filter(user=user).exists(),
    }


# --- user administration (issue 13) -------------------------------------------------------
#
# The pages parse input and call the services, which check the actor, the scope and the
# separation of duties (三员分立) and audit every change. A refusal is shown with the
# service's own message; a change that needs a second administrator links to the request
# form (CredentialChangeRequest) that a second administrator approves.

def _message(exc: ValidationError | PermissionDenied) -> str:
    """The service's own words for a refusal."""
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc.args[0]) if exc.args and exc.args[0] else str(_("无权进行此操作。"))


def _request_link(user: User, action: str) -> str:
    """The form that asks a second administrator for this change (三员分立)."""
    return (reverse("admin:accounts_credentialchangerequest_add")
            + f"?target={user.pk}&action={action}")


@access("accounts.user.add")
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def user_new_view(request):
    """新建用户: account, roles, jurisdiction, units and grid in one step."""
    choices = Choices(request.user)
    form = NewUserForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        units = list(Unit.objects.restrict(request.user, "view").filter(
            pk__in=[int(pk) for pk in data["units"]]))
        areas = Area.objects.restrict(request.user, "view")
        grid = areas.filter(code=data["grid"]).first() if data["grid"] else None
        position = PositionType.objects.filter(code=data["position"]).first()
        try:
            done = user_onboard(
                username=data["username"].strip(), display_name=data["display_name"].strip(),
                password=data["password"] or None, roles=data["roles"],
                area_codes=data["areas"], units=units, grid=grid, position=position,
                actor=request.user)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, _("已创建用户 %(name)s。") % {"name": done.user})
            if done.one_time_password is None:
                return redirect("accounts:user_detail", done.user.pk)
            return render(request, "accounts/one_time_password.html",
                          {"subject": done.user, "password": done.one_time_password})
    return render(request, "accounts/user_new.html", {"form": form})


def _target(request, pk: int) -> User:
    return get_object_or_404(User.objects.restrict(request.user, "change"), pk=pk)


def _back(user: User):
    return redirect("accounts:user_detail", user.pk)


def _run(request, user: User, action: str, call, done: str):
    try:
        call()
    except (ValidationError, PermissionDenied) as exc:
        _refuse(request, exc, user=user, action=action)
    else:
        messages.success(request, done)
    return _back(user)


def _form_error(request, form) -> None:
    errors = [str(e) for field in form.errors.values() for e in field]
    messages.error(request, "; ".join(errors) or _("输入有误。"))


def _refuse(request, exc: ValidationError | PermissionDenied, *, user: User,
            action: str) -> None:
    """Show the refusal; a change that needs a second administrator names where to ask."""
    messages.error(request, _message(exc))
    if isinstance(exc, ApprovalRequired) and action:
        request.session["approval_hint"] = action



@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_roles_view(request, pk: int):
    user = _target(request, pk)
    form = RolesForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _back(user)
    return _run(request, user, CredentialAction.SET_ROLES,
                lambda: user_set_roles(user=user, roles=form.cleaned_data["roles"],
                                       actor=request.user), _("角色已更新。"))


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_jurisdictions_view(request, pk: int):
    user = _target(request, pk)
    form = JurisdictionsForm(request.POST, choices=Choices(request.user))
    if not form.is_valid():
        _form_error(request, form)
        return _back(user)
    areas = list(Area.objects.filter(code__in=form.cleaned_data["areas"]))
    return _run(request, user, "",
                lambda: user_set_jurisdictions(user=user, areas=areas, actor=request.user),
                _("管辖区域已更新。"))


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_unit_add_view(request, pk: int):
    user = _target(request, pk)
    form = UnitAddForm(request.POST, choices=Choices(request.user))
    if not form.is_valid():
        _form_error(request, form)
        return _back(user)
    unit = get_object_or_404(Unit.objects.restrict(request.user, "view"),
                             pk=int(form.cleaned_data["unit"]))
    return _run(request, user, "",
                lambda: unit_add_member(unit=unit, user=user, actor=request.user,
                                        title=form.cleaned_data["title"],
                                        is_leader=form.cleaned_data["is_leader"]),
                _("已加入单位 %(unit)s。") % {"unit": unit})


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_unit_remove_view(request, pk: int):
    user = _target(request, pk)
    form = PickForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _back(user)
    unit = get_object_or_404(Unit.objects.restrict(request.user, "view"),
                             pk=form.cleaned_data["pk"])
    return _run(request, user, "",
                lambda: unit_remove_member(unit=unit, user=user, actor=request.user),
                _("已移出单位 %(unit)s。") % {"unit": unit})


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_grid_add_view(request, pk: int):
    user = _target(request, pk)
    form = GridAddForm(request.POST, choices=Choices(request.user))
    if not form.is_valid():
        _form_error(request, form)
        return _back(user)
    grid = get_object_or_404(Area.objects.restrict(request.user, "view"),
                             code=form.cleaned_data["grid"])
    position = get_object_or_404(PositionType, code=form.cleaned_data["position"])
    return _run(request, user, "",
                lambda: grid_assign(grid=grid, user=user, position=position,
                                    actor=request.user),
                _("已配备到网格 %(grid)s。") % {"grid": grid.name})


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_grid_remove_view(request, pk: int):
    user = _target(request, pk)
    form = PickForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _back(user)
    assignment = get_object_or_404(
        GridAssignment.objects.restrict(request.user, "view").select_related("grid"),
        pk=form.cleaned_data["pk"], user=user)
    return _run(request, user, "",
                lambda: grid_unassign(assignment=assignment, actor=request.user),
                _("已撤销网格配备 %(grid)s。") % {"grid": assignment.grid.name})


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_active_view(request, pk: int):
    user = _target(request, pk)
    form = ActiveForm(request.POST)
    if not form.is_valid():
        _form_error(request, form)
        return _back(user)
    active = form.cleaned_data["active"]
    return _run(request, user, CredentialAction.SET_ACTIVE,
                lambda: user_set_active(user=user, active=active, actor=request.user),
                _("账号已启用。") if active else _("账号已停用。"))


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@require_POST
def user_totp_reset_view(request, pk: int):
    user = _target(request, pk)
    return _run(request, user, CredentialAction.RESET_TOTP,
                lambda: totp_reset(user=user, actor=request.user),
                _("两步验证已重置:本人下次登录时重新绑定。"))


@access("accounts.user.change", model=User, lookup={"pk": "pk"})
@sensitive_post_parameters()
@never_cache
@require_POST
def user_password_view(request, pk: int):
    """Reset another user's password to a one-time password, shown once on this page."""
    user = _target(request, pk)
    password = password_one_time(username=user.username, display_name=user.display_name)
    try:
        user_set_password(user=user, password=password, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _refuse(request, exc, user=user, action=CredentialAction.SET_PASSWORD)
        return _back(user)
    messages.success(request, _("密码已重置。"))
    return render(request, "accounts/one_time_password.html",
                  {"subject": user, "password": password})


# --- bulk creation from a spreadsheet (issue 13, point 1) ----------------------------------
#
# Two steps: the upload is read (civicgrid.core.tables) and checked (users_import_preview),
# and the rows are kept in the session — server-side, so the client never holds them and
# cannot change them between the steps — with the file's SHA-256, which the preview page
# posts back: "apply" creates exactly the rows of the preview the administrator saw (an
# upload in another tab replaces them, and the stale page is refused). The rows are taken
# out of the session when applied, so a second click creates nothing.

IMPORT_KEY = "user_import"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import_page(request, form, *, results=None, pending=None, status=200):
    context = {"form": form, "results": results, "pending": pending,
               "max_rows": MAX_IMPORT_ROWS,
               "has_errors": bool(results) and any(r.errors for r in results)}
    return render(request, "accounts/user_import.html", context, status=status)


@access("accounts.user.add")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def user_import_view(request):
    """批量导入人员: upload, preview with each row's errors, then apply all or nothing."""
    if request.method == "GET":
        return _import_page(request, UserImportForm())
    if request.POST.get("step") == "apply":
        return _import_apply(request)
    form = UserImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, form, status=400)
    upload = form.cleaned_data["file"]
    try:
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(_("文件过大:不能超过 %(mb)s MB。") % {
                "mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
        table = table_read(upload.read(MAX_UPLOAD_BYTES + 1), filename=upload.name,
                           max_rows=MAX_IMPORT_ROWS)
        rows = users_import_rows(table)
        results = users_import_preview(rows=rows, actor=request.user)
    except ValidationError as exc:
        request.session.pop(IMPORT_KEY, None)
        form.add_error("file", _message(exc))
        return _import_page(request, form, status=400)
    pending = {"sha256": table.sha256, "name": upload.name[:100], "rows": rows}
    request.session[IMPORT_KEY] = pending
    return _import_page(request, UserImportForm(), results=results, pending=pending)


def _import_apply(request):
    pending = request.session.get(IMPORT_KEY)
    if not pending or pending["sha256"] != request.POST.get("sha256"):
        messages.error(request, _("预览已失效(可能已导入,或在其他窗口上传了别的文件),"
                                  "请重新上传。"))
        return redirect("accounts:user_import")
    del request.session[IMPORT_KEY]
    rows = [(int(number), dict(values)) for number, values in pending["rows"]]
    try:
        done = users_import_apply(rows=rows, actor=request.user, sha256=pending["sha256"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
        results = users_import_preview(rows=rows, actor=request.user)
        return _import_page(request, UserImportForm(), results=results, status=400)
    return render(request, "accounts/user_import_done.html",
                  {"accounts": done.accounts, "name": pending["name"]})


@access("accounts.user.add")
@require_http_methods(["GET"])
def user_import_template_view(request):
    """The workbook to fill in (header, an example row, the roles and positions)."""
    response = HttpResponse(users_import_template(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="users-import-template.xlsx"'
    return response
