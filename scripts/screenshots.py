"""Fresh screenshots of the demo for the README, taken as each role would see the page.

Run against a served demo (`make demo`, or `rapport demo --port 8000`), with the demo password:

    RAPPORT_DEMO_PASSWORD=... .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000]

It signs in as agent@ (the inbox), demo@ (the admin's settings) and marketer@ (mentions) in headless
Chromium and writes docs/screenshot-*.png.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.browser.conftest import ARGS, CHROMIUM  # noqa: E402  the browser tests' own flags for this machine

SHOTS = [
    # (who signs in, path, file, what to wait for)
    ("agent", "/inbox/", "screenshot-inbox.png", "#queue tbody tr"),
    ("demo", "/settings/", "screenshot-settings.png", "main"),
    ("marketer", "/mentions/?period=30d", "screenshot-mentions.png", "svg"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--chromium", default=CHROMIUM)
    args = parser.parse_args()
    password = os.environ["RAPPORT_DEMO_PASSWORD"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=ARGS, headless=True)
        for who, path, name, ready in SHOTS:
            context = browser.new_context(viewport={"width": 1360, "height": 860}, device_scale_factor=1)
            page = context.new_page()
            page.goto(f"{args.url}/login/")
            page.fill("input[name=username]", f"{who}@rapport.example")
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(args.url + path)
            page.wait_for_selector(ready)
            page.wait_for_timeout(1500)  # the inbox's first live poll, the charts' layout
            page.screenshot(path=str(Path(args.out) / name), full_page=False)
            print(f"{who}@ {path} -> {name}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
