from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.accounts.roles import Role
from civicgrid.areas.models import Area, Level, PositionType
from civicgrid.units.models import Unit


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("账号"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6位验证码"), max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                   "pattern": "[0-9 ]*"}
        ),
    )


def _password_input(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


class PasswordChangeForm(forms.Form):
    """The owner's own password change; the rules are checked by `password_change_own`."""

    current_password = forms.CharField(label=_("当前密码"), strip=False,
                                       widget=_password_input("current-password"))
    new_password = forms.CharField(label=_("新密码"), strip=False,
                                   widget=_password_input("new-password"))
    new_password_again = forms.CharField(label=_("再次输入新密码"), strip=False,
                                         widget=_password_input("new-password"))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get(
                "new_password_again"):
            self.add_error("new_password_again", _("两次输入的新密码不一致。"))
        return data


# --- user administration (issue 13): the pages parse, the services decide ------------------

def _multi(label, *, size: int = 8) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": size}))


def _single(label) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=False,
                             widget=forms.Select(attrs={"class": "form-select"}))


def _roles_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=_("角色"), required=False, choices=Role.choices,
                                     widget=forms.CheckboxSelectMultiple)


def _choices(form: forms.Form, name: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class Choices:
    """What the actor may pick on the user pages: areas and grids within their scope, the
    units they see, the grid positions (read once per request)."""

    def __init__(self, actor) -> None:
        areas = Area.objects.restrict(actor, "view").filter(
            level__in=[Level.COUNTY, Level.STREET, Level.COMMUNITY, Level.GRID]
        ).order_by("code").values_list("code", "name", "level")
        indent: dict[str, str] = {Level.COUNTY: "", Level.STREET: "· ", Level.COMMUNITY: "·· ",
                  Level.GRID: "··· "}
        self.areas = [(code, f"{indent[level]}{name} ({code})") for code, name, level in areas]
        self.grids = [("", "—")] + [(c, f"{n} ({c})") for c, n, lvl in areas if lvl == Level.GRID]
        self.units = [(str(pk), name) for pk, name in Unit.objects.restrict(actor, "view")
                      .order_by("area__code", "code").values_list("pk", "name")]
        self.positions = [(p.code, p.display_name()) for p in PositionType.objects.all()]


class NewUserForm(forms.Form):
    username = forms.CharField(label=_("账号"), max_length=150,
                               widget=forms.TextInput(attrs={"class": "form-control",
                                                             "autocomplete": "off"}))
    display_name = forms.CharField(label=_("姓名"), max_length=50,
                                   widget=forms.TextInput(attrs={"class": "form-control"}))
    password = forms.CharField(
        label=_("初始密码"), required=False, strip=False,
        help_text=_("留空则生成一次性密码,仅在创建后显示一次,请当面交给本人。"),
        widget=forms.PasswordInput(attrs={"class": "form-control",
                                          "autocomplete": "new-password"}))
    roles = _roles_field()
    areas = _multi(_("管辖区域"))
    units = _multi(_("所属单位"), size=5)
    grid = _single(_("网格(网格员)"))
    position = _single(_("网格岗位"))

    def __init__(self, *args, choices: Choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "areas", choices.areas)
        self.fields["areas"].help_text = _(
            "可多选(电脑上按住 Ctrl 点选);网格员留空时以其网格为管辖区域。")
        _choices(self, "units", choices.units)
        _choices(self, "grid", choices.grids)
        _choices(self, "position", choices.positions)
        self.fields["position"].initial = "grid_worker"


class RolesForm(forms.Form):
    roles = _roles_field()


class JurisdictionsForm(forms.Form):
    areas = _multi(_("管辖区域"))

    def __init__(self, *args, choices: Choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"].help_text = _(
            "可多选(电脑上按住 Ctrl 点选);全部取消即收回所有管辖区域。")
        _choices(self, "areas", choices.areas)


class UnitAddForm(forms.Form):
    unit = forms.ChoiceField(label=_("单位"), widget=forms.Select(attrs={"class": "form-select"}))
    title = forms.CharField(label=_("职务"), max_length=50, required=False,
                            widget=forms.TextInput(attrs={"class": "form-control"}))
    is_leader = forms.BooleanField(label=_("负责人"), required=False,
                                   widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, choices: Choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "unit", choices.units)


class GridAddForm(forms.Form):
    grid = forms.ChoiceField(label=_("网格"), widget=forms.Select(attrs={"class": "form-select"}))
    position = forms.ChoiceField(label=_("岗位"),
                                 widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, choices: Choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "grid", choices.grids[1:])
        _choices(self, "position", choices.positions)
        self.fields["position"].initial = "grid_worker"


class PickForm(forms.Form):
    """One record named by its id (a membership's unit, a grid assignment)."""

    pk = forms.IntegerField(min_value=1)


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", _("启用")), ("0", _("停用"))],
                                    coerce=lambda v: v == "1")


class UserImportForm(forms.Form):
    """The spreadsheet of a bulk import (read by civicgrid.core.tables, not by this form)."""

    file = forms.FileField(
        label=_("人员表格(.xlsx 或 .csv)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control",
                                               "accept": ".xlsx,.csv"}))
