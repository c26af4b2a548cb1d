"""The same approval flow run by SpiffWorkflow 3.x, persisted per case the way an application would.

Each task is a separate request: load the case's serialized workflow (row locked), restore it,
run the one ready user task, advance the engine, serialize, write it back, commit. The parsed
spec is cached per process, as any application would; everything else happens per request.
"""

from __future__ import annotations

from pathlib import Path

from django.db import connection, transaction
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

from .db import OwnSchema

BPMN_FILE = Path(__file__).with_name("five_tasks.bpmn")
PROCESS_ID = "case_approval"
TASKS = ("accept", "examine", "review", "approve", "decide")

SCHEMA_SQL = (
    """CREATE TABLE IF NOT EXISTS bench_spiff.workflow (
           id bigserial PRIMARY KEY,
           case_key text NOT NULL UNIQUE,
           state jsonb NOT NULL,
           completed boolean NOT NULL DEFAULT false,
           updated_at timestamptz NOT NULL DEFAULT now()
       )""",
)


class SpiffRunner(OwnSchema):
    schema, schema_sql = "bench_spiff", SCHEMA_SQL

    def __init__(self):
        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        self.spec = parser.get_spec(PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer()

    @transaction.atomic
    def start(self, case_key: str, application: dict) -> int:
        """The counterpart of receiving: a new instance with the application, stored."""
        workflow = BpmnWorkflow(self.spec)
        workflow.data.update(application)
        workflow.do_engine_steps()
        state = self.serializer.serialize_json(workflow)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_spiff.workflow (case_key, state) VALUES (%s, %s::jsonb) RETURNING id",
                [case_key, state])
            return cursor.fetchone()[0]

    @transaction.atomic
    def complete_task(self, workflow_id: int, task_name: str, data: dict) -> bool:
        """One request: load, run the ready user task named task_name, save. True when the flow ended."""
        with connection.cursor() as cursor:
            # As text: the serializer parses the JSON itself, so it is parsed once, not twice.
            cursor.execute("SELECT state::text FROM bench_spiff.workflow WHERE id = %s FOR UPDATE", [workflow_id])
            workflow = self.serializer.deserialize_json(cursor.fetchone()[0])
            ready = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                     if t.task_spec.name == task_name]
            if not ready:
                raise RuntimeError(f"task {task_name} is not ready in workflow {workflow_id}")
            task = ready[0]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            cursor.execute(
                "UPDATE bench_spiff.workflow SET state = %s::jsonb, completed = %s, updated_at = now() "
                "WHERE id = %s",
                [self.serializer.serialize_json(workflow), workflow.is_completed(), workflow_id])
            return workflow.is_completed()
