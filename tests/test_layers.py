"""The import contracts of pyproject.toml ([tool.importlinter], run by `make lint`) hold, and break on a violation.

Each check runs import-linter in its own process on a source tree: the tree here, or a copy with one
import added, since the graph is read from the files and the copy must be the package it finds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = "import sys; from importlinter.cli import lint_imports; " \
       "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"


def lint(src: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LINT, str(ROOT / "pyproject.toml")], cwd=src,
                          env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_source_keeps_every_contract():
    outcome = lint(ROOT / "src")
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert "2 kept, 0 broken" in outcome.stdout


@pytest.mark.parametrize(("module", "added", "broken", "named"), [
    # A lower layer reaching up: the case models would depend on the staff pages.
    ("cases/models.py", "from shenpi.workbench import views  # noqa\n",
     "Apps import only the layers below them BROKEN", "shenpi.cases.models -> shenpi.workbench.views"),
    # Two apps of one layer depending on each other.
    ("online/services.py", "from shenpi.feedback import services as feedback  # noqa\n",
     "Apps import only the layers below them BROKEN", "shenpi.online.services -> shenpi.feedback.services"),
    # A cycle inside one app, closed by an import inside a function: lazy imports count.
    ("notifications/services.py", "\n\ndef _deliver_now():\n    from .tasks import deliver_notifications\n\n"
                                  "    return deliver_notifications()\n",
     "No import cycle between the apps, nor between the modules of an app BROKEN", ".tasks -> .services"),
])
def test_a_violation_breaks_its_contract(tmp_path, module, added, broken, named):
    shutil.copytree(ROOT / "src" / "shenpi", tmp_path / "shenpi",
                    ignore=shutil.ignore_patterns("__pycache__", "templates", "static"))
    with open(tmp_path / "shenpi" / module, "a", encoding="utf-8") as source:
        source.write(added)
    outcome = lint(tmp_path)
    assert outcome.returncode == 1, outcome.stdout + outcome.stderr
    assert broken in outcome.stdout and named in outcome.stdout, outcome.stdout
