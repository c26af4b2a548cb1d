"""Sections that apps above the workbench add to the staff case page.

The case page belongs to the workbench, yet some of its sections belong to apps that sit above it
in the layers (电子监察 is shenpi.supervision, whose pages use the workbench's frame and checks).
Such an app registers a provider here from its AppConfig.ready(); the page calls every provider and
puts each answer into its context under the registered name, so the workbench imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CASE_PANELS: dict[str, Callable[[Any, Any], Any]] = {}


def register_case_panel(name: str, provider: Callable[[Any, Any], Any]) -> None:
    """provider(user, case) returns the section's context value (None: nothing to show this user)."""
    CASE_PANELS[name] = provider


def case_panels(user, case) -> dict[str, Any]:
    return {name: provider(user, case) for name, provider in CASE_PANELS.items()}
