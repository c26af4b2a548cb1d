"""Every report of the standard set, imported so that each registers itself (shenpi.reports.registry)."""

from . import volume  # noqa: F401  办件量
