"""Multilingual polarity lexicon with negation handling: AFINN (en, da, shipped by the afinn package) plus small
hand-written seed lists for sv, no, de, nl, fr, es and extra da/en social-media words."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from rapport.listening.nlp.textclean import join_lines

# Seed words: stems are matched as prefixes (marked with a trailing '*'), so inflections are covered.
_SEED_POS = {
    "en": "thanks* thank* great love* amazing awesome excellent perfect* happy impressed brilliant helpful* fantastic "
    "recommend* best superb delicious smooth* friendly wonderful lovely cheers kudos appreciate* nice fast quick* "
    "props heavenly glad",
    "da": "tak fantastisk* super dejlig* glad* lækker* perfekt* anbefal* bedst* god godt gode ros hurtig* skøn* "
    "fremragende venlig* sød* søde elsker* fedt flot* tilfreds* smuk*",
    "sv": "tack fantastisk* super härlig* glad* god gott goda perfekt* rekommender* bäst* trevlig* snabb* underbar* "
    "utmärkt* älskar* nöjd* toppen bra jättebra grym* fin* smidig*",
    "no": "takk fantastisk* super herlig* glad* god godt gode perfekt* anbefal* best* hyggelig* rask* nydelig* "
    "utmerket* elsker* fornøyd* topp bra kjempebra kjempegod* flott* fin*",
    "de": "danke* toll* super lecker* perfekt* empfehl* beste* gut* freundlich* schnell* wunderbar* hervorragend* "
    "liebe* glücklich* zufrieden* klasse prima lob* spitze schön* genial*",
    "nl": "bedankt dank* geweldig* super heerlijk* perfect* aanrader* beste goed* vriendelijk* snel* blij* "
    "uitstekend* fijn* top tevreden* mooi* compliment* fantastisch*",
    "fr": "merci super génial* parfait* délicieu* recommand* meilleur* bien bon bonne sympa* rapide* content* "
    "merveill* excellent* formidable* bravo top ravi* heureu* adore*",
    "es": "gracias genial* perfect* buenísim* recomiend* mejor* bien buen* amable* rápid* content* maravill* "
    "excelente* estupend* encant* feliz enhorabuena fantástic* increíble*",
}
_SEED_NEG = {
    "en": "worst terrible awful horrible delayed delay* cancel* lost rude broken crash* refund* stuck waiting "
    "hold ridiculous disappoint* fail* never useless unacceptable charged annoyed nowhere declined error issue* "
    "problem* late complain* hate* sucks",
    "da": "elendig* dårlig* forsinke* skuffe* uhøflig* værst* ødelagt* rod aflys* annuller* forsvund* fejl* "
    "problem* klage* træt* ventet venter kold* sur* frustrer* irriter* langsom* aldrig",
    "sv": "dålig* sämst* värst* försen* besvik* otrevlig* trasig* sönder kaos inställ* avbr* försvun* fel "
    "problem* klag* trött* väntat väntar kall* sur* frustrer* irriter* långsam* aldrig kraschar",
    "no": "elendig* dårlig* verst* forsinke* skuffe* frekk* ødelagt* rot kansell* forsvant* feil* problem* "
    "klage* lei ventet venter kald* sur* frustrer* irriter* treg* aldri",
    "de": "schlecht* schlimm* verspät* enttäusch* unfreundlich* kaputt* chaos storn* verlor* fehler* problem* "
    "beschwer* genug warte* kalt* sauer* ärger* langsam* nie niemals abgestürzt stürzt ärgerlich",
    "nl": "slecht* slechtste vertraag* vertraging teleurgesteld* onvriendelijk* kapot* chaos geannuleerd* kwijt* "
    "fout* probleem* klacht* zat wacht* koud* boos* irritant* traag* nooit crasht storing",
    "fr": "pire nul* mauvais* retard* déçu* désagréable* abîm* cassé* bazar annul* perdu* erreur* problème* "
    "plainte* marre attend* froid* énervé* inadmissible lent* jamais plante",
    "es": "peor* mal malo* mala* retraso* decepcion* maleducad* roto* desastre cancel* perd* error* problema* "
    "queja* harto* harta* esper* frí* enfadad* inaceptable lent* nunca fatal",
}
NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "don't",
        "dont",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "aren't",
        "can't",
        "cannot",
        "won't",
        "n't",
        "without",
        "ikke",
        "ikkje",
        "aldrig",
        "inte",
        "ej",
        "icke",
        "nicht",
        "kein",
        "keine",
        "keinen",
        "nie",
        "niet",
        "geen",
        "nooit",
        "pas",
        "ne",
        "jamais",
        "sin",
        "nada",
        "ni",
    ]
)
_EMOJI_POS = "😊🙌👍😍❤♥😀😃😄😁🥰😘👏🎉💯✨🙏☺🤩💕💖"
_EMOJI_NEG = "😡😤👎😠😢😭😞😩😫🤬💩😒🙄😔😣😖😕"
_AFINN_FILES = {"en": "AFINN-en-165.txt", "da": "AFINN-da-32.txt"}
# Seed words count like AFINN +-2 (scaled): clearly polar but not extreme.
_SEED_WEIGHT = 0.4
_NEGATION_WINDOW = 3


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Exact-word valences and prefix valences, valence in [-1, 1]."""
    exact: dict[str, float] = {}
    prefixes: list[tuple[str, float]] = []
    try:
        import afinn

        data_dir = Path(afinn.__file__).parent / "data"
        for name in _AFINN_FILES.values():
            for line in (data_dir / name).read_text(encoding="utf-8").splitlines():
                word, _, val = line.rpartition("\t")
                if word and " " not in word:
                    exact.setdefault(word, int(val) / 5.0)
    except (ImportError, OSError):  # pragma: no cover - afinn is a declared dependency
        pass
    for table, sign in ((_SEED_POS, 1.0), (_SEED_NEG, -1.0)):
        for words in table.values():
            for w in words.split():
                if w.endswith("*"):
                    prefixes.append((w[:-1], sign * _SEED_WEIGHT))
                else:
                    exact[w] = sign * _SEED_WEIGHT
    for ch in _EMOJI_POS:
        exact[ch] = 0.6
    for ch in _EMOJI_NEG:
        exact[ch] = -0.6
    return exact, sorted(prefixes, key=lambda p: -len(p[0]))


