"""The `shenpi` console script: Django's management commands under one name.

    shenpi workdays add 2026-09-24 5
    shenpi migrate
    shenpi demo
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shenpi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["shenpi", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
