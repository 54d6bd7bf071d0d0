"""Every string Rapport marks for translation is translated in every shipped language, and the compiled catalogues
Rapport loads (.mo, committed) say what the translators' files (.po) say.

The strings are extracted the way `rapport django makemessages` does (Django's templatize, then GNU xgettext), so
a string wrapped in a template or a gettext call without a translation fails here, naming it.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.translation.template import templatize

SOURCE = Path(settings.BASE_DIR)
LOCALE = SOURCE / "locale"
SHIPPED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# The keywords makemessages passes to xgettext for the django domain (gettext, _ and ngettext are xgettext's own).
KEYWORDS = [
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
]


@pytest.fixture(scope="module", autouse=True)
def _gettext_tools():
    for tool in ("xgettext", "msgen", "msgfmt"):
        if shutil.which(tool) is None:
            pytest.fail(f"GNU gettext's {tool} is not installed: `make test` installs Debian's gettext package")


def _sources() -> tuple[list[Path], list[Path]]:
    """(Python modules, templates) of the product, as makemessages walks them (tests and migrations left out)."""
    python, templates = [], []
    for path in sorted(SOURCE.rglob("*")):
        parts = set(path.relative_to(SOURCE).parts)
        if not path.is_file() or parts & {"tests", "migrations", "locale", "static", "__pycache__"}:
            continue
        if path.suffix == ".py":
            python.append(path)
        elif "templates" in parts and path.suffix in {".html", ".txt", ".js"}:
            templates.append(path)
    return python, templates


def _catalogue(mo: Path) -> dict:
    with mo.open("rb") as fh:
        return dict(gettext.GNUTranslations(fh)._catalog)  # type: ignore[attr-defined]


def _key_text(key) -> str:
    text = key[0] if isinstance(key, tuple) else key
    context, _, msgid = text.rpartition("\x04")
    return f"[{context}] {msgid}" if context else msgid


@pytest.fixture(scope="module")
def marked(tmp_path_factory) -> set:
    """The catalogue keys of every marked string: msgid, or context + EOT + msgid (a plural's keys are tuples)."""
    work = tmp_path_factory.mktemp("extract")
    python, templates = _sources()
    templatized = []
    for i, path in enumerate(templates):
        out = work / f"t{i}.py"
        out.write_text(templatize(path.read_text(encoding="utf-8"), origin=str(path)), encoding="utf-8")
        templatized.append(out)
    pot = work / "django.pot"
    files = work / "files.txt"
    files.write_text("\n".join(str(p) for p in [*python, *templatized]), encoding="utf-8")
    subprocess.run(
        ["xgettext", "--language=Python", "--from-code=UTF-8", *KEYWORDS, f"--files-from={files}", f"--output={pot}"],
        check=True,
        capture_output=True,
    )
    english = work / "en.mo"
    msgen = subprocess.run(["msgen", str(pot)], check=True, capture_output=True)
    # xgettext leaves the plural header as a placeholder, which gettext cannot parse once plurals are marked.
    po = msgen.stdout.replace(b"nplurals=INTEGER; plural=EXPRESSION;", b"nplurals=2; plural=(n != 1);")
    subprocess.run(["msgfmt", "-o", str(english), "-"], input=po, check=True, capture_output=True)
    keys = {key for key in _catalogue(english) if key != ""}
    assert len(keys) > 300, "the extraction found almost nothing: is the source tree where settings.BASE_DIR says?"
    return keys


@pytest.mark.parametrize("language", SHIPPED)
def test_every_marked_string_is_translated(marked, language, tmp_path):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    assert po.exists(), f"{po} is missing"
    assert "#, fuzzy" not in po.read_text(encoding="utf-8"), f"{po} has fuzzy entries: review and clear them"
    fresh = tmp_path / "django.mo"
    # --check also checks each translation's python-format placeholders against its msgid
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(po)], check=True, capture_output=True)
    translated = {key for key, text in _catalogue(fresh).items() if key != "" and text}
    missing = sorted(_key_text(key) for key in marked - translated)
    assert not missing, f"{language}: {len(missing)} strings without a translation: {missing[:20]}"
    stale = sorted(_key_text(key) for key in translated - marked)
    assert not stale, f"{language}: translations of strings no longer in the source (run makemessages): {stale[:20]}"


@pytest.mark.parametrize("language", SHIPPED)
def test_the_committed_mo_is_compiled_from_the_po(language, tmp_path):
    """Rapport loads the .mo; a .po edited without `rapport django compilemessages` would not show."""
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True, capture_output=True)
    assert _catalogue(LOCALE / language / "LC_MESSAGES" / "django.mo") == _catalogue(fresh), (
        f"{language}: django.mo is stale: run `rapport django compilemessages`"
    )