@lru_cache(maxsize=1)
def _prefix_index() -> tuple[dict[str, float], tuple[int, ...]]:
    """The prefix valences by prefix, and the prefix lengths longest first: the first hit is the longest prefix."""
    by_prefix: dict[str, float] = {}
    for pre, val in _tables()[1]:
        by_prefix.setdefault(pre, val)  # the first of equal prefixes wins, as in the sorted list
    return by_prefix, tuple(sorted({len(p) for p in by_prefix}, reverse=True))


def _valence(token: str) -> float:
    exact = _tables()[0]
    if token in exact:
        return exact[token]
    by_prefix, lengths = _prefix_index()
    size = len(token)
    for n in lengths:
        if n <= size and (val := by_prefix.get(token[:n])) is not None:
            return val
    return 0.0


@lru_cache(maxsize=1)
def _vader_tables() -> tuple[dict[str, float], frozenset[str], dict[str, float]]:
    """VADER's lexicon (valence / 4, in [-1, 1]), negators and boosters, from the pinned vaderSentiment package."""
    import vaderSentiment.vaderSentiment as vs

    valence: dict[str, float] = {}
    path = Path(vs.__file__).parent / "vader_lexicon.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and " " not in parts[0]:
            valence[parts[0].lower()] = float(parts[1]) / 4.0
    boosters = {w: (1.0 if v > 0 else -1.0) for w, v in vs.BOOSTER_DICT.items() if " " not in w}
    return valence, frozenset(vs.NEGATE) | NEGATORS, boosters


