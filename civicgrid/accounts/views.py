from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.core.exceptions import ValidationError
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
from civicgrid.accounts.forms import CodeForm, LoginForm
from civicgrid.accounts.models import TOTPDevice, User
from civicgrid.accounts.services import (
    AccountLocked,
    LoginOutcome,
    login_check_password,
    login_check_second_factor,
    login_complete,
    login_confirm_enrollment,
    login_refuse_if_locked,
    logout_complete,
    second_factor_required,
    totp_begin_enrollment,
    totp_confirm,
    totp_pending_uri,
)
from civicgrid.audit.context import client_ip
from civicgrid.core.access import access
from civicgrid.core.htmx import is_htmx
from civicgrid.core.pagination import request_page

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
    return redirect("accounts:login")


@access()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def security_view(request):
    """My account security: second factor status and enrolment."""
    device = TOTPDevice.objects.filter(user=request.user).first()
    enrolled = device is not None and device.confirmed
    form = CodeForm(request.POST or None)
    context: dict = {"enrolled": enrolled, "device": device}
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


@access("accounts.user.view")
def user_list_view(request):
    qs = selectors.user_list(actor=request.user, query=request.GET.get("q", ""))
    page = request_page(request, qs, ["username"])
    template = "accounts/partials/user_rows.html" if is_htmx(request) else "accounts/user_list.html"
    return render(request, template, {"page": page, "q": request.GET.get("q", "")})


@access("accounts.user.view", model=User, lookup={"pk": "pk"})
def user_detail_view(request, pk: int):
    user = get_object_or_404(User.objects.restrict(request.user, "view"), pk=pk)
    return render(request, "accounts/user_detail.html", selectors.user_detail(user=user))
