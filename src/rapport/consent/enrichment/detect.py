"""Reading interests and life events from one text: plain text in, facts out, no database.

`detect(text, language=..., posted_at=...)` tries the cues of the post's language and English (all eight languages
when the language is unknown). Most posts say nothing of the kind, and a regular expression of a hundred branches
costs ~170 µs a tweet, so each cue is reduced, once, to literal strings one of which every match must contain
(`required_literals`, read from the expression's parse tree): a post containing none of a language's literals is
turned away by substring checks, and only the cues whose literals it contains are run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

try:  # the regular-expression parser, to read a cue's required literals
    from re import _constants as _c
    from re import _parser
except ImportError:  # Python < 3.11
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

from rapport.consent.enrichment import dates, taxonomy
from rapport.consent.enrichment.taxonomy import INTEREST, LIFE_EVENT, Cue, FactKind

_FLAGS = re.IGNORECASE | re.UNICODE
_THIRD_PARTY = re.compile(r"\b" + taxonomy.THIRD_PARTY, _FLAGS)
_THIRD_PARTY_SUBJECT = re.compile(r"\b(?:you|u|y'all|ya)\s+(?:\w+\s+){0,1}$", _FLAGS)
_NEGATION = re.compile(taxonomy.NEGATION, _FLAGS)
# A bonus per further distinct cue of the same interest ("camera" and "lens"), up to the cap.
_MORE_CUES = 0.08
_CAP = 0.95
_DATED = 0.05  # a life event whose date the text gives is more surely meant


@dataclass(frozen=True)
class Detection:
    kind: str  # interest | life_event
    value: str
    confidence: float
    event_date: date | None = None
    evidence: str = ""  # the words it was read from


def _wrap(pattern: str) -> str:
    return rf"(?<![\w#])(?:{pattern})(?![\w])"


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-case strings one of which every match of the pattern contains, or None when no such set of strings
    of at least two characters can be read from it (the cue is then always tried)."""
    try:
        tree = _parser.parse(pattern, 0)
    except re.error:
        return None
    return _must(list(tree))


def _must(items: list) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run = ""
    for op, arg in items:
        if op is _c.LITERAL:
            run += chr(arg).lower()
            continue
        if run:
            candidates.append(frozenset([run]))
            run = ""
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue
        found: frozenset[str] | None = None
        if op is _c.SUBPATTERN:
            found = _must(list(arg[-1]))
        elif op is _c.BRANCH:
            parts = [_must(list(b)) for b in arg[1]]
            found = None if any(p is None for p in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and arg[0] >= 1:
            found = _must(list(arg[2]))
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset([run]))
    good = [c for c in candidates if min(len(x) for x in c) >= 2]
    return max(good, key=lambda c: (min(len(x) for x in c), -len(c))) if good else None


@cache
def _compiled(language: str) -> tuple[frozenset[str], tuple[tuple[FactKind, Cue, re.Pattern, frozenset | None], ...]]:
    """For one language: every cue with its literals, and the union of them all (the quick "anything here?")."""
    cues = []
    for fact in taxonomy.ALL:
        for cue in fact.cues.get(language, ()):
            cues.append((fact, cue, re.compile(_wrap(cue.pattern), _FLAGS), required_literals(cue.pattern)))
    literals = frozenset().union(*(m for *_, m in cues if m))
    return literals, tuple(cues)


def languages_for(language: str) -> tuple[str, ...]:
    """The languages whose cues are tried: the post's and English, or all of them when it is not known."""
    if language in taxonomy.LANGUAGES:
        return (language,) if language == "en" else (language, "en")
    return taxonomy.LANGUAGES


def _someone_else(text: str, start: int) -> bool:
    before = text[max(0, start - 40) : start]
    return bool(_THIRD_PARTY.search(before) or _THIRD_PARTY_SUBJECT.search(before) or _NEGATION.search(before))