class _TokenTable:
    """Token -> integer code, with per-code valence and negator/break flags, so a batch is looked up in one map.

    Grows as new tokens are seen; replaced by an empty table past MAX_TOKENS so memory stays bounded.
    """

    MAX_TOKENS = 200_000

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.valence = np.zeros(1024, dtype=np.float64)
        self.negator = np.zeros(1024, dtype=bool)
        self.is_break = np.zeros(1024, dtype=bool)
        self.vader = np.zeros(1024, dtype=np.float64)
        self.vader_negator = np.zeros(1024, dtype=bool)
        self.booster = np.zeros(1024, dtype=np.float64)
        self.is_but = np.zeros(1024, dtype=bool)

    def add(self, tokens: set[str]) -> None:
        """Give codes to tokens not seen before (callers hold _table_lock)."""
        start = len(self.codes)
        need = start + len(tokens)
        if need > self.valence.size:
            size = max(need, 2 * self.valence.size)
            self.valence = np.resize(self.valence, size)
            self.negator = np.resize(self.negator, size)
            self.is_break = np.resize(self.is_break, size)
            self.vader = np.resize(self.vader, size)
            self.vader_negator = np.resize(self.vader_negator, size)
            self.booster = np.resize(self.booster, size)
            self.is_but = np.resize(self.is_but, size)
        vader, vader_negators, boosters = _vader_tables()
        for code, token in enumerate(sorted(tokens), start):
            self.valence[code] = _valence(token)
            self.negator[code] = token in NEGATORS
            self.is_break[code] = token == "\n"
            self.vader[code] = vader.get(token, 0.0)
            self.vader_negator[code] = token in vader_negators
            self.booster[code] = boosters.get(token, 0.0)
            self.is_but[code] = token == "but"
            self.codes[token] = code


_table = _TokenTable()
_table_lock = threading.Lock()


def _codes(tokens: list[str]) -> tuple[_TokenTable, np.ndarray]:
    global _table
    table = _table
    new = set(tokens).difference(table.codes)
    if new:
        with _table_lock:
            if len(_table.codes) + len(new) > _TokenTable.MAX_TOKENS:
                _table = _TokenTable()
            table = _table
            new = set(tokens).difference(table.codes)
            if new:
                table.add(new)
    return table, np.fromiter(map(table.codes.__getitem__, tokens), dtype=np.int64, count=len(tokens))


N_FEATURES = 5
# Possessive quantifiers: a run of letters never gives letters back, which spares the regex engine retries.
_TOKEN_OR_BREAK = re.compile("\n|[^\\W\\d_]++(?:'[^\\W\\d_]++)?+|[" + _EMOJI_POS + _EMOJI_NEG + "]")


def lexicon_features(texts: list[str]) -> np.ndarray:
    """Per text: [positive sum, negative sum, net score in [-1,1], negated polar words, has polar word].

    Texts should be lower-cased. The whole batch is tokenised in one regex pass and its tokens mapped to table
    codes in one pass; negation windows and per-text sums are computed with numpy over the flat token array.
    """
    tokens = _TOKEN_OR_BREAK.findall(join_lines(texts))
    table, codes = _codes(tokens)
    rows = np.cumsum(table.is_break[codes])
    same_row = [rows[k:] == rows[:-k] for k in range(1, _NEGATION_WINDOW + 1)]
    return _afinn_columns(table, codes, rows, same_row, len(texts))


def _afinn_columns(table, codes: np.ndarray, rows: np.ndarray, same_row: list[np.ndarray], n: int) -> np.ndarray:
    """lexicon_features' five columns from a batch's token codes, their text (row) numbers, and for each distance
    k within the negation window whether the token k places back is of the same text."""
    values = table.valence[codes]
    is_neg = table.negator[codes]
    # A token is negated if a negator of the same text stands within the window before it.
    negated = np.zeros(codes.size, dtype=bool)
    for k in range(1, _NEGATION_WINDOW + 1):
        negated[k:] |= is_neg[:-k] & same_row[k - 1]
    negated &= (values != 0) & ~is_neg
    # "not bad" is mildly positive, "ikke godt" clearly negative: negation flips and damps.
    values = np.where(negated, -0.8 * values, values)
    values[is_neg] = 0.0
    pos = np.bincount(rows, weights=np.clip(values, 0, None), minlength=n)[:n]
    neg = np.bincount(rows, weights=np.clip(-values, 0, None), minlength=n)[:n]
    flips = np.bincount(rows, weights=negated.astype(np.float64), minlength=n)[:n]
    return np.column_stack([pos, neg, np.tanh(pos - neg), flips, ((pos + neg) > 0).astype(np.float64)])


