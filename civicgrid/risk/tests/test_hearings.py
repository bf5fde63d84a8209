"""The hearing services (civicgrid/risk/services/hearings.py): each rule, whoever calls;
refused actions change nothing; the draw checked against the published algorithm written
again with hashlib; the audit trail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.accounts.roles import Role
from civicgrid.audit.models import AuditEntry
from civicgrid.core.crypto import decrypt_text
from civicgrid.core.errors import RuleViolation
from civicgrid.risk.models import (
    ActivityKind,
    Assessment,
    AssessmentStatus,
    Comment,
    ConsultationActivity,
    Hearing,
    HearingStatus,
    Matter,
    MatterArea,
    MatterKind,
    MatterStatus,
    Registration,
    RegistrationStatus,
)
from civicgrid.risk.services import hearings as services
from civicgrid.risk.services.hearings import HearingInput, PassageInput, RegistrationInput

pytestmark = pytest.mark.django_db

SEED = "20261205-开奖号码-3-17-22"


# --- helpers (used by the other hearing test modules too) ----------------------------------

def make_matter(world, *, community=None, unit=None, number="",
                assessment: bool = False) -> Matter:
    community = community or world.community_a
    number = number or f"ZD-H-{Matter.objects.count() + 1}"
    matter = Matter.objects.create(
        number=number, title="桃坞社区老旧小区加装电梯", summary="加装电梯与管网改造",
        kind=MatterKind.objects.get(code="urban_construction"), area=community,
        area_code=community.code, responsible_unit=unit or world.unit_a,
        deciding_body="街道党工委会议", assessment_required=True,
        status=MatterStatus.ASSESSING, registered_at=timezone.now())
    MatterArea.objects.create(matter=matter, area=community, area_code=community.code)
    if assessment:
        Assessment.objects.create(matter=matter, plan="问卷、座谈与听证",
                                  assessor_unit=unit or world.unit_a,
                                  status=AssessmentStatus.OPEN, started_at=timezone.now())
    return matter


def hearing_input(**changes) -> HearingInput:
    now = timezone.now()
    values = {"title": "加装电梯方案听证会", "starts_at": now + timedelta(days=20),
              "place": "桃坞社区党群服务中心二楼会议室",
              "agenda": "一、方案说明\n二、陈述意见\n三、辩论",
              "draft_title": "桃坞社区加装电梯实施方案(征求意见稿)",
              "registration_closes_at": now + timedelta(days=10),
              "comments_close_at": now + timedelta(days=15),
              "seed_source": "报名截止次日福彩3D开奖号码"}
    values.update(changes)
    return HearingInput(**values)


PASSAGES = [PassageInput("第一条 适用范围", "本方案适用于桃坞社区1至12幢多层住宅加装电梯。"),
            PassageInput("第二条 费用分摊", "加装费用由业主按楼层系数分摊,一层不分摊。"),
            PassageInput("", "施工期间每日作业时间为8时至18时。")]
SEATS = {"resident": 3, "stakeholder": 2, "expert": 1}


def staff(world, role=Role.SUPERVISOR):
    return world.users[role]


def noticed_hearing(world, matter=None, seats=None, **changes) -> Hearing:
    supervisor = staff(world)
    matter = matter or make_matter(world)
    hearing = services.hearing_create(matter=matter, data=hearing_input(**changes),
                                      actor=supervisor)
    services.hearing_set_passages(hearing=hearing, passages=PASSAGES, actor=supervisor)
    services.hearing_set_quotas(hearing=hearing, seats=seats or SEATS, actor=supervisor)
    return services.hearing_notice(hearing=hearing, actor=supervisor)


def outside_hearing(world, status=HearingStatus.NOTICED) -> Hearing:
    """A hearing of street B (no street-A user's scope), written directly."""
    now = timezone.now()
    matter = make_matter(world, community=world.community_b, unit=world.unit_b)
    hearing = Hearing.objects.create(
        matter=matter, title="濠西社区听证会", starts_at=now + timedelta(days=20), place="濠西",
        agenda="议程", draft_title="濠西草案", registration_closes_at=now + timedelta(days=10),
        comments_close_at=now + timedelta(days=15), status=status,
        seed_source="报名截止次日福彩3D开奖号码")
    hearing.passages.create(number=1, text="濠西草案第一段")
    hearing.quotas.create(group="resident", seats=2)
    return hearing


def register(hearing, number_of_phone: int, group="resident", position="support",
             speak=True, name="张三丰", actor=None) -> Registration:
    return services.registration_submit(hearing=hearing, actor=actor, data=RegistrationInput(
        group=group, name=name, phone=f"1391234{number_of_phone:04d}", position=position,
        wants_to_speak=speak))


def pass_deadline(hearing: Hearing) -> None:
    """Time passes: the registration deadline is behind us (the row, as a clock would)."""
    Hearing.objects.filter(pk=hearing.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1))
    hearing.refresh_from_db()


