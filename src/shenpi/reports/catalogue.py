"""Every report of the standard set, imported so that each registers itself (shenpi.reports.registry)."""

from . import (  # noqa: F401
    case_compare,
    case_overdue,
    case_reports,
    feedback_reports,
    fees_reports,
    process_reports,
    project_reports,
    supervision_reports,
    volume,
)
