"""Documents of a case: the 人民调解协议书 (人民调解法 Art. 29) — created when a case is
resolved by mediation, downloaded as a PDF with the parties in clear, every download
audited."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.actors import Actor, actor_name
from civicgrid.accounts.models import User
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases import events as E  # noqa: N812
from civicgrid.cases.documents import MediationAgreement, render_mediation_agreement
from civicgrid.cases.inputs import AgreementInput
from civicgrid.cases.models import Agreement, Case, EventType
from civicgrid.cases.services.common import record_event
from civicgrid.cases.services.parties import party_document_info
from civicgrid.core.errors import RuleViolation
from civicgrid.core.scope import get_scope
from civicgrid.core.transactions import service_atomic


def _agreement_number(case: Case, year: int) -> str:
    count = Agreement.objects.filter(case__area_code__startswith=case.area_code[:6],
                                     signed_on__year=year).count() + 1
    return f"{case.area_code[:6]}调协〔{year}〕第{count:04d}号"



def agreement_create(*, case: Case, data: AgreementInput, actor: Actor) -> Agreement:
    terms = [t.strip() for t in data.terms if t and t.strip()]
    if not (data.facts.strip() and data.disputed_matters.strip() and terms
            and data.performance.strip()):
        raise ValidationError({"agreement": _(
            "调解协议须写明纠纷事实、争议事项、协议内容和履行方式、期限。")})
    parties = case.parties.count()
    if parties < 2:
        raise RuleViolation({"agreement": _("调解协议须有至少两方当事人,请先补录当事人。")})
    signed_on = data.signed_on or timezone.localdate()
    copies = parties + 1  # 人民调解法 Art. 29: one per party, one kept by the committee
    if data.copies not in (None, copies):
        raise RuleViolation({"agreement": _(
            "协议书份数须为当事人各一份另加调委会留存一份,即 %(n)d 份。") % {"n": copies}})
    agreement = Agreement.objects.create(
        case=case, number=_agreement_number(case, signed_on.year), facts=data.facts.strip(),
        disputed_matters=data.disputed_matters.strip(),
        responsibilities=data.responsibilities.strip(), terms=terms,
        performance=data.performance.strip(), signed_on=signed_on, copies=copies,
        confirmation_deadline=signed_on + timedelta(days=30))
    record_event(case, E.AgreementMade(copies=copies, confirmation_deadline=str(
        agreement.confirmation_deadline)), actor, note=agreement.number)
    audit_record(actor=actor, event_type=AuditEventType.CASE_AGREEMENT_CREATED, subject=case,
                 details={"number": agreement.number})
    return agreement



def may_download_agreement(user: User, case: Case) -> bool:
    """The agreement carries parties' particulars in clear: for people who may reveal
    personal data, or members of the unit that handled the case."""
    scope = get_scope(user)
    return (scope.can("cases.party.reveal") or getattr(user, "is_superuser", False)
            or (case.assigned_unit_id is not None and case.assigned_unit_id in scope.unit_ids))



@service_atomic
def agreement_document(*, case: Case, actor: User) -> bytes:
    """The 人民调解协议书 PDF, parties in clear; every download is audited."""
    if not Case.objects.restrict(actor, "view").filter(pk=case.pk).exists():
        raise PermissionDenied
    if not may_download_agreement(actor, case):
        raise PermissionDenied
    agreement = Agreement.objects.filter(case=case).first()
    if agreement is None:
        raise ValidationError(_("该事件没有调解协议书。"))
    parties = list(case.parties.order_by("role", "id"))
    mediators = list(dict.fromkeys(
        s.mediator.display_name or s.mediator.get_username()
        for s in case.sessions.select_related("mediator").order_by("held_at")))
    if not mediators:
        resolved = case.events.filter(type=EventType.RESOLVED).order_by("-id").first()
        mediators = [resolved.actor_name if resolved else actor_name(actor)]
    document = MediationAgreement(
        number=agreement.number,
        committee=case.assigned_unit.name if case.assigned_unit else "",
        case_number=case.number, parties=[party_document_info(p, clear=True) for p in parties],
        facts=agreement.facts, disputed_matters=agreement.disputed_matters,
        responsibilities=agreement.responsibilities, terms=list(agreement.terms),
        performance=agreement.performance, mediators=mediators,
        signed_on=agreement.signed_on, copies=agreement.copies)
    try:
        data = render_mediation_agreement(document)
    except ValueError as exc:
        raise ValidationError(_("协议书无法生成:%(e)s") % {"e": exc}) from exc
    audit_record(actor=actor, event_type=AuditEventType.AGREEMENT_DOWNLOADED, subject=case,
                 details={"agreement": agreement.number, "parties": len(parties)})
    return data

