"""Field validation shared by the API, the web forms and the CSV import: one set of rules, one set of messages."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from rapport.contacts.models import LifecycleStage
from rapport.core.errors import FieldErrors

if TYPE_CHECKING:
    import phonenumbers

MAX_LENGTHS = {
    "external_id": 100,
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "job_title": 150,
    "street": 200,
    "city": 100,
    "postcode": 20,
    "region": 100,
    "customer_number": 64,
    "organisation": 200,
}
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")
_STAGES = frozenset(LifecycleStage.values)  # the enum's .values is rebuilt on every access
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")



_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_LOCAL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*$")


@lru_cache(maxsize=8192)
def _valid_domain(domain: str) -> str | None:
    """The normalised domain if email_validator accepts it, else None; domains repeat, so this is cached."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def clean_email(value: str) -> str:
    """Return the normalised email (lower-case) or raise ValueError with the reason."""
    value = value.strip()
    if not value:
        return ""
    # Fast path for the common plain ASCII address: the local part is checked here with email_validator's dot-atom
    # rule and the domain by email_validator itself (cached); anything unusual takes the full validator below.
    local, at, domain = value.rpartition("@")
    if at and len(value) <= 254 and len(local) <= 64 and domain.isascii() and _PLAIN_LOCAL.match(local):
        normalised = _valid_domain(domain.lower())
        if normalised is not None:
            return f"{local}@{normalised}".lower()
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not a valid email address ({exc})") from None
    return info.normalized.lower()


def clean_phone(value: str, *, country: str = "") -> str:
    """Return the phone number in E.164 or raise ValueError; numbers without +CC use the country, then the default."""
    value = value.strip()
    if not value:
        return ""
    import phonenumbers  # libphonenumber's tables take a tenth of a second: loaded when a phone is first read

    region = (country or settings.RAPPORT_DEFAULT_REGION or "GB").upper()
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{value!r} is not a phone number") from None
    # A valid number always has a possible length, so is_possible_number would add nothing here.
    if not _valid_number(number):
        raise ValueError(f"{value!r} is not a valid phone number for region {region}")
    # E.164 is "+", the calling code and the national significant number: format_number's result, built directly.
    return f"+{number.country_code}{phonenumbers.national_significant_number(number)}"


def _valid_number(number: phonenumbers.PhoneNumber) -> bool:
    import phonenumbers

    # Most numbers belong to the main region of their calling code; trying it first skips is_valid_number's search
    # over every region sharing the code (a number valid there is valid, so the full check only runs for the rest).
    main = phonenumbers.region_code_for_country_code(number.country_code)
    return phonenumbers.is_valid_number_for_region(number, main) or phonenumbers.is_valid_number(number)


_DATE_FORMS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), (1, 2, 3)),  # ISO 8601, 1990-02-13
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), (3, 2, 1)),  # German, Danish, Norwegian: 13.02.1990
)


def clean_date(value: str | date | None) -> date | None:
    """Parse a date of birth (YYYY-MM-DD, or DD.MM.YYYY as German and Nordic spreadsheets write it).

    A value in a known form that names no real day says so ("1990-02-30 is not a date: ..."), rather than blaming
    the form."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        parsed = value
    else:
        text = str(value).strip()
        for pattern, (y, m, d) in _DATE_FORMS:
            match = pattern.match(text)
            if match:
                try:
                    parsed = date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
                except ValueError as exc:
                    raise ValueError(f"{text} is not a date: {exc}") from None
                break
        else:
            raise ValueError(f"{value!r} is not a date in the form YYYY-MM-DD (or DD.MM.YYYY)")
    if parsed.year < 1900 or parsed > date.today():
        raise ValueError(f"{parsed.isoformat()} is not a plausible date of birth")
    return parsed


def clean_person_fields(data: dict) -> dict:
    """Validate and normalise person fields; raise FieldErrors naming every bad field."""
    errors: dict[str, str] = {}
    out: dict = {}
    for field, value in data.items():
        if value is None and field not in ("date_of_birth",):
            value = ""
        try:
            if isinstance(value, str):
                if CONTROL_RE.search(value):
                    raise ValueError("contains control characters")
                value = value.strip()
                limit = MAX_LENGTHS.get(field)
                if limit and len(value) > limit:
                    raise ValueError(f"is longer than {limit} characters")
            if field == "email":
                value = clean_email(value)
            elif field == "phone":
                value = clean_phone(value, country=str(data.get("country") or ""))
            elif field == "date_of_birth":
                value = clean_date(value)
            elif field == "country":
                if value and not COUNTRY_RE.match(value):
                    raise ValueError(f"{value!r} is not a two-letter ISO country code")
                value = value.upper()
            elif field == "lifecycle_stage":
                value = (value or LifecycleStage.LEAD).lower()
                if value not in _STAGES:
                    raise ValueError(f"{value!r} is not one of {', '.join(LifecycleStage.values)}")
            elif field == "tags":
                value = clean_tags(value)
        except ValueError as exc:
            errors[field] = str(exc)
            continue
        out[field] = value
    if errors:
        raise FieldErrors(errors)
    return out


def clean_tags(value: str | list[str] | None) -> list[str]:
    """Tags from a list or a comma/semicolon separated string: trimmed, lower-case, unique, in order."""
    if not value:
        return []
    items = re.split(r"[;,]", value) if isinstance(value, str) else value
    seen: list[str] = []
    for item in items:
        tag = str(item).strip().lower()[:50]
        if tag and tag not in seen:
            seen.append(tag)
    return seen
