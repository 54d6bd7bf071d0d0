# ruff: noqa: E501  (a table of expressions: one cue reads best on one line)
"""What enrichment looks for: interests and life events, and the words that show them in each supported language.

Edit here to add an interest or a language. Each fact value has cues per language: a regular expression (matched
case-insensitively on word boundaries), a weight (how sure one such cue makes us), and for life events the tense it
speaks in ("future": getting married; "past": got married; "": either), which decides whether "Saturday" means the
coming or the last one. English cues are tried in every language too: hashtags and loanwords cross borders.

A life event is the author's own ("we're getting married", "my new job"): cues are written in the first person or
without a subject, and `THIRD_PARTY` below throws out "my sister is getting married".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

LANGUAGES: tuple[str, ...] = ("en", "da", "sv", "no", "de", "nl", "fr", "es")

INTEREST = "interest"
LIFE_EVENT = "life_event"

# How long a fact is believed: social data changes daily, and a life event is news for a shorter time than a hobby.
INTEREST_TTL = timedelta(days=90)
LIFE_EVENT_TTL = timedelta(days=30)
# A dated life event stays until this long after its date (the wedding's week after), at most LIFE_EVENT_MAX_TTL.
AFTER_EVENT = timedelta(days=14)
LIFE_EVENT_MAX_TTL = timedelta(days=180)
# Below this confidence nothing is stored.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Cue:
    pattern: str
    weight: float
    tense: str = ""  # future | past | "" (life events)
    dated: bool = True  # may a date beside it be the event's? ("flying with my 3 month old tomorrow": no)


@dataclass(frozen=True)
class FactKind:
    value: str
    label: str
    kind: str  # interest | life_event
    cues: dict[str, tuple[Cue, ...]]  # language -> cues


def _c(weight: float, *patterns: str, tense: str = "", dated: bool = True) -> tuple[Cue, ...]:
    return tuple(Cue(p, weight, tense, dated) for p in patterns)


# --- life events --------------------------------------------------------------------------------------------------

WEDDING = FactKind(
    "wedding",
    "Wedding",
    LIFE_EVENT,
    {
        "en": (
            *_c(
                0.85,
                r"(?:(?:i'?m|i am|we'?re|we are|im)\s+(?:getting|gonna get|going to get|about to get)|getting|get|gettin|to be)\s+married",
                r"getting hitched|tying the knot|(?:our|my) (?:big day|wedding day)",
                tense="future",
            ),
            *_c(0.8, r"(?:i|we)\s+(?:just\s+)?got married|just married|newlyweds?", tense="past"),
            *_c(0.8, r"(?:my|our) (?:own )?wedding(?! (?:anniversary|of))", r"bride[- ]to[- ]be|groom[- ]to[- ]be"),
            *_c(0.7, r"(?:my|our) honeymoon|honeymoon(?:ing|ers)?\b", r"#justmarried|#weddingday|#bridetobe"),
            *_c(0.55, r"(?:i'?m|we'?re|just got) engaged|my (?:fianc[eé]e?)", tense="future"),
        ),
        "da": (
            *_c(0.85, r"(?:vi |jeg )?skal giftes|bliver gift|(?:vi |jeg )?gifter (?:os|mig)", tense="future"),
            *_c(0.8, r"(?:vi |jeg )?blev gift|er blevet gift|nygifte?", tense="past"),
            *_c(0.8, r"(?:vores|mit) bryllup"),
            *_c(0.7, r"bryllupsrejse"),
        ),
        "no": (
            *_c(0.85, r"skal gifte (?:oss|meg)|gifter (?:oss|meg)", tense="future"),
            *_c(0.8, r"giftet (?:oss|meg)|nygifte?", tense="past"),
            *_c(0.8, r"(?:vårt|mitt) bryllup|bryllupet (?:vårt|mitt)"),
            *_c(0.7, r"bryllupsreise"),
        ),
        "sv": (
            *_c(0.85, r"ska gifta (?:oss|mig)|gifter (?:oss|mig)", tense="future"),
            *_c(0.8, r"gifte (?:oss|mig)|nygifta?", tense="past"),
            *_c(0.8, r"(?:vårt|mitt) bröllop|bröllopet (?:vårt|mitt)"),
            *_c(0.7, r"bröllopsresa"),
        ),
        "de": (
            *_c(
                0.85, r"(?:wir|ich) heirate(?:n)?|(?:wir|ich) werde(?:n)? heiraten|heiraten (?:wir|ich)", tense="future"
            ),
            *_c(0.8, r"(?:haben|habe) (?:\w+ )?geheiratet|frisch verheiratet", tense="past"),
            *_c(0.8, r"(?:unsere|meine) hochzeit"),
            *_c(0.7, r"flitterwochen"),
        ),
        "nl": (
            *_c(0.85, r"(?:we|wij|ik) (?:gaan |ga )?trouwen|(?:we|wij) trouwen", tense="future"),
            *_c(0.8, r"(?:zijn|ben) (?:net )?getrouwd|pasgetrouwd", tense="past"),
            *_c(0.8, r"(?:onze|mijn) bruiloft"),
            *_c(0.7, r"huwelijksreis|wittebroodsweken"),
        ),
        "fr": (
            *_c(
                0.85,
                r"(?:je me|on se|nous nous) mari(?:e|ons)|(?:je vais|on va|nous allons) (?:me |se |nous )marier",
                tense="future",
            ),
            *_c(0.8, r"(?:je me suis|on s'est|nous nous sommes) mari[ée]e?s?|jeunes? mari[ée]s", tense="past"),
            *_c(0.8, r"(?:notre|mon) mariage"),
            *_c(0.7, r"voyage de noces|lune de miel"),
        ),
        "es": (
            *_c(0.85, r"me caso|nos casamos|(?:me voy|nos vamos) a casar", tense="future"),
            *_c(0.8, r"(?:me he|nos hemos) casado|reci[ée]n casad[oa]s?", tense="past"),
            *_c(0.8, r"(?:nuestra|mi) boda"),
            *_c(0.7, r"luna de miel|viaje de novios"),
        ),
    },
)

MOVING_HOUSE = FactKind(
    "moving_house",
    "Moving house",
    LIFE_EVENT,
    {
        "en": (
            *_c(
                0.8,
                r"(?:i'?m|i am|we'?re|we are|am|are)\s+moving\s+(?:house|home|flat|apartments?|in to|into|out of (?:my|our))",
                r"moving (?:house|home)\b|moving day|house move|(?:i'?m|we'?re|i am|we are) relocating",
                tense="future",
            ),
            *_c(
                0.8,
                r"(?:i|we)\s+(?:just\s+|recently\s+|have\s+|'ve\s+)?moved\s+(?:house|home|in to|into|to (?:a )?(?:new|another) (?:house|home|flat|apartment|city|state|address))",
                r"(?:just|recently) moved(?! (?:my|our|me|us|the|it|to (?:a |another )?(?:different |later |earlier )?(?:flight|seat|gate|row)))",
                tense="past",
            ),
            *_c(
                0.7,
                r"moved to a new (?:city|state|town|country|place)|(?:i|we) (?:just |recently )?moved (?:from|here|back)\b",
                r"(?:i'?m|we'?re|i am|we are) moving to (?!(?:another|a different|the|an? (?:earlier|later|new) flight)\b)\w+",
                r"(?:i|we) (?:just |recently )?moved(?= and\b)",
                tense="past",
            ),
            *_c(
                0.75,
                r"(?:my|our) new (?:house|home|flat|apartment|place|address)\b",
                r"change of address|(?:transfer|move) (?:my|our) (?:service|account|internet|cable|broadband) to (?:my|our|the) new",
            ),
        ),
        "da": (
            *_c(0.8, r"(?:vi |jeg )?(?:skal )?flytte(?:r)? (?:ind|hjemmefra|til (?:en )?ny)|flyttedag", tense="future"),
            *_c(0.8, r"(?:er|har) (?:lige )?flyttet|nyindflyttet", tense="past"),
            *_c(0.75, r"(?:vores|mit|min) nye? (?:hus|lejlighed|adresse|bolig)"),
        ),
        "no": (
            *_c(0.8, r"(?:vi |jeg )?(?:skal )?flytte(?:r)? (?:inn|hjemmefra|til (?:en )?ny)|flyttedag", tense="future"),
            *_c(0.8, r"(?:har|er) (?:nettopp )?flytt(?:et|a)|nyinnflytt", tense="past"),
            *_c(0.75, r"(?:vårt|mitt|min) nye? (?:hus|leilighet|adresse|bolig)"),
        ),
        "sv": (
            *_c(
                0.8, r"(?:vi |jag )?(?:ska )?flytta(?:r)? (?:in|hemifrån|till (?:en |ett )?ny)|flyttdag", tense="future"
            ),
            *_c(0.8, r"(?:har|är) (?:precis |just )?flyttat|nyinflyttad", tense="past"),
            *_c(0.75, r"(?:vårt|mitt|min) nya (?:hus|lägenhet|adress|bostad)"),
        ),
        "de": (
            *_c(0.8, r"(?:wir|ich) ziehe(?:n)? (?:\w+ ){0,3}um\b|(?:unser|mein) umzug|umzugstag", tense="future"),
            *_c(0.8, r"(?:sind|bin) (?:gerade |endlich )?umgezogen|eingezogen", tense="past"),
            *_c(0.75, r"(?:unsere|meine) neue (?:wohnung|adresse)|(?:unser|mein) neues (?:haus|zuhause)"),
        ),
        "nl": (
            *_c(0.8, r"(?:we|wij|ik) (?:gaan |ga )?verhuizen|(?:we|ik) verhuis|verhuisdag", tense="future"),
            *_c(0.8, r"(?:zijn|ben) (?:net |pas )?verhuisd", tense="past"),
            *_c(0.75, r"(?:ons|mijn) nieuwe? (?:huis|adres|woning|appartement)|onze nieuwe woning"),
        ),
        "fr": (
            *_c(
                0.8,
                r"(?:je|on|nous) (?:vais |va |allons )?d[ée]m[ée]nag(?:e|er|eons)|notre d[ée]m[ée]nagement",
                tense="future",
            ),
            *_c(0.8, r"(?:j'ai|on a|nous avons) (?:enfin )?d[ée]m[ée]nag[ée]", tense="past"),
            *_c(0.75, r"(?:notre|ma|mon) nouv(?:el|elle) (?:appartement|maison|adresse|logement)"),
        ),
        "es": (
            *_c(0.8, r"me mudo|nos mudamos|(?:me voy|nos vamos) a mudar|mi mudanza|nuestra mudanza", tense="future"),
            *_c(0.8, r"(?:me he|nos hemos) mudado", tense="past"),
            *_c(0.75, r"(?:mi|nuestra) nueva (?:casa|direcci[oó]n)|(?:mi|nuestro) nuevo (?:piso|apartamento|hogar)"),
        ),
    },
)

NEW_BABY = FactKind(
    "new_baby",
    "New baby",
    LIFE_EVENT,
    {
        "en": (
            *_c(
                0.85,
                r"(?:i'?m|i am|we'?re|we are)\s+(?:expecting|pregnant|having a baby)",
                r"baby (?:is )?due|due date|baby on the way|(?:baby|gender) reveal|baby shower",
                tense="future",
            ),
            *_c(
                0.8,
                r"(?:i|we)\s+(?:just\s+)?(?:had|welcomed) (?:a|our) (?:baby|son|daughter|little)",
                r"(?:my|our) (?:new ?born|new baby|baby (?:boy|girl)|twins)\b",
                r"(?:maternity|paternity|parental) leave|became (?:a )?(?:mom|mum|mother|dad|father|parents?)",
                tense="past",
            ),
            *_c(
                0.7,
                r"(?:my|our)\s+(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven)[- ](?:week|month)s?[- ]old",
                r"(?:with|and) (?:my|our) (?:infant|newborn|baby)\b|(?:my|our) infant",
                r"(?:with|w/|and|&|&amp;|my|our|a) (?:lap )?infants?\b|infant (?:daughter|son|car ?seat)|lap infant",
                r"\d{1,2}[- ](?:months?|mos?|mons)[- ]old(?! (?:change|fee|refund|ticket|request|reservation|booking))",
                r"(?:my|our) baby(?:'s)?\b(?! (?:shower|steps|blue))|(?:wife|husband) (?:and|&|&amp;) baby",
                r"\d{1,2} months? pregnant|pregnant with|#pregnant\w*|very pregnant",
                dated=False,
            ),
        ),
        "da": (
            *_c(0.85, r"(?:vi )?venter (?:en )?baby|(?:er|blevet) gravid|termin", tense="future"),
            *_c(
                0.8,
                r"(?:har )?fået en (?:søn|datter|baby|lille)|(?:vores|min) nyfødte|på barsel|barselsorlov",
                tense="past",
            ),
        ),
        "no": (
            *_c(0.85, r"(?:vi )?venter (?:barn|baby)|(?:er|blitt) gravid|termin", tense="future"),
            *_c(
                0.8,
                r"(?:har )?fått en (?:sønn|datter|baby|liten)|(?:vår|min) nyfødte|foreldrepermisjon|pappaperm",
                tense="past",
            ),
        ),
        "sv": (
            *_c(0.85, r"(?:vi )?väntar (?:barn|bebis)|(?:är|blivit) gravid|beräknat förlossningsdatum", tense="future"),
            *_c(0.8, r"(?:har )?fått en (?:son|dotter|bebis|liten)|(?:vår|min) nyfödda?|föräldraledig", tense="past"),
        ),
        "de": (
            *_c(
                0.85,
                r"(?:bin|ist|sind) schwanger|(?:wir )?erwarten (?:ein|unser) (?:baby|kind)|geburtstermin",
                tense="future",
            ),
            *_c(
                0.8,
                r"(?:unser|mein) (?:baby|sohn|tochter) ist (?:da|geboren)|nachwuchs|neugeboren|elternzeit|mutterschutz",
                tense="past",
            ),
        ),
        "nl": (
            *_c(
                0.85,
                r"(?:ben|is|zijn) zwanger|(?:we )?verwachten een (?:baby|kindje)|uitgerekende datum",
                tense="future",
            ),
            *_c(
                0.8,
                r"(?:zijn |is )?bevallen|(?:onze|mijn) pasgeboren|baby gekregen|zwangerschapsverlof|ouderschapsverlof|kraamtijd",
                tense="past",
            ),
        ),
        "fr": (
            *_c(
                0.85,
                r"(?:je suis|elle est) enceinte|(?:on|nous) attend(?:ons)? un b[ée]b[ée]|terme pr[ée]vu",
                tense="future",
            ),
            *_c(
                0.8,
                r"(?:notre|mon) b[ée]b[ée] est n[ée]|nouveau-n[ée]|cong[ée] (?:de )?(?:maternit[ée]|paternit[ée])",
                tense="past",
            ),
        ),
        "es": (
            *_c(0.85, r"(?:estoy|est[aá]) embarazada|esperamos un beb[ée]", tense="future"),
            *_c(
                0.8,
                r"(?:ha|han) nacido (?:nuestr|mi)|reci[ée]n nacid[oa]|baja (?:de|por) (?:maternidad|paternidad)",
                tense="past",
            ),
        ),
    },
)

NEW_JOB = FactKind(
    "new_job",
    "New job",
    LIFE_EVENT,
    {
        "en": (
            *_c(
                0.8,
                r"(?:my|a) new (?:job|position|role|employer|gig at)\b",
                r"(?:start|starting|begin|beginning) (?:my|a) new (?:job|position|role)",
                r"first (?:day|week) (?:at|of) (?:my )?(?:new )?(?:job|work)\b",
                tense="future",
            ),
            *_c(
                0.8,
                r"(?:i|just)\s+(?:got|landed|accepted) (?:the|a|my dream) (?:job|position|offer)",
                r"(?:i|just)\s+got (?:hired|promoted)|(?:i'?ve|i have) been (?:hired|promoted)|new hire",
                tense="past",
            ),
        ),
        "da": (
            *_c(
                0.8,
                r"(?:mit |et )?nyt job|ny stilling|første (?:dag|arbejdsdag) på (?:mit )?(?:nye )?job",
                tense="future",
            ),
            *_c(0.8, r"(?:har )?fået (?:et )?(?:nyt )?job|(?:er )?blevet ansat", tense="past"),
        ),
        "no": (
            *_c(
                0.8, r"(?:min |en )?ny jobb|ny stilling|første (?:dag|arbeidsdag) (?:på|i) (?:ny )?jobb", tense="future"
            ),
            *_c(0.8, r"(?:har )?fått (?:ny )?jobb|(?:har )?blitt ansatt", tense="past"),
        ),
        "sv": (
            *_c(
                0.8,
                r"(?:mitt |ett )?nytt jobb|ny tjänst|första (?:dagen|arbetsdagen) på (?:nya )?jobbet",
                tense="future",
            ),
            *_c(0.8, r"(?:har )?fått (?:ett )?(?:nytt )?jobb|(?:har )?blivit anställd", tense="past"),
        ),
        "de": (
            *_c(
                0.8,
                r"(?:meinen|einen) neuen job|neue(?:n)? (?:stelle|job|arbeitsstelle)|erster arbeitstag",
                tense="future",
            ),
            *_c(0.8, r"(?:habe|hab) (?:den|einen) (?:neuen )?job|(?:wurde|bin) eingestellt", tense="past"),
        ),
        "nl": (
            *_c(0.8, r"(?:mijn |een )?nieuwe (?:baan|functie)|eerste werkdag", tense="future"),
            *_c(0.8, r"(?:heb|ik) (?:de|een) (?:nieuwe )?baan|(?:ben )?aangenomen", tense="past"),
        ),
        "fr": (
            *_c(
                0.8,
                r"(?:mon |un )?nouveau (?:boulot|travail|poste|job)|premier jour (?:de (?:travail|boulot)|au (?:boulot|travail))",
                tense="future",
            ),
            *_c(
                0.8,
                r"(?:j'ai|je suis) (?:été )?(?:embauch[ée]e?|recrut[ée]e?)|j'ai (?:eu|d[ée]croch[ée]) le (?:poste|job)",
                tense="past",
            ),
        ),
        "es": (
            *_c(0.8, r"(?:mi |un )?nuevo (?:trabajo|empleo|puesto|curro)|primer d[ií]a de trabajo", tense="future"),
            *_c(0.8, r"me (?:han|ha) contratado|(?:consegu[ií]|tengo) (?:el|un) (?:trabajo|puesto)", tense="past"),
        ),
    },
)

# --- interests ----------------------------------------------------------------------------------------------------

_STRONG, _MEDIUM, _WEAK = 0.7, 0.55, 0.4

WILDLIFE_PHOTOGRAPHY = FactKind(
    "wildlife_photography",
    "Wildlife photography",
    INTEREST,
    {
        "en": (
            *_c(
                0.85,
                r"wildlife (?:photo\w*|shots?|pics?|shooting)|(?:bird|nature) photo\w*|birding|birders?|birdwatch\w*",
            ),
            *_c(
                _STRONG, r"#wildlife\w*|#birds?of\w*|photograph(?:ing|ed)? (?:birds|wildlife|animals|eagles|owls|deer)"
            ),
            *_c(_WEAK, r"wildlife|safari"),
        ),
        "da": (*_c(0.85, r"naturfoto\w*|fuglefoto\w*|dyrelivsfoto\w*|fuglekig\w*"), *_c(_WEAK, r"dyreliv")),
        "no": (*_c(0.85, r"naturfoto\w*|fuglefoto\w*|viltfoto\w*|fuglekikk\w*"), *_c(_WEAK, r"dyreliv")),
        "sv": (*_c(0.85, r"naturfoto\w*|fågelfoto\w*|djurfoto\w*|fågelskådning"), *_c(_WEAK, r"djurliv")),
        "de": (
            *_c(0.85, r"naturfoto\w*|tierfoto\w*|vogelfoto\w*|wildlife-?fotografie|vogelbeobachtung"),
            *_c(_WEAK, r"wildtiere"),
        ),
        "nl": (*_c(0.85, r"natuurfoto\w*|vogelfoto\w*|dierenfoto\w*|vogels kijken"), *_c(_WEAK, r"wildlife")),
        "fr": (
            *_c(0.85, r"photo(?:graphie)? anim(?:ali[èe]re|alier)|photo(?:graphie)? de (?:nature|faune)|ornithologie"),
            *_c(_WEAK, r"faune"),
        ),
        "es": (
            *_c(0.85, r"fotograf[ií]a de (?:naturaleza|fauna|aves)|observaci[oó]n de aves"),
            *_c(_WEAK, r"fauna salvaje"),
        ),
    },
)

PHOTOGRAPHY = FactKind(
    "photography",
    "Photography",
    INTEREST,
    {
        "en": (
            *_c(
                0.75,
                r"photography|photographer|#photo\w*|dslr|mirrorless|telephoto|(?:zoom|prime|macro|wide[- ]angle) lens",
            ),
            *_c(_MEDIUM, r"(?:new|spare|second) (?:lens|lenses|tripod)|photo ?shoot|shutter speed|aperture"),
            *_c(_WEAK, r"camera|lens|photos?|pictures?"),
        ),
        "da": (*_c(0.75, r"fotografering|fotograf(?:erer)?|objektiv\w*|spejlrefleks"), *_c(_WEAK, r"kamera\w*")),
        "no": (*_c(0.75, r"fotografering|fotograf(?:erer)?|objektiv\w*|speilrefleks"), *_c(_WEAK, r"kamera\w*")),
        "sv": (*_c(0.75, r"fotografering|fotograf(?:erar)?|objektiv\w*|systemkamera"), *_c(_WEAK, r"kamera\w*")),
        "de": (
            *_c(0.75, r"fotografie\w*|fotograf(?:ieren)?|objektiv\w*|spiegelreflex\w*|systemkamera"),
            *_c(_WEAK, r"kamera\w*"),
        ),
        "nl": (*_c(0.75, r"fotografie|fotograf(?:eren)?|objectie(?:f|ven)|spiegelreflex"), *_c(_WEAK, r"camera\w*")),
        "fr": (*_c(0.75, r"photographie|photographe|objectifs?\b|reflex"), *_c(_WEAK, r"appareil photo")),
        "es": (*_c(0.75, r"fotograf[ií]a|fot[oó]graf[oa]|objetivos?\b|r[ée]flex"), *_c(_WEAK, r"c[aá]mara")),
    },
)

HIKING = FactKind(
    "hiking",
    "Hiking",
    INTEREST,
    {
        "en": (*_c(_STRONG, r"hik(?:e|es|ed|ing|er|ers)\b|trekking|backpacking trip|#hiking|trail ?head"),),
        "da": (*_c(_STRONG, r"vandretur\w*|vandring|vandre"),),
        "no": (*_c(_STRONG, r"fjelltur\w*|fottur\w*|topptur\w*|på tur i fjellet"),),
        "sv": (*_c(_STRONG, r"vandring\w*|fjällvandring|vandra"),),
        "de": (*_c(_STRONG, r"wander(?:n|ung|ungen|tour|urlaub)|bergtour"),),
        "nl": (*_c(_STRONG, r"wandel(?:en|tocht|vakantie)|bergwandel\w*"),),
        "fr": (*_c(_STRONG, r"randonn[ée]e?s?|rando\b|trek"),),
        "es": (*_c(_STRONG, r"senderismo|caminata|excursi[oó]n a la monta[ñn]a"),),
    },
)

RUNNING = FactKind(
    "running",
    "Running",
    INTEREST,
    {
        "en": (
            *_c(
                0.75,
                r"(?:half[- ])?marathon|ultramarathon|5k|10k|21k|#running|running (?:shoes|club|race)|parkrun|strava",
            ),
            *_c(
                _MEDIUM, r"(?:went|go|going) for a run|my (?:morning |evening )?run\b|training for a (?:race|marathon)"
            ),
        ),
        "da": (*_c(0.75, r"maraton|halvmaraton|løbetur\w*|løbeklub"),),
        "no": (*_c(0.75, r"maraton|halvmaraton|løpetur\w*|løpeklubb"),),
        "sv": (*_c(0.75, r"maraton|halvmaraton|löprunda|löpning|löparskor"),),
        "de": (*_c(0.75, r"marathon|halbmarathon|joggen|laufschuhe|lauftreff"),),
        "nl": (*_c(0.75, r"marathon|hardlop(?:en|er)|hardloopschoenen"),),
        "fr": (*_c(0.75, r"marathon|course à pied|footing|jogging"),),
        "es": (*_c(0.75, r"marat[oó]n|media marat[oó]n|salir a correr|running"),),
    },
)

CYCLING = FactKind(
    "cycling",
    "Cycling",
    INTEREST,
    {
        "en": (*_c(_STRONG, r"cycling|bike ride|road bike|mountain bik\w*|\bmtb\b|#cycling|my bike\b|sportive"),),
        "da": (*_c(_STRONG, r"cykling|cykeltur\w*|racercykel|mountainbike"),),
        "no": (*_c(_STRONG, r"sykling|sykkeltur\w*|racersykkel|terrengsykkel"),),
        "sv": (*_c(_STRONG, r"cykling|cykeltur\w*|racercykel|mountainbike"),),
        "de": (*_c(_STRONG, r"radfahren|radtour\w*|rennrad|mountainbike"),),
        "nl": (*_c(_STRONG, r"fietsen|fietstocht\w*|wielrenn\w*|racefiets"),),
        "fr": (*_c(_STRONG, r"cyclisme|sortie v[ée]lo|v[ée]lo de route|vtt"),),
        "es": (*_c(_STRONG, r"ciclismo|ruta en bici|bici de carretera"),),
    },
)

COOKING = FactKind(
    "cooking",
    "Cooking",
    INTEREST,
    {
        "en": (
            *_c(_STRONG, r"recipes?\b|home ?cook\w*|(?:love|loves|enjoy) (?:cooking|baking)|#foodie|sourdough"),
            *_c(_MEDIUM, r"cooking|baking|(?:i )?cooked|(?:i )?baked"),
        ),
        "da": (*_c(_STRONG, r"opskrift\w*|madlavning|bagning|elsker at lave mad"),),
        "no": (*_c(_STRONG, r"oppskrift\w*|matlaging|baking|elsker å lage mat"),),
        "sv": (*_c(_STRONG, r"recept\w*|matlagning|bakning|älskar att laga mat"),),
        "de": (*_c(_STRONG, r"rezept\w*|kochen|backen|hobbykoch"),),
        "nl": (*_c(_STRONG, r"recept\w*|koken|bakken|thuiskok"),),
        "fr": (*_c(_STRONG, r"recettes?\b|cuisiner|p[âa]tisserie|fait maison"),),
        "es": (*_c(_STRONG, r"recetas?\b|cocinar|reposter[ií]a|casero"),),
    },
)

TRAVEL = FactKind(
    "travel",
    "Travel",
    INTEREST,
    {
        "en": (
            *_c(
                0.7,
                r"#travel\w*|wanderlust|travel (?:blog\w*|junkie|addict)|(?:love|loves|addicted to) travel(?:l?ing)?|backpacking|bucket ?list",
            ),
            *_c(_WEAK, r"vacation|holiday|getaway"),
        ),
        "da": (*_c(0.7, r"elsker at rejse|rejselyst|#rejse\w*"), *_c(_WEAK, r"ferie")),
        "no": (*_c(0.7, r"elsker å reise|reiselyst|#reise\w*"), *_c(_WEAK, r"ferie")),
        "sv": (*_c(0.7, r"älskar att resa|reslust|#resa\w*"), *_c(_WEAK, r"semester")),
        "de": (*_c(0.7, r"reiselust|fernweh|liebe (?:es zu )?reisen|#reisen"), *_c(_WEAK, r"urlaub")),
        "nl": (*_c(0.7, r"reislust|(?:hou|houd) van reizen|#reizen"), *_c(_WEAK, r"vakantie")),
        "fr": (*_c(0.7, r"j'adore voyager|passionn[ée]e? de voyages?|#voyage\w*"), *_c(_WEAK, r"vacances")),
        "es": (*_c(0.7, r"me encanta viajar|amante de los viajes|#viaje\w*"), *_c(_WEAK, r"vacaciones")),
    },
)

GAMING = FactKind(
    "gaming",
    "Gaming",
    INTEREST,
    {
        "en": (
            *_c(
                0.75,
                r"gaming|gamer|video ?games?|xbox|playstation|\bps[345]\b|nintendo|\bsteam deck|twitch stream\w*|esports?",
            ),
        ),
        "da": (*_c(0.75, r"computerspil|gaming|gamer|konsol"),),
        "no": (*_c(0.75, r"dataspill|gaming|gamer|konsoll"),),
        "sv": (*_c(0.75, r"datorspel|tv-spel|gaming|gamer"),),
        "de": (*_c(0.75, r"videospiele?|zocken|gaming|konsole"),),
        "nl": (*_c(0.75, r"gamen|videospellen|gaming|console"),),
        "fr": (*_c(0.75, r"jeux? vid[ée]o|gaming|gamer|console"),),
        "es": (*_c(0.75, r"videojuegos?|gaming|gamer|consola"),),
    },
)

FOOTBALL = FactKind(
    "football",
    "Football",
    INTEREST,
    {
        "en": (
            *_c(
                0.7,
                r"premier league|champions league|world cup|super ?bowl|\bnfl\b|\bmls\b|season tickets?|soccer|football (?:match|game|season|fan)",
            ),
            *_c(_WEAK, r"football"),
        ),
        "da": (*_c(0.7, r"fodbold\w*|superliga\w*"),),
        "no": (*_c(0.7, r"fotball\w*|eliteserien"),),
        "sv": (*_c(0.7, r"fotboll\w*|allsvenskan"),),
        "de": (*_c(0.7, r"fu(?:ß|ss)ball\w*|bundesliga"),),
        "nl": (*_c(0.7, r"voetbal\w*|eredivisie"),),
        "fr": (*_c(0.7, r"\bfoot\b|football|ligue 1"),),
        "es": (*_c(0.7, r"f[uú]tbol|la liga|partido de f[uú]tbol"),),
    },
)

SKIING = FactKind(
    "skiing",
    "Skiing",
    INTEREST,
    {
        "en": (
            *_c(
                _STRONG,
                r"ski(?:ing|ers?|s)?\b(?! ?(?:mask))|snowboard\w*|ski (?:trip|resort|holiday)|the slopes|apr[eè]s",
            ),
        ),
        "da": (*_c(_STRONG, r"skiferie|skiløb|på ski|snowboard"),),
        "no": (*_c(_STRONG, r"skitur|langrenn|alpint|på ski|snowboard"),),
        "sv": (*_c(_STRONG, r"skidåkning|skidor|skidresa|snowboard"),),
        "de": (*_c(_STRONG, r"skifahren|skiurlaub|skigebiet|snowboard"),),
        "nl": (*_c(_STRONG, r"skiën|skivakantie|wintersport|snowboard"),),
        "fr": (*_c(_STRONG, r"\bski\b|station de ski|snowboard"),),
        "es": (*_c(_STRONG, r"esqu[ií]|esquiar|estaci[oó]n de esqu[ií]|snowboard"),),
    },
)

MUSIC = FactKind(
    "music",
    "Music",
    INTEREST,
    {
        "en": (
            *_c(
                0.7,
                r"my (?:guitar|bass|drums|violin|cello|piano|band)\b|(?:gig|concert|festival) tonight|musician|#music",
            ),
            *_c(_WEAK, r"concert|guitar|band\b"),
        ),
        "da": (*_c(0.7, r"min (?:guitar|bas|klaver)|koncert|musiker"),),
        "no": (*_c(0.7, r"min (?:gitar|bass|piano)|konsert|musiker"),),
        "sv": (*_c(0.7, r"min (?:gitarr|bas|piano)|konsert|musiker"),),
        "de": (*_c(0.7, r"meine (?:gitarre|geige)|konzert|musiker"),),
        "nl": (*_c(0.7, r"mijn (?:gitaar|piano)|concert|muzikant"),),
        "fr": (*_c(0.7, r"ma (?:guitare|basse)|concert|musicien"),),
        "es": (*_c(0.7, r"mi (?:guitarra|bajo)|concierto|m[uú]sico"),),
    },
)

LIFE_EVENTS: tuple[FactKind, ...] = (WEDDING, MOVING_HOUSE, NEW_BABY, NEW_JOB)
INTERESTS: tuple[FactKind, ...] = (
    WILDLIFE_PHOTOGRAPHY,
    PHOTOGRAPHY,
    HIKING,
    RUNNING,
    CYCLING,
    COOKING,
    TRAVEL,
    GAMING,
    FOOTBALL,
    SKIING,
    MUSIC,
)
ALL: tuple[FactKind, ...] = (*LIFE_EVENTS, *INTERESTS)
BY_VALUE: dict[str, FactKind] = {f.value: f for f in ALL}
LIFE_EVENT_VALUES: tuple[str, ...] = tuple(f.value for f in LIFE_EVENTS)
INTEREST_VALUES: tuple[str, ...] = tuple(f.value for f in INTERESTS)
# A wildlife photographer is a photographer: finding the first also states the second.
IMPLIES: dict[str, tuple[str, ...]] = {"wildlife_photography": ("photography",)}

# "My sister is getting married", "his new job": somebody else's life event (looked for just before the cue).
THIRD_PARTY = (
    r"(?:brother|sister|sis|bro|friend|bff|son|daughter|cousin|mom|mum|mother|dad|father|parents|boss|colleague|"
    r"co-?worker|niece|nephew|aunt|uncle|he|she|they|his|her|their|friend's|bror|søster|søn|datter|ven|veninde|"
    r"venn|venninne|syster|dotter|vän|bruder|schwester|sohn|tochter|freund|freundin|broer|zus|zoon|dochter|vriend|"
    r"vriendin|frère|sœur|soeur|fils|fille|ami|amie|hermano|hermana|hijo|hija|amigo|amiga)"
    r"(?:'s|’s|s)?\s+(?:\w+\s+){0,2}$"
)
# "not getting married", "no new job": a negation just before the cue.
NEGATION = (
    r"(?:\bnot|n't|n’t|\bnever|\bno longer|\bno|\bikke|\binte|\bnicht|\bkein\w*|\bniet|\bgeen|\bpas|\bjamais|\bnunca|"
    r"\baldrig|\baldri|\bnoch nicht|\bni)\s+(?:\w+\s+){0,1}$"
)

# The naive approach the evaluation compares with: any of these words anywhere in the text.
KEYWORD_BASELINE: dict[str, tuple[str, ...]] = {
    "wedding": ("wedding", "married", "honeymoon"),
    "moving_house": ("moving", "moved", "new house", "new home", "new apartment"),
    "new_baby": ("baby", "pregnant", "newborn", "infant"),
    "new_job": ("job",),
    "wildlife_photography": ("wildlife",),
    "photography": ("camera", "photo", "photography", "lens"),
    "hiking": ("hike", "hiking"),
    "running": ("run", "running", "marathon"),
    "cycling": ("bike", "cycling"),
    "cooking": ("cook", "cooking", "recipe"),
    "travel": ("travel", "vacation", "trip"),
    "gaming": ("game", "gaming"),
    "football": ("football", "soccer"),
    "skiing": ("ski", "skiing"),
    "music": ("music", "guitar", "concert"),
}
