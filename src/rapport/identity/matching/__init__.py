"""Rapport identity resolution: deterministic and probabilistic matching of contact records.

Works on plain records (dicts or dataclasses with the contact fields), never on Django models, so
the identity app can feed it rows from the database and store the fitted parameters per workspace.

    from rapport.identity.matching import CandidateIndex, Matcher, link, dedupe, extract_identifiers
    matcher = Matcher.default()               # or Matcher.from_params(stored_dict)
    index = CandidateIndex(); index.add(contacts)
    results = link(incoming, index, matcher)  # LinkResult(record_id, contact_id, score, decision, match)
"""

from .blocking import CandidateIndex
from .compare import FIELDS, LEVELS, compare
from .identifiers import Identifiers, extract_identifiers, extract_mentions
from .linking import LinkResult, dedupe, link, link_one
from .matcher import (
    DEFAULT_LINK_THRESHOLD,
    DEFAULT_REVIEW_THRESHOLD,
    FieldComparison,
    Match,
    Matcher,
    decide,
    explain_text,
)
from .normalise import NormalisedRecord, is_junk, normalise_email, normalise_phone, normalise_record

__all__ = [
    "DEFAULT_LINK_THRESHOLD",
    "DEFAULT_REVIEW_THRESHOLD",
    "FIELDS",
    "LEVELS",
    "CandidateIndex",
    "FieldComparison",
    "Identifiers",
    "LinkResult",
    "Match",
    "Matcher",
    "NormalisedRecord",
    "compare",
    "decide",
    "dedupe",
    "explain_text",
    "extract_identifiers",
    "extract_mentions",
    "is_junk",
    "link",
    "link_one",
    "normalise_email",
    "normalise_phone",
    "normalise_record",
]
