"""The public consultation pages (/consult/…), without sign-in: nothing of a draft leaks,
personal data is masked, the draw can be checked from the published list and seed, the
portal's protections (limits, honeypot, lengths, text that cannot be stored)."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.risk.models import Comment, Hearing, HearingStatus, Registration
from civicgrid.risk.services import hearings as services
from civicgrid.risk.tests.test_hearings import (
    SEED,
    hearing_day,
    hearing_input,
    make_matter,
    noticed_hearing,
    pass_deadline,
    register,
    staff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def public():
    return Client(REMOTE_ADDR="203.0.113.7")


def draft_hearing(world) -> Hearing:
    return services.hearing_create(matter=make_matter(world), actor=staff(world),
                                   data=hearing_input(title="尚未公告的听证会"))


def registration_post(phone="13900001111", **changes) -> dict:
    data = {"group": "resident", "name": "刘德华", "phone": phone, "position": "oppose",
            "wants_to_speak": "on", "affiliation": "桃坞新村", "statement": "", "website": ""}
    data.update(changes)
    return data


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'(name="csrf-token" content|name="csrfmiddlewaretoken" value|name="next" '
                  rb'value)="[^"]+"', rb"\1=''", content)


def test_the_home_lists_noticed_and_published_hearings_only(public, world):
    draft_hearing(world)
    noticed = noticed_hearing(world)
    url = reverse("consult:home")
    with CaptureQueriesContext(connection) as one:
        html = public.get(url).content.decode()
    assert "尚未公告的听证会" not in html
    assert reverse("consult:hearing", args=[noticed.pk]) in html
    for _i in range(3):
        hearing = noticed_hearing(world)
        register(hearing, 1)
        services.comment_submit(passage=hearing.passages.first(), text="意见", actor=None)
    with CaptureQueriesContext(connection) as four:
        html = public.get(url).content.decode()
    assert len(four) == len(one)
    assert html.count('data-testid="consult-hearing"') == 4


def test_a_draft_answers_like_a_missing_hearing(public, world):
    hearing = draft_hearing(world)
    for name in ("hearing", "register", "comment", "list"):
        missing = public.get(reverse(f"consult:{name}", args=[999999]))
        draft = public.get(reverse(f"consult:{name}", args=[hearing.pk]))
        assert missing.status_code == draft.status_code == 404, name
        assert _without_csrf(missing.content) == _without_csrf(draft.content)
    response = public.post(reverse("consult:register", args=[hearing.pk]), registration_post())
    assert response.status_code == 404 and not Registration.objects.exists()


def test_the_notice_the_draft_and_the_forms(public, world):
    hearing = noticed_hearing(world)
    response = public.get(reverse("consult:hearing", args=[hearing.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert "桃坞社区党群服务中心二楼会议室" in html and "二、陈述意见" in html
    assert html.count('data-testid="passage"') == 3
    assert "加装费用由业主按楼层系数分摊" in html
    assert html.count('data-testid="comment-form"') == 3
    assert 'data-testid="register-form"' in html
    assert "报名截止次日福彩3D开奖号码" in html  # where the seed will come from, in advance
    quota = re.search(r'data-testid="quota-table">(.*?)</table>', html, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td><td>(\d+)</td><td>(\d+)</td>", quota) == [
        ("居民代表", "3", "0"), ("利害关系人", "2", "0"), ("专家学者", "1", "0")]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_a_resident_registers_and_gets_a_number(public, world):
    hearing = noticed_hearing(world)
    url = reverse("consult:register", args=[hearing.pk])
    response = public.post(url, registration_post())
    assert response.status_code == 302
    assert response["Location"].endswith("?registered=1#register")
    registration = Registration.objects.get(hearing=hearing)
    assert (registration.name, registration.source, registration.position) == (
        "刘德华", "online", "oppose")
    html = public.get(reverse("consult:hearing", args=[hearing.pk]) + "?registered=1").content \
        .decode()
    assert "您的报名序号是 1 号" in html and "13900001111" not in html
    again = public.post(url, registration_post(phone="139 0000 1111", name="另一人"))
    assert again.status_code == 400 and "该电话号码已报名本次听证会" in again.content.decode()
    wrong = public.post(url, registration_post(phone="123", group="deputy"))
    text = wrong.content.decode()
    assert wrong.status_code == 400 and "请选择本次听证设有名额的类别" in text
    assert Registration.objects.filter(hearing=hearing).count() == 1


def test_bots_and_floods_are_refused(public, world, settings):
    hearing = noticed_hearing(world)
    url = reverse("consult:register", args=[hearing.pk])
    bot = public.post(url, registration_post(website="http://spam.example"))
    assert bot.status_code == 400 and not Registration.objects.exists()
    settings.CONSULT_REGISTER_LIMIT = 2
    public.post(url, registration_post(phone="13900002222"))  # the 2nd attempt: allowed
    flooded = public.post(url, registration_post(phone="13900003333"))
    assert flooded.status_code == 429 and "过于频繁" in flooded.content.decode()
    assert Registration.objects.count() == 1
    other = Client(REMOTE_ADDR="198.51.100.9")  # another network is not held back
    assert other.post(url, registration_post(phone="13900004444")).status_code == 302


def test_a_comment_is_published_masked_with_the_rule_and_the_count(public, world):
    hearing = noticed_hearing(world)
    passage = hearing.passages.get(number=2)
    url = reverse("consult:comment", args=[hearing.pk])
    response = public.post(url, {"passage": passage.pk, "author": "王小明", "website": "",
                                 "text": "一层不应分摊,有事打我电话 138 1234 5678。"})
    assert response.status_code == 302 and "commented=1" in response["Location"]
    public.post(url, {"passage": passage.pk, "text": "支持加装", "website": ""})
    html = public.get(reverse("consult:hearing", args=[hearing.pk])).content.decode()
    assert "138****5678" in html and "1234 5678" not in html and "王小明" not in html
    assert "王**" in html
    assert "共收到意见 2 条,其中 1 条按公布的规则遮蔽了个人信息" in html
    assert "手机号、固定电话、身份证号码和电子邮箱地址" in html
    assert 'data-testid="public-disposition"' not in html  # published with the minutes


def test_a_comment_too_long_or_unstorable_is_refused_and_not_kept(public, world):
    hearing = noticed_hearing(world)
    passage = hearing.passages.first()
    url = reverse("consult:comment", args=[hearing.pk])
    long = public.post(url, {"passage": passage.pk, "text": "长" * 2001, "website": ""})
    assert long.status_code == 400
    assert "最多2000个字,现有2001个字" in long.content.decode()
    nul = public.post(url, {"passage": passage.pk, "text": "坏\x00字", "website": ""})
    assert nul.status_code == 400
    foreign = public.post(url, {"passage": 999999, "text": "意见", "website": ""})
    assert foreign.status_code == 400 and "请选择要提意见的草案段落" in foreign.content.decode()
    assert not Comment.objects.exists()


def test_the_draw_result_can_be_checked_from_the_published_list_and_seed(public, world):
    hearing = noticed_hearing(world, seats={"resident": 2, "expert": 1})
    for i, group in enumerate(["resident"] * 5 + ["expert"], start=1):
        register(hearing, i, group=group, name=f"张{i}号")
    page = reverse("consult:hearing", args=[hearing.pk])
    assert public.get(reverse("consult:list", args=[hearing.pk])).status_code == 302
    pass_deadline(hearing)
    services.registration_close(hearing=hearing, actor=staff(world))
    html = public.get(page).content.decode()
    digest = re.search(r'data-testid="public-digest">([0-9a-f]{64})<', html).group(1)
    listed = public.get(reverse("consult:list", args=[hearing.pk]))
    assert listed["Content-Type"].startswith("text/plain")
    text = listed.content.decode()
    assert hashlib.sha256(text.encode()).hexdigest() == digest
    assert "张" not in text and "139" not in text  # no personal data in the list
    services.hearing_draw(hearing=hearing, seed=SEED, actor=staff(world))
    html = public.get(page).content.decode()
    assert f'data-testid="public-seed">{SEED}<' in html
    shown = dict(re.findall(r'data-number="(\d+)" data-status="(\w+)"', html))
    # anyone's check: the list and the seed, the published rule
    rows = [line.split(",") for line in text.splitlines()]
    expected = {}
    for group, seats in (("resident", 2), ("expert", 1)):
        ranked = sorted((int(r[0]) for r in rows if r[1] == group),
                        key=lambda n: hashlib.sha256(f"{SEED}:{n}".encode()).hexdigest())
        for index, number in enumerate(ranked):
            expected[str(number)] = "selected" if index < seats else "waitlisted"
    assert shown == expected
    assert "张*" in html and "张1号" not in html


def test_after_publication_the_minutes_and_every_disposition(public, world):
    hearing = noticed_hearing(world)
    comment = services.comment_submit(passage=hearing.passages.first(), text="范围太窄",
                                      actor=None)
    register(hearing, 1)
    pass_deadline(hearing)
    actor = staff(world)
    services.registration_close(hearing=hearing, actor=actor)
    services.hearing_draw(hearing=hearing, seed=SEED, actor=actor)
    hearing_day(hearing)
    services.hearing_held(hearing=hearing, chair="陈主任", minutes="九时开会,十一时结束。",
                          actor=actor)
    services.minutes_sign(hearing=hearing, signed_by="陈主任", actor=actor)
    services.comment_dispose(comment=comment, disposition="not_adopted",
                             reason="13幢不具备加装条件", actor=actor)
    page = reverse("consult:hearing", args=[hearing.pk])
    assert "九时开会" not in public.get(page).content.decode()
    services.hearing_publish(hearing=hearing, actor=actor)
    html = public.get(page).content.decode()
    assert "九时开会,十一时结束。" in html and "陈主任" in html
    disposition = re.search(r'data-testid="public-disposition">(.*?)</div>', html, re.S)
    assert "未采纳" in disposition.group(1) and "13幢不具备加装条件" in disposition.group(1)
    assert Hearing.objects.get(pk=hearing.pk).status == HearingStatus.PUBLISHED
    home = public.get(reverse("consult:home")).content.decode()
    assert 'data-testid="consult-published"' in home
