"""Enrichment with permission: what can be read from a person's own public posts and form answers (interests and
life events, in Rapport's eight languages), and the next-best-action rules that turn those facts into suggestions.

The reading is plain text in, facts out (`detect.py`, no database), so listening (which owns the posts) runs it
over each linked batch and consent (which owns the forms) over a form's answers; both store through
`consent.services.record_enrichment`, which asks the one consent answer first.
"""
