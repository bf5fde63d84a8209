"""Similar-description detection for duplicate suggestions.

Texts are cut into words with jieba (search mode, so 调解委员会 also yields 调解 and
委员会), filtered, and compared as word-count vectors by cosine similarity.

jieba works offline: its dictionary ships inside the package, and nothing here downloads.
It is loaded lazily, on the first tokenization, which takes about a second (importing
jieba and building its prefix dictionary); call `warm_up()` when a worker starts to keep
that off a request. The dictionary is built in memory without jieba's cache file (see
`_initialize`), so nothing is written to disk and a read-only home or temp dir works.
jieba's DEBUG chatter on stderr ("Building prefix dict ...") is silenced.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterable
from types import ModuleType
from typing import Any, TypeVar

K = TypeVar("K")

# Single-character words that carry no meaning for comparing descriptions.
STOPWORDS = frozenset(
    "的了着过在是和与及或等有我你他她它们这那也就都"
    "而被把给对从向于之其个只又很还要会能说到去来上"
    "下不没人吗呢吧啊呀得地所以但并则即为因如若让使"
    "将已再才此该某"
)

_lock = threading.Lock()
_jieba: ModuleType | None = None


def _initialize(tokenizer: Any) -> None:
    """Build a jieba tokenizer's prefix dictionary in memory.

    jieba's own `initialize()` also reads and writes a 9 MB cache file (marshal) in the
    shared temp dir: loading it takes as long here as building the dictionary (~0.6 s),
    writing it fails on a read-only file system, and a file in a shared directory could
    be planted by another user. So the cache is skipped.
    """
    with tokenizer.lock:
        if not tokenizer.initialized:
            tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
            tokenizer.initialized = True


def _load() -> ModuleType:
    global _jieba
    if _jieba is not None:
        return _jieba
    with _lock:
        if _jieba is None:
            with warnings.catch_warnings():
                # jieba 0.42 has regexes with invalid escapes (a backslash-dot) in plain strings.
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", SyntaxWarning)
                import jieba
            jieba.setLogLevel(logging.WARNING)
            _initialize(jieba.dt)
            _jieba = jieba
    return _jieba


def warm_up() -> None:
    """Load jieba's dictionary now (it otherwise loads on the first tokenization)."""
    _load()


def _keep(token: str) -> bool:
    if not token or token in STOPWORDS or token.isdigit():
        return False
    # Punctuation, symbols, whitespace and control characters only.
    return not all(unicodedata.category(c)[0] in "PSZC" for c in token)


def tokens(text: str) -> list[str]:
    """The meaningful words of a text, lower-cased, in order, repeats kept."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    if not text.strip():
        return []
    jieba = _load()
    return [t for t in (w.strip() for w in jieba.lcut_for_search(text)) if _keep(t)]


def _cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(count * b[word] for word, count in a.items())
    norms = sum(c * c for c in a.values()) * sum(c * c for c in b.values())
    return max(0.0, min(1.0, dot / math.sqrt(norms)))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of the two texts' word counts, in [0, 1]; 0 if either has no
    words."""
    return _cosine(Counter(tokens(a)), Counter(tokens(b)))


def top_similar(
    text: str,
    candidates: Iterable[tuple[K, str]],
    *,
    threshold: float = 0.35,
    limit: int = 5,
) -> list[tuple[K, float]]:
    """The candidates (key, text) whose similarity to `text` is at least `threshold`,
    best first (ties keep the candidates' order), at most `limit` of them."""
    if limit <= 0:
        return []
    query = Counter(tokens(text))
    if not query:
        return []
    scored = [(key, _cosine(query, Counter(tokens(other)))) for key, other in candidates]
    hits = [(key, score) for key, score in scored if score >= threshold and score > 0]
    hits.sort(key=lambda hit: hit[1], reverse=True)
    return hits[:limit]
