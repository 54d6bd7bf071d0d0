"""When a life event happens, read from the words around it, relative to when the post was written.

"Getting married Saturday" posted on a Wednesday is the coming Saturday; "got married Saturday" the last one.
Understood in the eight languages: today / tomorrow / the day after, weekday names (with "next"), "in N days" or
weeks, "next week", and day-month dates ("12 June", "June 12th", "12. juni", "le 12 juin", "12 de junio",
"2026-06-12", and the European "12.6."). A date without a year is the next one (future tense) or the last one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS: dict[str, tuple[str, ...]] = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "da": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "no": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    "da": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "no": ("jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"),
    "sv": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "de": ("jan", "feb", "mär", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "dez"),
    "nl": ("jan", "feb", "maa", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "fr": ("janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct", "nov", "déc"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}
# (word, days from the post)
RELATIVE: dict[str, tuple[tuple[str, int], ...]] = {
    "en": (("the day after tomorrow", 2), ("tomorrow", 1), ("today", 0), ("tonight", 0), ("this evening", 0)),
    "da": (("i overmorgen", 2), ("i morgen", 1), ("imorgen", 1), ("i dag", 0), ("idag", 0), ("i aften", 0)),
    "no": (("i overmorgen", 2), ("i morgen", 1), ("imorgen", 1), ("i dag", 0), ("idag", 0), ("i kveld", 0)),
    "sv": (("i övermorgon", 2), ("i morgon", 1), ("imorgon", 1), ("i dag", 0), ("idag", 0), ("ikväll", 0)),
    "de": (("übermorgen", 2), ("morgen", 1), ("heute", 0)),
    "nl": (("overmorgen", 2), ("morgen", 1), ("vandaag", 0), ("vanavond", 0)),
    "fr": (("après-demain", 2), ("demain", 1), ("aujourd'hui", 0), ("ce soir", 0)),
    "es": (("pasado mañana", 2), ("mañana", 1), ("hoy", 0), ("esta noche", 0)),
}
PAST_RELATIVE: dict[str, tuple[tuple[str, int], ...]] = {
    "en": (("yesterday", -1), ("last week", -7)),
    "da": (("i går", -1), ("igår", -1), ("i sidste uge", -7)),
    "no": (("i går", -1), ("igår", -1), ("forrige uke", -7)),
    "sv": (("i går", -1), ("igår", -1), ("förra veckan", -7)),
    "de": (("gestern", -1), ("letzte woche", -7)),
    "nl": (("gisteren", -1), ("vorige week", -7)),
    "fr": (("hier", -1), ("la semaine dernière", -7)),
    "es": (("ayer", -1), ("la semana pasada", -7)),
}
NEXT_WEEK: dict[str, tuple[str, ...]] = {
    "en": ("next week",),
    "da": ("næste uge", "i næste uge"),
    "no": ("neste uke",),
    "sv": ("nästa vecka",),
    "de": ("nächste woche", "nächster woche"),
    "nl": ("volgende week",),
    "fr": ("la semaine prochaine",),
    "es": ("la próxima semana", "la semana que viene"),
}
# "in 3 days", "om 3 dage", "in drei Tagen"...: (preposition, day words, week words)
IN_N: dict[str, tuple[str, str, str]] = {
    "en": ("in", "days?", "weeks?"),
    "da": ("om", "dage?", "uger?"),
    "no": ("om", "dager?|dag", "uker?"),
    "sv": ("om", "dagar?", "veckor?|vecka"),
    "de": ("in", "tagen?|tag", "wochen?"),
    "nl": ("over", "dagen|dag", "weken|week"),
    "fr": ("dans", "jours?", "semaines?"),
    "es": ("en|dentro de", "días?", "semanas?"),
}
NUMBER_WORDS: dict[str, int] = {
    # en, da/no, sv, de, nl, fr, es (2 to 10)
    **dict(zip(("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"), range(2, 11), strict=True)),
    **dict(zip(("to", "tre", "fire", "fem", "seks", "syv", "otte", "ni", "ti"), range(2, 11), strict=True)),
    **dict(zip(("två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio"), range(2, 11), strict=True)),
    **dict(zip(("zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn"), range(2, 11), strict=True)),
    **dict(zip(("twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien"), range(2, 11), strict=True)),
    **dict(zip(("deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"), range(2, 11), strict=True)),
    **dict(
        zip(("dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez"), range(2, 11), strict=True)
    ),  # noqa: E501
    "a": 1,
    "one": 1,
    "en": 1,
    "et": 1,
    "ett": 1,
    "einer": 1,
    "een": 1,
    "un": 1,
    "une": 1,
    "una": 1,
    "couple of": 2,
    "few": 3,
}
_NEXT = "next|this|coming|næste|neste|nästa|nächsten?|kommenden?|volgende|prochain"
_NUM = r"(\d{1,2}|" + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True)) + ")"


@dataclass(frozen=True)
class Found:
    start: int
    when: date


def _b(words: str) -> str:
    return rf"(?<![\w]){words}(?![\w])"


def _weekday(posted: date, index: int, *, past: bool) -> date:
    """The coming weekday (a week on when it is today's: "Saturday" said on a Saturday is the next one), or in
    the past tense the last one. "Next Saturday" reads as the coming one, as most people mean it."""
    if past:
        return posted - timedelta(days=(posted.weekday() - index) % 7 or 7)
    return posted + timedelta(days=(index - posted.weekday()) % 7 or 7)


def _day_month(posted: date, day: int, month: int, year: int | None, *, past: bool) -> date | None:
    try:
        when = date(year or posted.year, month, day)
    except ValueError:
        return None
    if year is None:
        if not past and when < posted:
            when = date(posted.year + 1, month, day) if _valid(posted.year + 1, month, day) else when
        elif past and when > posted:
            when = date(posted.year - 1, month, day) if _valid(posted.year - 1, month, day) else when
    return when


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _month_index(word: str, language: str) -> int | None:
    word = word.lower().rstrip(".")
    for lang in (language, "en"):
        for i, stem in enumerate(MONTHS.get(lang, ())):
            if word.startswith(stem) or (len(word) >= 3 and stem.startswith(word)):
                return i + 1
    return None


def dates_in(text: str, *, languages: tuple[str, ...], posted: date, past: bool) -> list[Found]:
    """Every date expression in the text with the day it names (relative to the day of the post)."""
    low = text.lower()
    found: list[Found] = []
    for lang in languages:
        for word, days in RELATIVE.get(lang, ()):
            for m in re.finditer(_b(re.escape(word)), low):
                found.append(Found(m.start(), posted + timedelta(days=days)))
        for word, days in PAST_RELATIVE.get(lang, ()):
            for m in re.finditer(_b(re.escape(word)), low):
                found.append(Found(m.start(), posted + timedelta(days=days)))
        for word in NEXT_WEEK.get(lang, ()):
            for m in re.finditer(_b(re.escape(word)), low):
                found.append(Found(m.start(), posted + timedelta(days=7)))
        for i, name in enumerate(WEEKDAYS.get(lang, ())):
            for m in re.finditer(_b(rf"(?:(?:{_NEXT})\s+)?{name}s?"), low):
                found.append(Found(m.start(), _weekday(posted, i, past=past)))
        prep, day_words, week_words = IN_N.get(lang, ("in", "days?", "weeks?"))
        for m in re.finditer(_b(rf"(?:{prep})\s+(?:a\s+)?{_NUM}\s+({day_words}|{week_words})"), low):
            n = int(m.group(1)) if m.group(1).isdigit() else NUMBER_WORDS.get(m.group(1), 0)
            weeks = re.fullmatch(week_words, m.group(2)) is not None
            if 0 < n <= 366:
                found.append(Found(m.start(), posted + timedelta(days=n * (7 if weeks else 1))))
        months = "|".join(re.escape(m) for m in MONTHS.get(lang, ()))
        # 12 June, 12. juni, le 12 juin, 12 de junio, 12th of June
        month_rx = rf"((?:{months})[a-zäöüåæøéèûô]*\.?)"
        day_first = rf"(\d{{1,2}})(?:st|nd|rd|th|\.|er)?\s+(?:of\s+|de\s+)?{month_rx}(?:\s+(\d{{4}}))?"
        for m in re.finditer(_b(day_first), low):
            month = _month_index(m.group(2), lang)
            if month:
                when = _day_month(posted, int(m.group(1)), month, int(m.group(3)) if m.group(3) else None, past=past)
                if when:
                    found.append(Found(m.start(), when))
        # June 12, June 12th 2026
        for m in re.finditer(_b(rf"{month_rx}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?"), low):
            month = _month_index(m.group(1), lang)
            if month:
                when = _day_month(posted, int(m.group(2)), month, int(m.group(3)) if m.group(3) else None, past=past)
                if when:
                    found.append(Found(m.start(), when))
    for m in re.finditer(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)", low):
        when = _day_month(posted, int(m.group(3)), int(m.group(2)), int(m.group(1)), past=past)
        if when:
            found.append(Found(m.start(), when))
    if any(lang != "en" for lang in languages):  # 12.6. / 12.6.2026: the European day-month order
        for m in re.finditer(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})?(?![\d])", low):
            year = int(m.group(3)) if m.group(3) else None
            when = _day_month(posted, int(m.group(1)), int(m.group(2)), year, past=past)
            if when:
                found.append(Found(m.start(), when))
    return found


def event_date(
    text: str, *, cue_start: int, cue_end: int, languages: tuple[str, ...], posted: date, past: bool
) -> date | None:
    """The date nearest the cue (within 60 characters of it), or None when the text gives none."""
    best: tuple[int, date] | None = None
    for f in dates_in(text, languages=languages, posted=posted, past=past):
        distance = cue_start - f.start if f.start < cue_start else max(0, f.start - cue_end)
        if distance <= 60 and (best is None or distance < best[0]):
            best = (distance, f.when)
    return best[1] if best else None