def detect(
    text: str, *, language: str = "", posted_at: datetime | None = None, prefilter: bool = True
) -> list[Detection]:
    """The interests and life events the text shows, each at most once, with confidence and (events) date.
    `prefilter=False` tries every cue (the reference the literal prefilter is tested against)."""
    if not text:
        return []
    langs = languages_for(language)
    posted = (posted_at or datetime.now(UTC)).date()
    hits: list[tuple[FactKind, Cue, re.Match]] = []
    low = text.lower()
    for lang in langs:
        literals, cues = _compiled(lang)
        present = {x for x in literals if x in low}
        for fact, cue, rx, must in cues:
            if prefilter and must is not None and present.isdisjoint(must):
                continue
            for m in rx.finditer(text):
                hits.append((fact, cue, m))
    if not hits:
        return []
    best: dict[str, Detection] = {}
    interest_cues: dict[str, set[str]] = {}
    for fact, cue, m in hits:
        if fact.kind == LIFE_EVENT:
            if _someone_else(text, m.start()):
                continue
            when = (
                dates.event_date(
                    text, cue_start=m.start(), cue_end=m.end(), languages=langs, posted=posted, past=cue.tense == "past"
                )
                if cue.dated
                else None
            )
            confidence = min(_CAP, cue.weight + (_DATED if when else 0.0))
            found = Detection(LIFE_EVENT, fact.value, round(confidence, 3), when, m.group(0))
            held = best.get(fact.value)
            if held is None or (found.confidence, found.event_date is not None) > (
                held.confidence,
                held.event_date is not None,
            ):
                best[fact.value] = found
        else:
            interest_cues.setdefault(fact.value, set()).add(m.group(0).lower())
            held = best.get(fact.value)
            if held is None or cue.weight > held.confidence:
                best[fact.value] = Detection(INTEREST, fact.value, cue.weight, None, m.group(0))
    for value, words in interest_cues.items():
        held = best[value]
        bonus = _MORE_CUES * (len(words) - 1)
        best[value] = Detection(INTEREST, value, round(min(_CAP, held.confidence + bonus), 3), None, held.evidence)
    # "Wildlife" said beside a camera or a lens is wildlife photography.
    wild, photo = best.get("wildlife_photography"), best.get("photography")
    if wild and photo and wild.confidence < 0.75:
        best["wildlife_photography"] = Detection(INTEREST, wild.value, 0.75, None, wild.evidence)
    for value, implied in taxonomy.IMPLIES.items():
        source = best.get(value)
        if source and source.confidence >= taxonomy.MIN_CONFIDENCE:
            for other in implied:
                if other not in best or best[other].confidence < source.confidence - 0.1:
                    best[other] = Detection(INTEREST, other, round(source.confidence - 0.1, 3), None, source.evidence)
    return sorted(
        (d for d in best.values() if d.confidence >= taxonomy.MIN_CONFIDENCE),
        key=lambda d: (d.kind, -d.confidence, d.value),
    )


_BASELINE = {
    value: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", _FLAGS)
    for value, words in taxonomy.KEYWORD_BASELINE.items()
}


def keyword_baseline(text: str) -> set[str]:
    """The naive reading the evaluation compares with: a value whenever one of its plain keywords appears."""
    return {value for value, rx in _BASELINE.items() if rx.search(text or "")}


def expires_at(found: Detection, posted_at: datetime) -> datetime:
    """When a fact read from a post written at `posted_at` stops being believed."""
    if found.kind == INTEREST:
        return posted_at + taxonomy.INTEREST_TTL
    until = posted_at + taxonomy.LIFE_EVENT_TTL
    if found.event_date is not None:
        after = datetime.combine(found.event_date, datetime.min.time(), tzinfo=posted_at.tzinfo or UTC)
        until = max(until, after + taxonomy.AFTER_EVENT)
    return min(until, posted_at + taxonomy.LIFE_EVENT_MAX_TTL)


_DATE_FIELD = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# A form field named or labelled for a life event ("Wedding date", "bryllupsdato", "Umzugstermin"...).
_FIELD_EVENTS: dict[str, re.Pattern] = {
    "wedding": re.compile(r"wedding|marri|bryllup|bröllop|hochzeit|bruiloft|trouw|mariage|boda", _FLAGS),
    "moving_house": re.compile(r"mov(?:e|ing)|flytt|umzug|verhui|d[ée]m[ée]nag|mudanza", _FLAGS),
    "new_baby": re.compile(r"baby|due[ _]date|birth|termin|geburt|bevalling|naissance|b[ée]b[ée]|parto", _FLAGS),
    "new_job": re.compile(r"new[ _]job|start[ _]date|nyt[ _]job|nye?t?[ _]jobb|stelle|baan|emploi|trabajo", _FLAGS),
}


def detect_answers(answers: dict[str, str], labels: dict[str, str], *, given_at: datetime) -> list[Detection]:
    """Facts from what a person gave in a form's custom fields: a dated answer to a life-event field ("Wedding
    date: 2026-06-12") is that event on that date; any answer's words are read as a post's would be. The person
    said it themselves, so a stated fact is surer than one read from a post."""
    found: dict[str, Detection] = {}
    for name, raw in answers.items():
        text = str(raw or "").strip()
        if not text:
            continue
        label = f"{name} {labels.get(name, '')}"
        m = _DATE_FIELD.search(text)
        if m:
            for value, rx in _FIELD_EVENTS.items():
                if rx.search(label):
                    try:
                        when = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                    except ValueError:
                        continue
                    if given_at.date() - timedelta(days=90) <= when <= given_at.date() + timedelta(days=730):
                        found[value] = Detection(LIFE_EVENT, value, 0.95, when, f"{labels.get(name) or name}: {text}")
                    break
            continue
        for d in detect(f"{text}", posted_at=given_at):
            lifted = Detection(d.kind, d.value, round(min(_CAP, d.confidence + 0.1), 3), d.event_date, d.evidence)
            if d.value not in found or found[d.value].confidence < lifted.confidence:
                found[d.value] = lifted
    return sorted(found.values(), key=lambda d: (d.kind, -d.confidence, d.value))
