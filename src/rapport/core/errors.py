"""Errors every layer raises and every entry point (API, forms, import, stream) reports the same way."""

from __future__ import annotations


class FieldErrors(ValueError):
    """One or more fields are invalid; maps field name to a human message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))

    def detail(self, location: str = "body") -> list[dict]:
        """The errors in the shape of a 422's `detail`, as schema validation reports them (`a.b` -> loc a, b)."""
        errors = self.errors.items()
        return [{"loc": [location, *field.split(".")], "msg": msg, "type": "value_error"} for field, msg in errors]
