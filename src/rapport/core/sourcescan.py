"""Reading a module's declarations from its source without importing it (no Django, no heavy library): what
`rapport --help` and the `bench`/`eval` registries need to list commands fast."""

from __future__ import annotations

import ast
from pathlib import Path


def parse(path: Path) -> ast.Module | None:
    """The module's syntax tree, or None when it cannot be read."""
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def string_constant(body: list[ast.stmt], name: str) -> str | None:
    """The string assigned to `name` at this level of the body (`NAME = "pipeline"`, `help = "..."`), if any."""
    for node in body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None
