from django import forms
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    event_type = forms.CharField(label=_("事件类型"), required=False)
    actor = forms.CharField(label=_("账号"), required=False, max_length=150)
    subject = forms.CharField(label=_("对象"), required=False, max_length=100)
    source_ip = forms.GenericIPAddressField(label=_("来源地址"), required=False)
    success = forms.ChoiceField(
        label=_("结果"), required=False,
        choices=[("", _("全部")), ("yes", _("成功")), ("no", _("失败"))],
    )
    date_from = forms.DateField(label=_("起始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
