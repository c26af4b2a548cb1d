"""The sides of the lifecycle bench by name, and the switch for Shenpi's action hooks.

Free of Django imports at module level: processes spawned by bench/actors.py receive these objects
before they have set Django up.
"""

from __future__ import annotations

import contextlib
import importlib
import traceback
from dataclasses import dataclass

SPIFF, FLOOR = "SpiffWorkflow 3", "floor: psycopg alone"
OURS, OURS_NO_HOOKS = "Shenpi services", "Shenpi services, hooks off"
# The aim: Shenpi's time per case at most this many times the floor's, measured in the same run.
AIM_OVER_FLOOR = 3.0


def hooks_module_exists() -> bool:
    """Whether shenpi.cases.hooks can be found, asked before Django is set up (nothing is imported)."""
    import importlib.util

    return importlib.util.find_spec("shenpi.cases.hooks") is not None


NO_HOOKS_MODULE = ("--no-hooks, --hooks-both: there is no module shenpi.cases.hooks yet, so no action hooks "
                   "to switch off; run without the flag")


def hooks_switch():
    """shenpi.cases.hooks.disabled, the context manager that switches every action hook receiver off.

    Stops the run with a message when the module or the switch does not exist (yet)."""
    try:
        hooks = importlib.import_module("shenpi.cases.hooks")
    except ModuleNotFoundError as exc:
        if exc.name != "shenpi.cases.hooks":
            raise
        raise SystemExit(NO_HOOKS_MODULE) from None
    switch = getattr(hooks, "disabled", None)
    if not callable(switch):
        raise SystemExit("--no-hooks, --hooks-both: shenpi.cases.hooks has no disabled() context manager to switch its "
                         "receivers off; run without the flag")
    return switch


@dataclass(frozen=True)
class SideSpec:
    """Which engine a side runs, and whether Shenpi's action hooks are switched off for it."""

    name: str
    kind: str  # "shenpi", "spiff" or "floor"
    hooks_off: bool = False

    def context(self):
        """Entered around everything the side runs (by every thread that runs it)."""
        return hooks_switch()() if self.hooks_off else contextlib.nullcontext()


def side_specs(spiff: bool = True, floor: bool = True, hooks: str = "on") -> list[SideSpec]:
    """hooks: "on" (as installed), "off" (Shenpi's side runs with them off) or "both" (two Shenpi sides)."""
    if hooks != "on":
        hooks_switch()  # fail before any work
    specs = []
    if hooks in ("on", "both"):
        specs.append(SideSpec(OURS, "shenpi"))
    if hooks in ("off", "both"):
        specs.append(SideSpec(OURS_NO_HOOKS, "shenpi", hooks_off=True))
    if spiff:
        specs.append(SideSpec(SPIFF, "spiff"))
    if floor:
        specs.append(SideSpec(FLOOR, "floor"))
    return specs


# -- for actors in processes of their own (bench/actors.py) ------------------------------------------

@dataclass(frozen=True)
class OfficeRef:
    """The bench office by primary keys, for a process to load it again."""

    department: int
    window: int
    people: dict[str, int]
    item: int

    @classmethod
    def of(cls, office) -> OfficeRef:
        return cls(office.department.pk, office.window.pk, {r: u.pk for r, u in office.people.items()},
                   office.item.pk)

    def load(self):
        from shenpi.accounts.models import User
        from shenpi.catalog.models import Department, Item, Window

        from . import org

        return org.Office(Department.objects.get(pk=self.department), Window.objects.get(pk=self.window),
                          {role: User.objects.get(pk=pk) for role, pk in self.people.items()},
                          Item.objects.get(pk=self.item))


def process_main(pipe, gate, specs: list[SideSpec], office: OfficeRef, seed: int, actor_ids: list[int]) -> None:
    """A spawned process: its own Django setup (DATABASE_URL and SHENPI_VAR_DIR come from the parent's
    environment), runners and threads; it runs rounds on the parent's cue until told to stop."""
    crowd = None
    try:
        import django

        django.setup()
        from django.db import connections

        from .actors import ThreadCrowd
        from .lifecycle import Kit, _queue_notifications_as_in_production

        _queue_notifications_as_in_production()
        kit = Kit(office.load(), specs, seed)
        connections.close_all()  # the threads open their own
        crowd = ThreadCrowd(kit, specs, actor_ids)
        pipe.send(("ready", None))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
        return
    try:
        while (message := pipe.recv()) is not None:
            name, count, timed = message
            try:
                pipe.send(("ok", crowd.run_round(name, count, timed, gate=gate.wait)))
            except BaseException:
                pipe.send(("error", traceback.format_exc()))
                return
    finally:
        crowd.close()
