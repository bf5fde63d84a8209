"""The PDF documents of a case: read back with pypdf (no database)."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from civicgrid.cases.documents import (
    COPIES_SENTENCE,
    EFFECTIVE_SENTENCE,
    JUDICIAL_CONFIRMATION_SENTENCE,
    MISSING_GLYPH,
    MediationAgreement,
    PartyInfo,
    RegistrationForm,
    chinese_date,
    chinese_number,
    render_mediation_agreement,
    render_registration_form,
    unsupported_characters,
)

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "documents"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FOOTER = re.compile(r"第(\d+)页共(\d+)页")
CJK_GAP = re.compile(r"[\u4e00-\u9fff，。；：、）] +[\u4e00-\u9fff，。；：、（]")

APPLICANT = PartyInfo(
    role="申请人", name="张秀英", sex="女", ethnicity="汉族", age=58, occupation="退休职工",
    phone="13912345678", address="江苏省南通市崇川区和平桥街道北濠东村12幢305室",
    id_number="320602196803151234",
)
RESPONDENT = PartyInfo(
    role="被申请人", name="阿卜杜拉·艾买提", sex="男", ethnicity="维吾尔族", age=41,
    occupation="个体工商户（餐饮）", phone="15851234567",
    address="江苏省南通市崇川区和平桥街道北濠东村12幢405室", id_number="65010219850101234X",
)
THIRD = PartyInfo(
    role="第三人", name="刘䶮", sex="男", ethnicity="汉族", age=None, occupation="",  # 䶮: Ext. A
    phone="0513-85551234", address="南通市崇川区物业管理有限公司 & <北濠东村> 项目部",
)

TERMS = [
    "被申请人于2026年11月30日前自行委托有资质的施工单位重做卫生间防水层，维修费用由被申请人承担。",
    "被申请人一次性赔偿申请人房屋损失人民币叁仟元整（¥3,000.00）。",
    "第三人协助做好施工期间的公共区域管理。",
    "各方就本纠纷再无其他争议。",
]


def agreement(**changes: object) -> MediationAgreement:
    base = MediationAgreement(
        number="崇川调协〔2026〕第0015号",
        committee="南通市崇川区和平桥街道人民调解委员会",
        case_number="CC-2026-000123",
        parties=[APPLICANT, RESPONDENT, THIRD],
        facts=(
            "2026年10月起，被申请人家中卫生间管道渗漏，导致申请人家卫生间顶棚及墙面多处霉变、脱落。"
            "申请人多次与被申请人协商未果，遂于2026年11月10日向本委员会申请调解。\n"
            "经现场查看，渗漏系被申请人卫生间防水层老化所致。"
        ),
        disputed_matters="渗漏维修责任及申请人房屋损失（约3,500元）的赔偿。",
        responsibilities="被申请人对渗漏负主要责任；申请人发现渗漏后未及时采取措施，对损失扩大负次要责任。",
        terms=TERMS,
        performance="第2项赔偿款于2026年11月25日前以银行转账方式支付至申请人指定账户。",
        mediators=["王建国", "李梅"],
        signed_on=date(2026, 11, 22),
        copies=4,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def registration(**changes: object) -> RegistrationForm:
    base = RegistrationForm(
        case_number="CC-2026-000123",
        title="矛盾纠纷受理登记表",
        registered_at=datetime(2026, 11, 10, 1, 30, tzinfo=UTC),  # 09:30 in Shanghai
        channel="群众来访",
        category="邻里纠纷",
        place="崇川区和平桥街道北濠东村12幢",
        happened_at=datetime(2026, 10, 15, 20, 0, tzinfo=SHANGHAI),
        description="申请人反映楼上住户卫生间漏水，导致其家中顶棚霉变，多次协商未果。\n请求调解。",
        parties=[
            replace(APPLICANT, phone="139****5678", id_number="3206**********1234"),
            replace(RESPONDENT, phone="158****4567", id_number="6501**********234X"),
        ],
        people_involved="<50",
        flags=["重大矛盾纠纷", "群体性"],
        accepted_by="王建国",
        handling_unit="和平桥街道人民调解委员会",
        notes="已告知当事人人民调解的程序与权利义务。",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    return PdfReader(io.BytesIO(pdf), strict=True)


def page_texts(reader: PdfReader) -> list[str]:
    """Each page's text, whitespace removed (Chinese wraps anywhere, Latin runs get spaces)."""
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def text(reader: PdfReader) -> str:
    return "".join(page_texts(reader))


def save(name: str, pdf: bytes) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / name).write_bytes(pdf)


def font_dicts(reader: PdfReader) -> list[DictionaryObject]:
    fonts: list[DictionaryObject] = []
    for page in reader.pages:
        resources = page.get("/Resources")
        assert resources is not None
        font_resources = resources.get_object().get("/Font")
        assert font_resources is not None
        fonts.extend(ref.get_object() for ref in font_resources.get_object().values())
    return fonts


