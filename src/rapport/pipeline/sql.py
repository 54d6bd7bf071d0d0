"""Lean bulk writes for the pipeline's hot tables; the helpers live in rapport.core.bulk, shared with the import."""

from rapport.core.bulk import MAX_PARAMS, insert_ignore, insert_rows, json_value, select_in

__all__ = ["MAX_PARAMS", "insert_ignore", "insert_rows", "json_value", "select_in"]
