"""The floor under any engine's lifecycle on this machine: psycopg alone, no framework, no rules.

Per case, as on the other sides: one transaction to register the case, then five, one per task,
each locking the case row, writing its new state and appending an audit row, then committing.
What it costs is the round trips, the row lock and the commit's flush to disk: no engine that
keeps those per action can go below it.
"""

from __future__ import annotations

import json

from django.db import connection

from .db import OwnSchema

SCHEMA_SQL = (
    """CREATE TABLE IF NOT EXISTS bench_floor.flow (
           id bigserial PRIMARY KEY, state text NOT NULL, version integer NOT NULL DEFAULT 0,
           data jsonb NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS bench_floor.event (
           id bigserial PRIMARY KEY, flow_id bigint NOT NULL REFERENCES bench_floor.flow,
           action text NOT NULL, at timestamptz NOT NULL DEFAULT now(), data jsonb NOT NULL)""",
)
TASKS = ("accept", "examine", "review", "approve", "decide")


class FloorRunner(OwnSchema):
    """Plain SQL on the Django connection's own psycopg connection (Django stays in autocommit)."""

    schema, schema_sql = "bench_floor", SCHEMA_SQL

    @staticmethod
    def _raw():
        connection.ensure_connection()
        return connection.connection

    def start(self, application: dict) -> int:
        raw = self._raw()
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute("INSERT INTO bench_floor.flow (state, data) VALUES ('received', %s) RETURNING id",
                           [json.dumps(application, ensure_ascii=False)])
            flow_id = cursor.fetchone()[0]
            cursor.execute("INSERT INTO bench_floor.event (flow_id, action, data) VALUES (%s, 'receive', '{}')",
                           [flow_id])
        return flow_id

    def complete_task(self, flow_id: int, task: str, data: dict) -> None:
        raw = self._raw()
        with raw.transaction(), raw.cursor() as cursor:
            cursor.execute("SELECT state, version FROM bench_floor.flow WHERE id = %s FOR UPDATE", [flow_id])
            _, version = cursor.fetchone()
            cursor.execute("UPDATE bench_floor.flow SET state = %s, version = %s WHERE id = %s",
                           [task, version + 1, flow_id])
            cursor.execute("INSERT INTO bench_floor.event (flow_id, action, data) VALUES (%s, %s, %s)",
                           [flow_id, task, json.dumps(data, ensure_ascii=False)])
