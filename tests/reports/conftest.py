# The performance tests' small city (known figures for October 2026) serves the reports' tests too.
from tests.performance.conftest import frozen, world  # noqa: F401
