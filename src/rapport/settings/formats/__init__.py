"""Rapport's date formats per interface language, over Django's own (settings.FORMAT_MODULE_PATH).

Templates show a date with `|date` (DATE_FORMAT: "2 Dec 2026", Danish "2. dec. 2026") and a timestamp with
`|date:"SHORT_DATETIME_FORMAT"` (English keeps the ISO-like "2026-12-02 14:05"); numbers take the language's
decimal mark and, where a template asks for grouping (`floatformat:"0g"`), its thousands separator.
"""
