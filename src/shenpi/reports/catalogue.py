"""Every report of the standard set, imported so that each registers itself (shenpi.reports.registry)."""

from . import (  # noqa: F401
    process_reports,
    supervision_reports,
)