# The polarity tokens also take the common emoticons (":)", ":(", ";-)", ":/", "<3") that VADER's lexicon rates.
_POLAR_TOKENS = re.compile(
    "\n|[^\\W\\d_]++(?:'[^\\W\\d_]++)?+|[" + _EMOJI_POS + _EMOJI_NEG + "]|[:;=][-']?[()\\[\\]dpo/|*]|<3"
)
N_POLARITY_FEATURES = N_FEATURES + 6
# VADER's rules: a negator within three words before flips a rated word (times -0.74), a booster just before
# strengthens it, and after "but" the words count 1.5 times, before it half.
_VADER_NEGATION = -0.74
_BOOST = 0.293 / 4.0
_BUT_AFTER, _BUT_BEFORE = 1.5, 0.5


def polarity_features(texts: list[str], *, afinn_only: bool = False) -> np.ndarray:
    """lexicon_features' five columns, then six from VADER's lexicon and rules (domain-independent polarity):
    [positive sum, negative sum, normalised net score (VADER's x / sqrt(x^2 + 15) on its -4..4 scale),
    negated rated words, rated words, net score of the words after a "but"].

    One regex pass and one table map for the batch, as in lexicon_features; texts should be lower-cased.
    `afinn_only` stops after the first five columns (the model for other languages reads no more).
    """
    n = len(texts)
    tokens = _POLAR_TOKENS.findall(join_lines(texts))
    table, codes = _codes(tokens)
    m = codes.size
    is_break = table.is_break[codes]
    rows = np.cumsum(is_break)
    same_row = [rows[k:] == rows[:-k] for k in range(1, _NEGATION_WINDOW + 1)]
    afinn = _afinn_columns(table, codes, rows, same_row, n)  # the AFINN-and-seed columns, as lexicon_features
    if afinn_only:
        return afinn
    # VADER's lexicon and rules.
    vader = table.vader[codes].copy()
    v_neg = table.vader_negator[codes]
    rated = (vader != 0) & ~v_neg
    v_negated = np.zeros(m, dtype=bool)
    for k in range(1, _NEGATION_WINDOW + 1):
        v_negated[k:] |= v_neg[:-k] & same_row[k - 1]
    v_negated &= rated
    boost = np.zeros(m)
    if m > 1:
        boost[1:] = np.where(same_row[0], table.booster[codes][:-1], 0.0)
    vader = np.where(rated, vader + np.sign(vader) * boost * _BOOST, 0.0)
    vader = np.where(v_negated, _VADER_NEGATION * vader, vader)
    is_but = table.is_but[codes]
    # "but"s earlier in the same text: the running count less the count at the text's first token.
    earlier = np.cumsum(is_but) - is_but
    after = (earlier - earlier[np.searchsorted(rows, rows)]) > 0
    buts_in_row = np.bincount(rows, weights=is_but.astype(np.float64), minlength=n + 1)
    before = ~after & (buts_in_row[rows] > 0)
    weight = np.where(after, _BUT_AFTER, np.where(before, _BUT_BEFORE, 1.0))
    vader = vader * weight
    v_pos = np.bincount(rows, weights=np.clip(vader, 0, None), minlength=n)[:n]
    v_neg_sum = np.bincount(rows, weights=np.clip(-vader, 0, None), minlength=n)[:n]
    net4 = 4.0 * (v_pos - v_neg_sum)
    v_flips = np.bincount(rows, weights=v_negated.astype(np.float64), minlength=n)[:n]
    v_rated = np.bincount(rows, weights=rated.astype(np.float64), minlength=n)[:n]
    v_after = np.bincount(rows, weights=np.where(after, vader, 0.0), minlength=n)[:n]
    return np.column_stack(
        [
            afinn,
            v_pos,
            v_neg_sum,
            net4 / np.sqrt(net4 * net4 + 15.0),
            v_flips,
            np.log1p(v_rated),
            np.tanh(v_after),
        ]
    )


def lexicon_sentiment(texts: list[str], threshold: float = 0.1) -> list[tuple[str, float]]:
    """Lexicon-only fallback scorer: (label, score in [-1, 1]) from the net lexicon score."""
    feats = lexicon_features([t.lower() for t in texts])
    result = []
    for score in feats[:, 2].tolist():
        label = "positive" if score > threshold else "negative" if score < -threshold else "neutral"
        result.append((label, round(score, 4)))
    return result
