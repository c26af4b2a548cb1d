"""Every report of the standard set, imported so that each registers itself (shenpi.reports.registry)."""

from . import case_compare, case_overdue, case_reports, feedback_reports, fees_reports, project_reports  # noqa: F401