def embedded_font_file(font: DictionaryObject) -> object | None:
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return None
    descriptor = descriptor.get_object()
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        if key in descriptor:
            return descriptor[key].get_object()
    return None


# ------------------------------------------------------------------ chinese_date


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 11, 22), "二〇二六年十一月二十二日"),
    (date(2026, 1, 1), "二〇二六年一月一日"),
    (date(2026, 1, 10), "二〇二六年一月十日"),
    (date(2025, 12, 20), "二〇二五年十二月二十日"),
    (date(2026, 4, 30), "二〇二六年四月三十日"),
    (date(2030, 1, 31), "二〇三〇年一月三十一日"),
    (date(2026, 10, 5), "二〇二六年十月五日"),
    (date(2000, 2, 19), "二〇〇〇年二月十九日"),
])
def test_chinese_date(day, expected):
    assert chinese_date(day) == expected


def test_chinese_date_takes_a_datetime_too():
    assert chinese_date(datetime(2026, 3, 8, 23, 59, tzinfo=SHANGHAI)) == "二〇二六年三月八日"


@pytest.mark.parametrize(("n", "expected"), [
    (1, "一"), (3, "三"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (99, "九十九"),
    (0, "0"), (100, "100"),
])
def test_chinese_number(n, expected):
    assert chinese_number(n) == expected


# -------------------------------------------------------------------- agreement


def test_agreement_is_a_valid_a4_pdf_with_the_required_text():
    pdf = render_mediation_agreement(agreement())
    save("mediation-agreement.pdf", pdf)
    reader = read(pdf)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    content = text(reader)

    assert "人民调解协议书" in content
    assert "崇川调协〔2026〕第0015号" in content
    assert "CC-2026-000123" in content
    assert "南通市崇川区和平桥街道人民调解委员会（印章）" in content
    for party in (APPLICANT, RESPONDENT, THIRD):
        assert party.name in content
        assert party.role in content
    # printed in full: the parties sign the agreement
    assert "13912345678" in content and "320602196803151234" in content
    assert "65010219850101234X" in content and "0513-85551234" in content
    assert "南通市崇川区物业管理有限公司&<北濠东村>项目部" in content  # escaped, not markup
    for section in ("纠纷主要事实", "争议事项", "当事人责任", "协议内容", "履行方式、期限"):
        assert section in content
    for number, term in enumerate(TERMS, start=1):
        assert f"{number}." + re.sub(r"\s+", "", term) in content
    assert EFFECTIVE_SENTENCE in content
    assert "本协议书一式四份，当事人各执一份，人民调解委员会留存一份。" in content
    assert COPIES_SENTENCE.format(copies="四") in content
    assert JUDICIAL_CONFIRMATION_SENTENCE in content
    assert "当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。" in content
    assert "王建国" in content and "李梅" in content
    assert content.count("人民调解员：") == 2
    assert content.count("签名（按指印）：") == 3
    assert "二〇二六年十一月二十二日" in content
    assert reader.metadata is not None
    assert reader.metadata.title == "人民调解协议书 崇川调协〔2026〕第0015号"


def test_copies_sentence_follows_the_number_of_parties():
    two = agreement(parties=[APPLICANT, RESPONDENT], copies=3)
    content = text(read(render_mediation_agreement(two)))
    assert "本协议书一式三份，当事人各执一份，人民调解委员会留存一份。" in content


@pytest.mark.parametrize("changes", [
    {"copies": 3},  # three parties need four copies
    {"parties": [APPLICANT], "copies": 2},
    {"terms": []},
    {"mediators": []},
])
def test_agreement_refuses_what_the_law_does_not_allow(changes):
    with pytest.raises(ValueError):
        render_mediation_agreement(agreement(**changes))


def assert_fonts_embedded(reader: PdfReader) -> None:
    fonts = font_dicts(reader)
    assert fonts
    unembedded = [str(f.get("/BaseFont")) for f in fonts if embedded_font_file(f) is None]
    assert unembedded == []
    names = {str(f.get("/BaseFont")) for f in fonts}
    assert any("DroidSansFallback" in name for name in names), names
    assert any("OpenSans" in name for name in names), names
    for font in fonts:
        font_file = embedded_font_file(font)
        assert font_file is not None
        assert len(font_file.get_data()) > 1000  # type: ignore[attr-defined]
        assert "+" in str(font.get("/BaseFont"))  # a subset, not the whole 4 MB font


def test_agreement_embeds_its_fonts():
    assert_fonts_embedded(read(render_mediation_agreement(agreement())))


def test_long_texts_flow_onto_numbered_pages():
    facts = "\n".join(
        f"第{i}次协商：申请人与被申请人就渗漏维修及赔偿问题进行协商，双方各执己见，未能达成一致意见。"
        "申请人认为被申请人应承担全部维修费用并赔偿精神损失；被申请人认为漏水系老化所致，"
        "应由物业公司负责。" for i in range(1, 61)
    )
    long_term = (
        "被申请人应当按照约定履行维修义务，" * 80
        + "逾期未履行的，申请人可以依法申请司法确认后强制执行。"
    )
    pdf = render_mediation_agreement(agreement(facts=facts, terms=[*TERMS, long_term]))
    save("mediation-agreement-long.pdf", pdf)
    reader = read(pdf)
    pages = page_texts(reader)
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页共{len(pages)}页" in page
        assert len(FOOTER.findall(page)) == 1
    content = "".join(pages)
    assert "第60次协商" in content
    assert "逾期未履行的，申请人可以依法申请司法确认后强制执行。" in content
    assert "二〇二六年十一月二十二日" in pages[-1]
    assert "当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。" in pages[-1]
    assert_fonts_embedded(reader)
    # A paragraph split across pages goes on without gaps (reportlab would put a space
    # at each former line end of the part carried over).
    gaps = [line for page in reader.pages for line in page.extract_text().splitlines()
            if CJK_GAP.search(line) and not FOOTER.search(re.sub(r"\s+", "", line))]
    assert gaps == []


def test_characters_the_fonts_lack_print_as_the_missing_mark():
    name = "王\U00020000明"  # 𠀀, CJK Extension B: in neither vendored font
    assert unsupported_characters(f"{name}（维吾尔族）·刘䶮 Zhang-3 \u200b") == "\U00020000"
    parties = [replace(APPLICANT, name=name), replace(RESPONDENT, name="阿卜杜拉\u200b·艾买提")]
    content = text(read(render_mediation_agreement(agreement(parties=parties, copies=3))))
    assert f"王{MISSING_GLYPH}明" in content
    assert "阿卜杜拉·艾买提" in content  # the zero-width space is dropped


def test_a_very_long_title_wraps():
    title = "矛盾纠纷多元化解受理登记表" * 6
    content = text(read(render_registration_form(registration(title=title))))
    assert title in content


def test_single_page_footer():
    pdf = render_mediation_agreement(agreement(parties=[APPLICANT, RESPONDENT], copies=3,
                                               facts="简短事实。", terms=["一项。"]))
    pages = page_texts(read(pdf))
    assert FOOTER.findall(pages[-1]) == [(str(len(pages)), str(len(pages)))]


# ------------------------------------------------------------------ registration


def test_registration_form():
    pdf = render_registration_form(registration())
    save("registration-form.pdf", pdf)
    reader = read(pdf)
    content = text(reader)
    assert "矛盾纠纷受理登记表" in content
    assert "CC-2026-000123" in content
    # masked values are printed as passed; the full ones never reach the function
    for masked in ("139****5678", "3206**********1234", "158****4567", "6501**********234X"):
        assert masked in content
    assert "13912345678" not in content
    assert "涉及人数<50" in content
    assert "重大矛盾纠纷、群体性" in content
    assert "群众来访" in content and "邻里纠纷" in content
    assert "崇川区和平桥街道北濠东村12幢" in content
    assert "2026年11月10日09:30" in content  # registered 01:30 UTC, printed in Shanghai time
    assert "2026年10月15日20:00" in content
    assert "申请人反映楼上住户卫生间漏水" in content and "请求调解。" in content
    assert "张秀英" in content and "阿卜杜拉·艾买提" in content
    assert "受理人：王建国" in content
    assert "受理时间：2026年11月10日09:30" in content
    assert "和平桥街道人民调解委员会" in content
    assert "已告知当事人人民调解的程序与权利义务。" in content
    assert FOOTER.findall(content) == [("1", "1")]
    assert_fonts_embedded(reader)


def test_registration_form_takes_translated_flag_labels():
    """Labels of model choices are lazy translations (a supervised case's 督办 level was one
    and made every supervised case's form answer 500)."""
    flags = [gettext_lazy("重大矛盾纠纷"), gettext_lazy("红牌督办(挂牌督办)")]
    content = text(read(render_registration_form(registration(flags=flags))))
    assert "重大矛盾纠纷、红牌督办" in content


def test_registration_form_with_a_long_description_and_no_flags():
    description = "\n".join(
        f"第{i}段：" + "群众反映小区内噪声扰民问题，" * 30 for i in range(1, 16)
    )
    description += "\n" + "一段没有换行的很长的描述，" * 400
    pdf = render_registration_form(registration(
        description=description, flags=[], happened_at=None, notes="",
        registered_at=datetime(2026, 1, 2, 8, 5),  # noqa: DTZ001 - naive: printed as it is
    ))
    save("registration-form-long.pdf", pdf)
    reader = read(pdf)
    pages = page_texts(reader)
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页共{len(pages)}页" in page
    content = "".join(pages)
    assert "纠纷标记无" in content
    assert "2026年1月2日08:05" in content
    assert "第15段" in content
    assert "受理人：王建国" in pages[-1]


def test_same_documents_render_again():
    first = text(read(render_mediation_agreement(agreement())))
    second = text(read(render_mediation_agreement(agreement())))
    assert first == second
