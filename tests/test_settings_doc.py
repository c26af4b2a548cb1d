from pathlib import Path

from shenpi.cli import settings_doc


def test_settings_reference_matches_the_declarations():
    committed = (Path(__file__).parents[1] / "docs" / "settings.md").read_text()
    assert committed == settings_doc(), "docs/settings.md is stale: run `shenpi settings-doc > docs/settings.md`"
