"""Every report of the standard set, imported so that each registers itself (shenpi.reports.registry)."""
