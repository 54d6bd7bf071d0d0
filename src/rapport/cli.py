"""The `rapport` command: Django's management commands under one entry point."""

import os
import sys


def main() -> None:
    """Run a `rapport` subcommand (e.g. `rapport demo`, `rapport contacts import FILE`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["rapport", *sys.argv[1:]])


if __name__ == "__main__":
    main()
