"""Receivers of case actions (cases/hooks.py) for this app."""

from shenpi.cases import hooks  # noqa: F401
