"""System checks of the processes (`manage.py check`, tag `barnraise`; CI runs it with
`--fail-level WARNING`):

- barnraise.E001: a process version names an action nobody registered;
- barnraise.E002: … a guard nobody registered;
- barnraise.E003: … a timed step, and the engine's timer handler is not registered;
- barnraise.E004: a released version's behaviour changed (its fingerprint is not the one in
  `processes/versions.lock`): publish a new version instead;
- barnraise.E005: a released version is no longer published (its running deals need it);
- barnraise.E006: a version says a state awaits a party, and it has no such state;
- barnraise.E007: a step marked `takes_payment` runs no action that records the payment (the
  card would be authorized and the hold never recorded), or a step not marked so runs one (it
  would find no authorization);
- barnraise.E008: a version has a state with no words for people (`words.STATES`);
- barnraise.W001: a version is not released yet (run `barnraise manage lockprocesses`).
"""

from collections.abc import Iterable
from typing import Any

from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning

from barnraise.commerce import processes, registry
from barnraise.commerce.engine import TIMER_HANDLER
from barnraise.commerce.processes import lock, words
from barnraise.commerce.processes.definitions import Process
from barnraise.timers import services as timers


def _unregistered(process: Process) -> list[CheckMessage]:
    label = f"process {process.name!r} version {process.version}"
    actions, guards = registry.known_actions(), registry.known_guards()
    found: list[CheckMessage] = []
    for step in process.transitions:
        for name in step.actions:
            if name not in actions:
                found.append(
                    Error(
                        f"{label}: step {step.name!r} runs the action {name!r}, which nobody registered.",
                        hint="Register it with registry.register_action() or BARNRAISE_ACTIONS.",
                        id="barnraise.E001",
                    )
                )
        for name in step.guards:
            if name not in guards:
                found.append(
                    Error(
                        f"{label}: step {step.name!r} runs the guard {name!r}, which nobody registered.",
                        hint="Register it with registry.register_guard() or BARNRAISE_GUARDS.",
                        id="barnraise.E002",
                    )
                )
        if step.at and TIMER_HANDLER not in timers.known_handlers():
            found.append(
                Error(
                    f"{label}: step {step.name!r} is timed, and the timer handler "
                    f"{TIMER_HANDLER!r} is not registered.",
                    id="barnraise.E003",
                )
            )
    return found


def _payments(process: Process) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    for step in process.transitions:
        recorders = [name for name in step.actions if registry.records_payment(name)]
        if step.takes_payment and not recorders:
            problem = "takes payment and runs no action that records it"
        elif recorders and not step.takes_payment:
            problem = f"runs {recorders[0]!r}, which records a payment, and is not marked takes_payment"
        else:
            continue
        found.append(
            Error(
                f"process {process.name!r} version {process.version}: step {step.name!r} {problem}.",
                id="barnraise.E007",
            )
        )
    return found


def _awaits(process: Process) -> list[CheckMessage]:
    return [
        Error(
            f"process {process.name!r} version {process.version}: it awaits the {waiting.party} "
            f"in the state {waiting.state!r}, which it does not have.",
            id="barnraise.E006",
        )
        for waiting in process.awaits
        if waiting.state not in process.states
    ]


def _state_words(process: Process) -> list[CheckMessage]:
    return [
        Error(
            f"process {process.name!r} version {process.version}: the state {state!r} has no words "
            "for people to read.",
            hint="Add it to STATES in commerce/processes/words.py.",
            id="barnraise.E008",
        )
        for state in process.states
        if state not in words.STATES
    ]


def _released(published: Iterable[Process], locked: lock.Lock) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    names = set()
    for process in published:
        names.add((process.name, str(process.version)))
        label = f"process {process.name!r} version {process.version}"
        was = lock.released(locked, process)
        if was is None:
            found.append(
                CheckWarning(
                    f"{label} is not released yet: it is not in processes/versions.lock.",
                    hint="Run `barnraise manage lockprocesses` and commit the lock file.",
                    id="barnraise.W001",
                )
            )
        elif was != lock.fingerprint(process):
            found.append(
                Error(
                    f"{label} changed after its release: its states, steps, actors, guards, "
                    "actions, timers or params are not those released.",
                    hint="Undo the change and publish a new version with it (see docs/processes.md).",
                    id="barnraise.E004",
                )
            )
    for name, versions in locked.items():
        for version in versions:
            if (name, version) not in names:
                found.append(
                    Error(
                        f"process {name!r} version {version} was released and is no longer published.",
                        hint="Deals that started on it still run on it: keep it in processes.PROCESSES.",
                        id="barnraise.E005",
                    )
                )
    return found


def check_processes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    published = list(processes.PROCESSES.values())
    found: list[CheckMessage] = []
    for process in published:
        found += _unregistered(process) + _payments(process) + _awaits(process) + _state_words(process)
    return found + _released(published, lock.read())
