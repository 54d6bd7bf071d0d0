"""Reference tables for normalisation: placeholder values, country names, street abbreviations."""
# ruff: noqa: SIM905  (word lists read better as one string each)

# Values people type when a form forces an answer; they must never count as agreement.
# fmt: off
JUNK_VALUES = frozenset((
    "- -- --- . .. 0 00 000 0000 1 123 1234 12345 123456 1234567 ? ?? aaa abc abcd anon anonymous asd "
    "asdf blank customer dummy empty example guest missing n.a. n/a na nil no-name nobody noname none "
    "notknown null qwerty sample tba tbd test tester testing undefined unknown unkown user void x xx xxx"
).split()) | {"no name", "not available", "not known"}
JUNK_EMAIL_LOCALS = frozenset((
    "abc admin anonymous asdf do-not-reply do_not_reply donotreply dummy email example info mail "
    "no-reply no_reply nobody none noreply null sample test tester testing unknown user xxx"
).split())
JUNK_EMAIL_DOMAINS = frozenset((
    "example.com example.net example.org invalid localhost test.com test.test"
).split())
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
COUNTRY_NAMES = {
    "denmark": "DK", "danmark": "DK", "sweden": "SE", "sverige": "SE", "norway": "NO", "norge": "NO",
    "finland": "FI", "suomi": "FI", "iceland": "IS", "germany": "DE", "deutschland": "DE", "netherlands": "NL",
    "nederland": "NL", "the netherlands": "NL", "holland": "NL", "belgium": "BE", "france": "FR", "spain": "ES",
    "espana": "ES", "united kingdom": "GB", "uk": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "ireland": "IE", "united states": "US", "usa": "US", "united states of america": "US", "us": "US",
    "austria": "AT", "osterreich": "AT", "switzerland": "CH", "schweiz": "CH", "suisse": "CH", "italy": "IT",
    "italia": "IT", "portugal": "PT", "poland": "PL", "polska": "PL", "canada": "CA", "australia": "AU",
}
STREET_ABBREVIATIONS = {
    "st": "street", "str": "strasse", "rd": "road", "ave": "avenue", "av": "avenue", "ln": "lane", "dr": "drive",
    "ct": "court", "pl": "place", "sq": "square", "blvd": "boulevard", "hwy": "highway", "v": "vej", "g": "gade",
    "gt": "gata", "gd": "gade", "allee": "alle", "bd": "boulevard",
}
# fmt: on
