"""The house as docs/ARCHITECTURE.md draws it: which app may import which, read from the code's own imports."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "rapport"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
PROJECT_MODULES = {"settings", "urls", "wsgi", "cli"}  # outside the floors
FLOOR_ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`(\w+)`\s*\|[^|]*\|([^|]*)\|\s*$")


def documented_floors() -> dict[str, set[str]]:
    """app -> the apps it may import, from the floors table of docs/ARCHITECTURE.md."""
    allowed: dict[str, set[str]] = {}
    for line in DOC.read_text().splitlines():
        m = FLOOR_ROW.match(line)
        if m:
            cell = m.group(3).strip()
            names = set() if cell.startswith("nothing") else {n.strip() for n in cell.split(",")}
            allowed[m.group(2)] = names
    return allowed


def floor_numbers() -> dict[str, int]:
    """app -> its floor, from the same table."""
    return {m.group(2): int(m.group(1)) for line in DOC.read_text().splitlines() if (m := FLOOR_ROW.match(line))}


def production_modules():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "tests" in rel.parts or "migrations" in rel.parts:
            continue
        yield rel, ast.parse(path.read_text(), filename=str(path))


def imported_apps() -> dict[tuple[str, str], set[str]]:
    """(importing app, imported app) -> files, for every import between two of Rapport's apps."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rel, tree in production_modules():
        app = rel.parts[0].removesuffix(".py")
        if app in PROJECT_MODULES:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "rapport" and len(parts) > 1 and parts[1] != app and parts[1] not in PROJECT_MODULES:
                    found[(app, parts[1])].add(str(rel))
    return found


def test_every_app_is_on_a_documented_floor():
    apps = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - PROJECT_MODULES
    assert apps == set(documented_floors())


def test_apps_import_only_the_floors_below_them():
    allowed = documented_floors()
    wrong = {
        f"{app} -> {target}: {sorted(files)}"
        for (app, target), files in imported_apps().items()
        if target not in allowed[app]
    }
    assert not wrong, "imports the architecture document does not allow:\n" + "\n".join(sorted(wrong))


def test_no_app_imports_one_on_a_higher_floor():
    """Exceptions are not listed anywhere: an app below reaches one above only through what the app above
    registers with it (contacts.identities and contacts.matching, filled in by identity)."""
    floor = floor_numbers()
    upward = {
        f"{app} -> {target}: {sorted(files)}"
        for (app, target), files in imported_apps().items()
        if target in floor and floor[target] > floor[app]
    }
    assert not upward, "imports up a floor:\n" + "\n".join(sorted(upward))


def test_the_rules_the_house_stands_on():
    found = imported_apps()
    assert not found.get(("listening", "pipeline")), "listening imports pipeline"
    assert not {t for (a, t) in found if a == "core"}, "core imports a domain app"
    assert not {a for (a, t) in found if t == "api"}, "a domain app imports the API root"


CREATES_IDENTITY = re.compile(
    r"(?<!class )SocialIdentity\(|SocialIdentity\.objects\.(create|get_or_create|update_or_create|bulk_create)\b"
    r"|insert_(ignore|rows)\(\s*SocialIdentity\b"
)


def test_social_identities_are_created_in_one_module():
    creators = set()
    for rel, _ in production_modules():
        if rel.name == "bench.py":  # benchmarks build their own fixtures and baselines
            continue
        if CREATES_IDENTITY.search((SRC / rel).read_text()):
            creators.add(str(rel))
    assert creators == {"identity/accounts.py"}



def test_roles_and_permissions_live_in_one_table():
    """core.services.PERMISSIONS is the one table of what each role may do: no app adds to it at run time."""
    touching = {
        str(rel)
        for rel, tree in production_modules()
        if rel.parts[0] != "core"
        and any(isinstance(n, ast.Name | ast.alias) and getattr(n, "id", getattr(n, "name", "")) == "PERMISSIONS"
                for n in ast.walk(tree))
    }
    assert not touching, touching
