# The performance tests' small city (known figures for October 2026) serves the aggregates' tests too.
from tests.performance.conftest import frozen, world  # noqa: F401