def hearing_day(hearing: Hearing) -> None:
    """Time passes again: the hearing has begun (its minutes may be recorded)."""
    Hearing.objects.filter(pk=hearing.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    hearing.refresh_from_db()


def closed_hearing(world, registrations) -> Hearing:
    hearing = noticed_hearing(world)
    for i, (group, position) in enumerate(registrations, start=1):
        register(hearing, i, group=group, position=position)
    pass_deadline(hearing)
    return services.registration_close(hearing=hearing, actor=staff(world))


def audit_types(hearing: Hearing) -> list[str]:
    return list(AuditEntry.objects.filter(details__hearing=hearing.pk).order_by("id")
                .values_list("event_type", flat=True))


def snapshot(hearing: Hearing) -> tuple:
    hearing.refresh_from_db()
    return (hearing.status, hearing.registrations_digest, hearing.seed, hearing.published_at,
            hearing.minutes_signed_at, hearing.minutes, hearing.title,
            list(hearing.registrations.values_list("number", "status", "draw_rank")),
            list(hearing.comments.values_list("number", "disposition", "disposition_reason")),
            list(hearing.passages.values_list("number", "heading", "text")),
            list(hearing.quotas.values_list("group", "seats")))


# --- drafting and the notice ------------------------------------------------------------

def test_a_drafted_hearing_is_noticed_with_its_passages_and_quotas(world):
    hearing = noticed_hearing(world)
    assert hearing.status == HearingStatus.NOTICED and hearing.noticed_at is not None
    assert list(hearing.passages.values_list("number", "heading")) == [
        (1, "第一条 适用范围"), (2, "第二条 费用分摊"), (3, "")]
    assert dict(hearing.quotas.values_list("group", "seats")) == SEATS
    assert audit_types(hearing) == ["hearing.created", "hearing.changed", "hearing.changed",
                                    "hearing.noticed"]


def test_only_organisers_in_scope_draft_hearings(world):
    inside, outside = make_matter(world), make_matter(
        world, community=world.community_b, unit=world.unit_b, number="ZD-H-B")
    for actor, matter in [(staff(world, Role.LEADER), inside),
                          (staff(world, Role.AUDITOR), inside),
                          (staff(world, Role.GRID_WORKER), inside),
                          (staff(world), outside)]:
        with pytest.raises(PermissionDenied):
            services.hearing_create(matter=matter, data=hearing_input(), actor=actor)
    assert Hearing.objects.filter(matter__in=[inside, outside]).count() == 0
    hearing = services.hearing_create(matter=inside, data=hearing_input(),
                                      actor=staff(world, Role.UNIT_LEADER))
    assert hearing.status == HearingStatus.DRAFT


def test_dates_must_be_coherent(world):
    now = timezone.now()
    matter = make_matter(world)
    with pytest.raises(RuleViolation) as exc:
        services.hearing_create(matter=matter, actor=staff(world), data=hearing_input(
            registration_closes_at=now + timedelta(days=30)))
    assert "registration_closes_at" in exc.value.message_dict
    with pytest.raises(RuleViolation) as exc:
        services.hearing_create(matter=matter, actor=staff(world), data=hearing_input(
            comments_close_at=now + timedelta(days=21)))
    assert "comments_close_at" in exc.value.message_dict
    assert not Hearing.objects.filter(matter=matter).exists()


def test_the_notice_needs_a_draft_and_seats_and_a_future_deadline(world):
    supervisor = staff(world)
    hearing = services.hearing_create(matter=make_matter(world), data=hearing_input(),
                                      actor=supervisor)
    with pytest.raises(RuleViolation, match="草案"):
        services.hearing_notice(hearing=hearing, actor=supervisor)
    services.hearing_set_passages(hearing=hearing, passages=PASSAGES, actor=supervisor)
    with pytest.raises(RuleViolation, match="名额"):
        services.hearing_notice(hearing=hearing, actor=supervisor)
    services.hearing_set_quotas(hearing=hearing, seats={"resident": 0}, actor=supervisor)
    with pytest.raises(RuleViolation, match="名额"):
        services.hearing_notice(hearing=hearing, actor=supervisor)
    services.hearing_set_quotas(hearing=hearing, seats=SEATS, actor=supervisor)
    pass_deadline(hearing)
    with pytest.raises(RuleViolation):
        services.hearing_notice(hearing=hearing, actor=supervisor)
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.DRAFT and hearing.noticed_at is None


def test_nothing_of_the_notice_changes_once_published(world):
    hearing = noticed_hearing(world)
    before = snapshot(hearing)
    supervisor = staff(world)
    for call in (
        lambda: services.hearing_update(hearing=hearing, actor=supervisor,
                                        data=hearing_input(title="改过的名称")),
        lambda: services.hearing_set_passages(hearing=hearing, actor=supervisor,
                                              passages=PASSAGES[:1]),
        lambda: services.hearing_set_quotas(hearing=hearing, actor=supervisor,
                                            seats={"resident": 9}),
        lambda: services.hearing_notice(hearing=hearing, actor=supervisor),
    ):
        with pytest.raises(RuleViolation):
            call()
    assert snapshot(hearing) == before


def test_a_draft_may_be_rewritten_before_the_notice(world):
    supervisor = staff(world)
    hearing = services.hearing_create(matter=make_matter(world), data=hearing_input(),
                                      actor=supervisor)
    services.hearing_set_passages(hearing=hearing, passages=PASSAGES, actor=supervisor)
    services.hearing_set_passages(hearing=hearing, actor=supervisor, passages=[
        PassageInput("总则", "新的第一段。")])
    assert list(hearing.passages.values_list("number", "heading", "text")) == [
        (1, "总则", "新的第一段。")]
    with pytest.raises(ValidationError) as exc:
        services.hearing_set_passages(hearing=hearing, actor=supervisor, passages=[
            PassageInput("", "长" * (services.PASSAGE_MAX + 1))])
    assert "4000" in str(exc.value)
    services.hearing_update(hearing=hearing, actor=supervisor,
                            data=hearing_input(title="改过的名称"))
    hearing.refresh_from_db()
    assert hearing.title == "改过的名称"


# --- registration -------------------------------------------------------------------------

def test_a_resident_registers_with_the_phone_sealed(world):
    hearing = noticed_hearing(world)
    registration = services.registration_submit(hearing=hearing, actor=None, data=
                                                RegistrationInput(
        group="resident", name="李四", phone="139 1234 0001", position="oppose",
        affiliation="桃坞新村5幢", statement="担心采光"))
    assert registration.number == 1 and registration.source == "online"
    assert registration.phone_masked == "139****0001"
    assert "13912340001" not in registration.phone_encrypted
    assert decrypt_text(registration.phone_encrypted) == "13912340001"
    assert registration.status == RegistrationStatus.REGISTERED
    entry = AuditEntry.objects.get(event_type="hearing.registered")
    assert entry.actor is None and entry.details["source"] == "online"
    assert "13912340001" not in str(entry.details)


def test_one_registration_per_phone_however_it_is_written(world):
    hearing = noticed_hearing(world)
    register(hearing, 1)
    with pytest.raises(RuleViolation) as exc:
        services.registration_submit(hearing=hearing, actor=None, data=RegistrationInput(
            group="expert", name="王五", phone="+86 139-1234-0001", position="support"))
    assert "phone" in exc.value.message_dict
    assert hearing.registrations.count() == 1


def test_registration_is_refused_for_a_group_without_seats_a_bad_phone_or_late(world):
    hearing = noticed_hearing(world)
    with pytest.raises(ValidationError) as exc:
        register(hearing, 1, group="deputy")
    assert "group" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.registration_submit(hearing=hearing, actor=None, data=RegistrationInput(
            group="resident", name="李四", phone="12345", position="support"))
    assert "phone" in exc.value.message_dict
    pass_deadline(hearing)
    with pytest.raises(RuleViolation):
        register(hearing, 2)
    assert hearing.registrations.count() == 0


def test_a_draft_takes_no_registration_and_no_comment(world):
    supervisor = staff(world)
    hearing = services.hearing_create(matter=make_matter(world), data=hearing_input(),
                                      actor=supervisor)
    services.hearing_set_passages(hearing=hearing, passages=PASSAGES, actor=supervisor)
    services.hearing_set_quotas(hearing=hearing, seats=SEATS, actor=supervisor)
    with pytest.raises(RuleViolation):
        register(hearing, 1)
    passage = hearing.passages.first()
    with pytest.raises(RuleViolation):
        services.comment_submit(passage=passage, text="意见", actor=None)
    with pytest.raises(RuleViolation):
        services.comment_submit(passage=passage, text="意见", actor=supervisor)
    assert hearing.registrations.count() == hearing.comments.count() == 0


def test_the_desk_registers_and_withdraws_for_a_person(world):
    hearing = noticed_hearing(world)
    supervisor = staff(world)
    registration = register(hearing, 1, actor=supervisor)
    assert registration.source == "desk"
    with pytest.raises(PermissionDenied):
        register(hearing, 2, actor=staff(world, Role.LEADER))
    with pytest.raises(ValidationError):
        services.registration_withdraw(registration=registration, reason=" ", actor=supervisor)
    services.registration_withdraw(registration=registration, reason="本人来电撤回",
                                   actor=supervisor)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.WITHDRAWN
    again = register(hearing, 1)  # the same phone may register again
    assert again.number == 2
    assert Registration.objects.filter(hearing=hearing).count() == 2  # nothing deleted


# --- close and draw -----------------------------------------------------------------------

def test_registration_closes_only_after_its_deadline_and_freezes_the_list(world):
    hearing = noticed_hearing(world)
    register(hearing, 1, group="resident", position="oppose")
    register(hearing, 2, group="expert", position="neutral", speak=False)
    withdrawn = register(hearing, 3)
    services.registration_withdraw(registration=withdrawn, reason="撤回", actor=staff(world))
    with pytest.raises(RuleViolation, match="截止时间未到"):
        services.registration_close(hearing=hearing, actor=staff(world))
    assert snapshot(hearing)[0] == HearingStatus.NOTICED
    pass_deadline(hearing)
    services.registration_close(hearing=hearing, actor=staff(world))
    hearing.refresh_from_db()
    frozen = "1,resident,oppose,1\n2,expert,neutral,0\n"  # the withdrawn one left out
    assert hearing.status == HearingStatus.CLOSED
    assert hearing.registrations_digest == hashlib.sha256(frozen.encode()).hexdigest()
    with pytest.raises(RuleViolation):
        services.registration_withdraw(registration=hearing.registrations.get(number=1),
                                       reason="太晚了", actor=staff(world))


def test_the_draw_gives_the_participants_of_the_published_algorithm(world):
    # 6 residents for 3 seats, 2 stakeholders for 2, 1 expert for 1: a lot only among
    # the residents.
    rows = [("resident", "support"), ("resident", "oppose"), ("stakeholder", "oppose"),
            ("resident", "neutral"), ("resident", "oppose"), ("expert", "neutral"),
            ("resident", "support"), ("stakeholder", "support"), ("resident", "oppose")]
    hearing = closed_hearing(world, rows)
    with pytest.raises(ValidationError):
        services.hearing_draw(hearing=hearing, seed="  ", actor=staff(world))
    services.hearing_draw(hearing=hearing, seed=SEED, actor=staff(world))
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.DRAWN and hearing.seed == SEED

    def key(n):
        return hashlib.sha256(f"{SEED}:{n}".encode()).hexdigest()

    residents = sorted((n for n, (g, _p) in enumerate(rows, 1) if g == "resident"), key=key)
    expected_selected = set(residents[:3]) | {3, 8, 6}
    got = dict(hearing.registrations.values_list("number", "status"))
    assert {n for n, s in got.items() if s == "selected"} == expected_selected
    assert [n for n in residents if got[n] == "waitlisted"] == residents[3:]
    ranks = dict(hearing.registrations.filter(group="resident")
                 .values_list("number", "draw_rank"))
    assert [ranks[n] for n in residents] == [1, 2, 3, 4, 5, 6]
    # the speaking order: oppose, support, other in turn, each by key
    chosen = [n for n, s in got.items() if s == "selected"]
    queues = {p: sorted((n for n in chosen if rows[n - 1][1] == p), key=key)
              for p in ("oppose", "support", "neutral")}
    expected_order = []
    while any(queues.values()):
        for p in ("oppose", "support", "neutral"):
            if queues[p]:
                expected_order.append(queues[p].pop(0))
    order = dict(hearing.registrations.exclude(speaking_order=None)
                 .values_list("speaking_order", "number"))
    assert [order[i] for i in sorted(order)] == expected_order
    entry = AuditEntry.objects.get(event_type="hearing.drawn")
    assert entry.details["seed"] == SEED
    assert entry.details["selected"] == sorted(expected_selected)


def test_the_same_seed_and_registrations_give_the_same_participants(world):
    rows = [("resident", "support")] * 5 + [("expert", "oppose")] * 3
    first = closed_hearing(world, rows)
    services.hearing_draw(hearing=first, seed=SEED, actor=staff(world))
    second = closed_hearing(world, rows)  # another hearing, same numbers and groups
    services.hearing_draw(hearing=second, seed=SEED, actor=staff(world))
    picked = [list(h.registrations.order_by("number").values_list("number", "status",
                                                                  "draw_rank",
                                                                  "speaking_order"))
              for h in (first, second)]
    assert picked[0] == picked[1]


def test_the_lots_are_drawn_once_and_only_after_the_close(world):
    hearing = noticed_hearing(world)
    register(hearing, 1)
    with pytest.raises(RuleViolation):
        services.hearing_draw(hearing=hearing, seed=SEED, actor=staff(world))
    pass_deadline(hearing)
    services.registration_close(hearing=hearing, actor=staff(world))
    services.hearing_draw(hearing=hearing, seed=SEED, actor=staff(world))
    before = snapshot(hearing)
    with pytest.raises(RuleViolation):
        services.hearing_draw(hearing=hearing, seed="another seed", actor=staff(world))
    assert snapshot(hearing) == before
    with pytest.raises(PermissionDenied):
        services.hearing_draw(hearing=hearing, seed=SEED, actor=staff(world, Role.AUDITOR))


# --- comments -----------------------------------------------------------------------------

def test_a_comment_is_published_masked_and_kept_sealed(world):
    hearing = noticed_hearing(world)
    passage = hearing.passages.get(number=2)
    written = "一层也应分摊。联系我13812345678或 wang.er@example.com,身份证320602199001011234"
    comment = services.comment_submit(passage=passage, text=written, author="王二小",
                                      actor=None)
    assert comment.masked is True
    assert comment.text == ("一层也应分摊。联系我138****5678或 w***@example.com,"
                            "身份证320*************34")
    assert decrypt_text(comment.original_encrypted) == written
    assert comment.author == "王**" and comment.source == "online" and comment.number == 1
    plain = services.comment_submit(passage=passage, text="同意方案", actor=None)
    assert plain.masked is False and plain.text == "同意方案" and plain.number == 2


def test_online_comments_close_but_paper_ones_are_entered_until_publication(world):
    hearing = noticed_hearing(world)
    Hearing.objects.filter(pk=hearing.pk).update(
        comments_close_at=timezone.now() - timedelta(minutes=1))
    passage = hearing.passages.get(number=1)
    with pytest.raises(RuleViolation):
        services.comment_submit(passage=passage, text="晚到的网上意见", actor=None)
    assert hearing.comments.count() == 0
    paper = services.comment_submit(passage=passage, text="书面意见:同意", author="赵六",
                                    actor=staff(world))
    assert paper.source == "paper" and paper.entered_by == staff(world)
    with pytest.raises(PermissionDenied):
        services.comment_submit(passage=passage, text="x", actor=staff(world, Role.LEADER))
    with pytest.raises(ValidationError):
        services.comment_submit(passage=passage, text="长" * 2001, actor=staff(world))
    assert hearing.comments.count() == 1


def test_partly_and_not_adopted_need_a_reason(world):
    hearing = noticed_hearing(world)
    comment = services.comment_submit(passage=hearing.passages.first(), text="建议", actor=None)
    for disposition in ("partly", "not_adopted"):
        with pytest.raises(ValidationError) as exc:
            services.comment_dispose(comment=comment, disposition=disposition, reason="",
                                     actor=staff(world))
        assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.comment_dispose(comment=comment, disposition="maybe", reason="x",
                                 actor=staff(world))
    comment.refresh_from_db()
    assert comment.disposition == "" and comment.disposed_at is None
    services.comment_dispose(comment=comment, disposition="adopted", reason="",
                             actor=staff(world))
    services.comment_dispose(comment=comment, disposition="not_adopted",
                             reason="与上位法规定不符", actor=staff(world))
    comment.refresh_from_db()
    assert (comment.disposition, comment.disposition_reason) == ("not_adopted", "与上位法规定不符")
    befores = list(AuditEntry.objects.filter(event_type="hearing.comment_disposed")
                   .order_by("id").values_list("details__before", flat=True))
    assert befores == ["", "adopted"]


# --- held, signed, published ----------------------------------------------------------------

def drawn_hearing(world, *, assessment=False) -> Hearing:
    hearing = noticed_hearing(world, matter=make_matter(world, assessment=assessment))
    register(hearing, 1, position="oppose")
    register(hearing, 2, group="expert", position="support")
    services.comment_submit(passage=hearing.passages.get(number=1), text="范围应包括13幢",
                            actor=None)
    services.comment_submit(passage=hearing.passages.get(number=2), text="分摊比例过高",
                            actor=None)
    pass_deadline(hearing)
    services.registration_close(hearing=hearing, actor=staff(world))
    services.hearing_draw(hearing=hearing, seed=SEED, actor=staff(world))
    hearing_day(hearing)
    return hearing


def test_every_comment_has_a_disposition_before_the_minutes_publish(world):
    supervisor = staff(world)
    hearing = drawn_hearing(world)
    with pytest.raises(RuleViolation):
        services.minutes_sign(hearing=hearing, signed_by="陈主任", actor=supervisor)
    services.hearing_held(hearing=hearing, chair="陈主任", minutes="听证会于上午九时开始……",
                          actor=supervisor)
    with pytest.raises(RuleViolation, match="签字"):
        services.hearing_publish(hearing=hearing, actor=supervisor)
    with pytest.raises(RuleViolation) as exc:
        services.minutes_sign(hearing=hearing, signed_by="李秘书", actor=supervisor)
    assert "minutes_signed_by" in exc.value.message_dict
    services.minutes_sign(hearing=hearing, signed_by="陈主任", actor=supervisor)
    with pytest.raises(RuleViolation):
        services.hearing_held(hearing=hearing, chair="陈主任", minutes="改写", actor=supervisor)
    first, second = hearing.comments.order_by("number")
    services.comment_dispose(comment=first, disposition="adopted", reason="", actor=supervisor)
    before = snapshot(hearing)
    with pytest.raises(RuleViolation, match="1条意见"):
        services.hearing_publish(hearing=hearing, actor=supervisor)
    assert snapshot(hearing) == before
    services.comment_dispose(comment=second, disposition="partly", reason="一层按0.3系数分摊",
                             actor=supervisor)
    services.hearing_publish(hearing=hearing, actor=supervisor)
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.PUBLISHED and hearing.published_at is not None
    assert not ConsultationActivity.objects.filter(hearing=hearing).exists()  # no open one
    with pytest.raises(RuleViolation):
        services.comment_dispose(comment=second, disposition="adopted", reason="",
                                 actor=supervisor)
    with pytest.raises(RuleViolation):
        services.comment_submit(passage=first.passage, text="晚了", actor=supervisor)
    assert audit_types(hearing)[-5:] == [
        "hearing.held", "hearing.minutes_signed", "hearing.comment_disposed",
        "hearing.comment_disposed", "hearing.published"]


def test_the_minutes_wait_for_the_hearing_to_begin(world):
    supervisor = staff(world)
    hearing = drawn_hearing(world)
    Hearing.objects.filter(pk=hearing.pk).update(starts_at=timezone.now() + timedelta(hours=1))
    hearing.refresh_from_db()
    before = snapshot(hearing)
    with pytest.raises(RuleViolation, match="举行时间未到"):
        services.hearing_held(hearing=hearing, chair="陈主任", minutes="笔录", actor=supervisor)
    assert snapshot(hearing) == before


def test_publication_records_the_hearing_in_the_open_assessment(world):
    supervisor = staff(world)
    hearing = drawn_hearing(world, assessment=True)
    services.hearing_held(hearing=hearing, chair="陈主任", minutes="笔录", actor=supervisor)
    services.minutes_sign(hearing=hearing, signed_by="陈主任", actor=supervisor)
    for comment in hearing.comments.all():
        services.comment_dispose(comment=comment, disposition="adopted", reason="",
                                 actor=supervisor)
    services.hearing_publish(hearing=hearing, actor=supervisor)
    activity = ConsultationActivity.objects.get(hearing=hearing)
    assert activity.kind == ActivityKind.HEARING
    assert activity.assessment == Assessment.objects.get(matter=hearing.matter)
    assert activity.participants == 2 and activity.held_on == timezone.localdate(
        hearing.starts_at)
    assert Comment.objects.filter(hearing=hearing).count() == 2  # nothing deleted


@pytest.mark.parametrize(("written", "published", "count"), [
    ("电话 0513-85123456 转人工", "电话 ********3456 转人工", 1),
    ("手机+86 139-1234-5678", "手机139****5678", 1),
    ("邮箱 Li.Lei+hearing@mail.example.cn", "邮箱 L***@mail.example.cn", 1),
    ("老身份证320602900101123", "老身份证320**********23", 1),
    # what is not personal data stays as written: dates, amounts, house numbers, prices
    ("2026-12-05 开会,每户分摊12000元,5幢301室,总价1234567.89元",
     "2026-12-05 开会,每户分摊12000元,5幢301室,总价1234567.89元", 0),
])
def test_the_published_masking_rule(written, published, count):
    from civicgrid.core.masking import mask_personal_data_counted

    assert mask_personal_data_counted(written) == (published, count)


def test_the_seed_source_is_published_with_the_notice(world):
    """The notice names where the seed will come from (a public draw after the close), so
    no one chooses it knowing the list; without it the notice is refused."""
    supervisor = staff(world)
    hearing = services.hearing_create(matter=make_matter(world), actor=supervisor,
                                      data=hearing_input(seed_source=""))
    services.hearing_set_passages(hearing=hearing, actor=supervisor,
                                  passages=[services.PassageInput(heading="", text="第一段")])
    services.hearing_set_quotas(hearing=hearing, actor=supervisor, seats={"resident": 2})
    with pytest.raises(RuleViolation, match="抽签种子的来源"):
        services.hearing_notice(hearing=hearing, actor=supervisor)
    hearing.refresh_from_db()
    assert hearing.status == HearingStatus.DRAFT
