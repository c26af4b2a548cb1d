"""Statistics read from a read replica where the centre has one (SHENPI_REPLICA_URL).

When SHENPI_REPLICA_URL is set, settings add the database alias `replica` and install
`ReplicaRouter`: reads of the statistics' own tables (this app's models) go to the replica,
every write goes to the primary (`default`). Report pages that read cases for a drill-down ask
`reading()` for the alias and pass it to `.using()`; without a replica it is `default`.

Inside a transaction on the primary, reads stay on the primary: a job that rebuilds aggregates (or
a report being stored) must see its own uncommitted writes, which the replica never has, and a
SELECT … FOR UPDATE can only lock rows on the primary.

The replica lags the primary by its replication delay; the "as of" time pages show is read from
the replica's own copy of the upkeep row, so it says how fresh the figures on the page really are.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
# Apps whose reads the router sends to the replica.
READ_APPS = frozenset({"figures"})


def has_replica() -> bool:
    return REPLICA in connections.settings


def reading() -> str:
    """The alias to read statistics (and the cases behind them) from: the replica when there is one,
    unless the primary is inside a transaction (which must read its own writes)."""
    if has_replica() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return REPLICA
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Statistics' reads to the replica, all writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in READ_APPS:
            return reading()
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: a case read from the replica may be related to a primary row.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary by replication; migrations run on the primary alone.
        return False if db == REPLICA else None
