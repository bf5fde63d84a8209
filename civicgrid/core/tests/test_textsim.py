"""Similar-description detection (jieba, offline)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from civicgrid.core import textsim
from civicgrid.core.textsim import similarity, tokens, top_similar

NOISE = "小区楼上住户深夜装修噪音扰民,多次协商无果"
NOISE_AGAIN = "楼上邻居深夜装修,噪音扰民,协商没有结果"
WAGES = "公司拖欠工人三个月工资,老板拒不支付劳动报酬"
WAGES_AGAIN = "老板拖欠三个月工资不发,工人要求支付劳动报酬"
PARKING = "小区地下车库车位被长期占用,物业不管"


# Tokens


def test_the_dictionary_loads_and_cuts_words():
    words = tokens("人民调解委员会调解邻里纠纷")
    assert "调解" in words
    assert "纠纷" in words


def test_tokens_drop_punctuation_spaces_stopwords_and_numbers():
    words = tokens("他 在 2024 年 3 月 的 时候,说:“装修 噪音!!” ")
    assert "装修" in words and "噪音" in words
    for dropped in ["他", "在", "的", "说", "2024", "3", ",", ":", "“", "!", " ", ""]:
        assert dropped not in words


def test_tokens_are_lower_case_and_full_width_is_folded():
    assert "wifi" in tokens("小区WiFi信号差")
    assert "wifi" in tokens("小区ＷｉＦｉ信号差")


@pytest.mark.parametrize("text", ["", "   ", ",。!?", "123 456", "的了在是"])
def test_tokens_of_nothing_meaningful(text):
    assert tokens(text) == []


# Similarity


def test_near_identical_complaints_are_similar():
    assert similarity(NOISE, NOISE_AGAIN) > 0.35
    assert similarity(WAGES, WAGES_AGAIN) > 0.35


def test_unrelated_complaints_are_not():
    assert similarity(WAGES, NOISE) < 0.2
    assert similarity(WAGES_AGAIN, NOISE_AGAIN) < 0.2
    assert similarity(PARKING, WAGES) < 0.2


def test_identical_texts_score_exactly_1():
    assert similarity(NOISE, NOISE) == 1.0
    assert similarity(NOISE, NOISE + "。") == 1.0


def test_similarity_is_symmetric_and_bounded():
    for a, b in [(NOISE, NOISE_AGAIN), (NOISE, PARKING), (WAGES, WAGES_AGAIN)]:
        assert similarity(a, b) == pytest.approx(similarity(b, a))
        assert 0.0 <= similarity(a, b) <= 1.0


@pytest.mark.parametrize("a, b", [("", ""), ("", NOISE), (NOISE, ""), ("的", NOISE), ("!!", "??")])
def test_empty_scores_0(a, b):
    assert similarity(a, b) == 0.0


# Top similar


CANDIDATES = [
    (1, PARKING),
    (2, NOISE_AGAIN),
    (3, WAGES),
    (4, NOISE),
    (5, "楼上装修噪音"),
    (6, ""),
]


def test_top_similar_best_first_above_the_threshold():
    hits = top_similar(NOISE, CANDIDATES)
    keys = [key for key, _score in hits]
    assert keys[0] == 4  # the identical text
    assert hits[0][1] == 1.0
    assert set(keys) == {2, 4, 5}
    scores = [score for _key, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(score >= 0.35 for score in scores)


def test_top_similar_limit_and_threshold():
    assert [key for key, _ in top_similar(NOISE, CANDIDATES, limit=1)] == [4]
    assert len(top_similar(NOISE, CANDIDATES, limit=2)) == 2
    assert top_similar(NOISE, CANDIDATES, limit=0) == []
    assert [key for key, _ in top_similar(NOISE, CANDIDATES, threshold=0.99)] == [4]
    everything = top_similar(NOISE, CANDIDATES, threshold=0.0, limit=10)
    assert {key for key, _ in everything} == {1, 2, 4, 5}  # 1 shares 小区 with NOISE
    assert 3 not in dict(everything)  # unrelated: a score of 0 is never a hit
    assert 6 not in dict(everything)  # empty


def test_top_similar_ties_keep_the_candidates_order():
    hits = top_similar(NOISE, [("b", NOISE), ("a", NOISE), ("c", NOISE)])
    assert hits == [("b", 1.0), ("a", 1.0), ("c", 1.0)]


def test_top_similar_of_an_empty_text_or_no_candidates():
    assert top_similar("", CANDIDATES) == []
    assert top_similar(NOISE, []) == []


def test_top_similar_takes_any_iterable_and_key():
    pairs = ((f"case-{n}", text) for n, text in enumerate([WAGES, NOISE_AGAIN]))
    assert [key for key, _ in top_similar(NOISE, pairs)] == ["case-1"]


# Offline, quiet, nothing written


def test_building_the_dictionary_uses_no_network_and_writes_no_file(
    monkeypatch, tmp_path
):
    import tempfile

    import jieba

    def no_network(*args, **kwargs):
        raise AssertionError("jieba tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tokenizer = jieba.Tokenizer()
    textsim._initialize(tokenizer)
    assert tokenizer.initialized
    assert "调解" in tokenizer.lcut_for_search("人民调解委员会调解邻里纠纷")
    assert list(tmp_path.iterdir()) == []


def test_first_tokenization_in_a_fresh_process_is_quiet_and_writes_nothing(tmp_path):
    """jieba would print "Building prefix dict ..." to stderr and write jieba.cache to the
    temp dir; neither happens, and a home that does not exist doesn't matter."""
    root = Path(__file__).resolve().parents[3]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(root),
        "HOME": str(tmp_path / "no-home"),
        "TMPDIR": str(tmp_path),
    }
    code = (
        "from civicgrid.core.textsim import tokens;"
        "print(' '.join(tokens('人民调解委员会调解邻里纠纷')))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "纠纷" in result.stdout.split()
    assert list(tmp_path.iterdir()) == []
