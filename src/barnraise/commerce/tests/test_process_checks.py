"""`manage.py check` guards the processes: every step they name is registered, and a released
version keeps its behaviour (its fingerprint in processes/versions.lock); wording may change."""

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from barnraise.commerce import engine, processes
from barnraise.commerce.processes import lock
from barnraise.commerce.processes.definitions import INITIAL, At, Awaits, Process, Say, Transition
from barnraise.timers import services as timers


def _check() -> str:
    """`manage.py check --tag barnraise --fail-level WARNING`: its messages, or "" if it passes."""
    try:
        call_command("check", "--tag", "barnraise", "--fail-level", "WARNING")
    except SystemCheckError as error:
        return str(error)
    return ""


def _new_booking_version(*steps: Transition) -> Process:
    return replace(processes.get("booking", 2), version=99, transitions=steps, awaits=())


def _edit_step(process: Process, name: str, **changes: Any) -> Process:
    steps = tuple(replace(t, **changes) if t.name == name else t for t in process.transitions)
    return replace(process, transitions=steps)


@pytest.fixture
def lock_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A copy of the committed lock file, read and written instead of it."""
    copy = tmp_path / "versions.lock"
    copy.write_bytes(lock.LOCK_PATH.read_bytes())
    monkeypatch.setattr(lock, "LOCK_PATH", copy)
    return copy


def test_the_published_processes_pass_the_checks() -> None:
    # given the published versions and the committed lock file
    # when the checks run
    # then they pass: every step is registered, every released version is as released
    assert _check() == ""


def test_a_version_naming_an_unregistered_action_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, lock_copy: Path
) -> None:
    # given a new version whose step runs an action nobody registered
    step = Transition(
        "request", (INITIAL,), "requested", "customer", actions=("set_line_items", "send_pigeon")
    )
    monkeypatch.setitem(processes.PROCESSES, ("booking", 99), _new_booking_version(step))
    before = lock_copy.read_bytes()
    # when the checks run
    found = _check()
    # then they fail with barnraise.E001 naming it, and nothing was written
    assert (
        "(barnraise.E001) process 'booking' version 99: step 'request' runs the action 'send_pigeon'" in found
    )
    assert "set_line_items" not in found
    assert lock_copy.read_bytes() == before


def test_a_version_naming_an_unregistered_guard_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a new version whose step runs a guard nobody registered
    step = Transition("request", (INITIAL,), "requested", "customer", guards=("weekday_only",))
    monkeypatch.setitem(processes.PROCESSES, ("booking", 99), _new_booking_version(step))
    # when the checks run
    found = _check()
    # then they fail with barnraise.E002 naming it
    assert (
        "(barnraise.E002) process 'booking' version 99: step 'request' runs the guard 'weekday_only'" in found
    )


def test_a_timed_step_without_the_timer_handler_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the engine's timer handler is not registered (its app did not register it)
    monkeypatch.delitem(timers._handlers, engine.TIMER_HANDLER)
    # when the checks run
    found = _check()
    # then every timed step of every version is named, under barnraise.E003
    assert "(barnraise.E003) process 'booking' version 1: step 'expire' is timed" in found
    assert "(barnraise.E003) process 'purchase' version 2: step 'auto_complete' is timed" in found
    assert "'request' version 2: step 'offer'" not in found


EDITS: dict[str, tuple[str, Callable[[Transition], dict[str, Any]]]] = {
    "an action added": ("dispute", lambda t: {"actions": (*t.actions, "open_reviews")}),
    "a guard dropped": ("cancel_by_customer", lambda t: {"guards": ()}),
    "a timer moved": ("expire", lambda t: {"at": (At("entered_state", timedelta(days=5)),)}),
    "a param added": ("request", lambda t: {"params": (*t.params, "promo_code")}),
    "another actor": ("accept", lambda t: {"actor": "operator"}),
    "another state": ("decline", lambda t: {"to": "rejected"}),
    "money taken": ("request", lambda t: {"takes_payment": True}),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_a_released_version_whose_behaviour_changed_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, edit: str
) -> None:
    # given released booking version 1, edited in place
    name, change = EDITS[edit]
    released = processes.get("booking", 1)
    step = released.transition(name)
    assert step is not None
    monkeypatch.setitem(processes.PROCESSES, ("booking", 1), _edit_step(released, name, **change(step)))
    # when the checks run
    found = _check()
    # then they fail with barnraise.E004 for that version only
    assert "(barnraise.E004) process 'booking' version 1 changed after its release" in found
    assert found.count("barnraise.E004") == 1


def test_rewording_a_released_version_passes_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # given released booking version 1 with every word changed: buttons, timeline, notices,
    # who is told, descriptions and what it awaits
    released = processes.get("booking", 1)
    reworded = replace(
        released,
        description="Reworded.",
        awaits=(Awaits("requested", "provider", "a yes or a no"),),
        transitions=tuple(
            replace(t, description="Reworded.", say=Say("Go", "went", "Hey", ("customer", "provider")))
            for t in released.transitions
        ),
    )
    monkeypatch.setitem(processes.PROCESSES, ("booking", 1), reworded)
    # when the checks run
    # then they pass
    assert _check() == ""


def test_a_released_version_no_longer_published_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # given released inquiry version 1 is removed from the published versions
    monkeypatch.delitem(processes.PROCESSES, ("inquiry", 1))
    # when the checks run
    # then they fail with barnraise.E005
    assert "(barnraise.E005) process 'inquiry' version 1 was released and is no longer published" in _check()


def test_awaiting_a_state_the_process_lacks_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a version that says it awaits the provider in a state it never reaches
    released = processes.get("booking", 2)
    odd = replace(released, awaits=(Awaits("shipped", "provider", "the parcel"),))
    monkeypatch.setitem(processes.PROCESSES, ("booking", 2), odd)
    # when the checks run
    # then they fail with barnraise.E006
    assert (
        "(barnraise.E006) process 'booking' version 2: it awaits the provider in the state 'shipped'"
        in _check()
    )


def test_lockprocesses_releases_a_new_version_and_keeps_the_released_ones(
    monkeypatch: pytest.MonkeyPatch, lock_copy: Path
) -> None:
    # given a new version (named steps all registered), not yet in the lock file
    new = _new_booking_version(*processes.get("booking", 2).transitions)
    monkeypatch.setitem(processes.PROCESSES, ("booking", 99), new)
    before = lock.read(lock_copy)
    assert "(barnraise.W001) process 'booking' version 99 is not released yet" in _check()
    # when the command runs
    call_command("lockprocesses")
    # then the new version is released with its fingerprint, the others as they were
    after = lock.read(lock_copy)
    assert after["booking"].pop("99") == lock.fingerprint(new)
    assert after == before
    assert _check() == ""


def test_lockprocesses_never_rewrites_a_released_version(
    monkeypatch: pytest.MonkeyPatch, lock_copy: Path
) -> None:
    # given released booking version 1, edited in place
    released = processes.get("booking", 1)
    monkeypatch.setitem(
        processes.PROCESSES, ("booking", 1), _edit_step(released, "accept", guards=("before_start",))
    )
    before = lock_copy.read_bytes()
    # when the command runs
    with pytest.raises(CommandError, match="booking version 1"):
        call_command("lockprocesses")
    # then the lock file is unchanged, and the check still fails
    assert lock_copy.read_bytes() == before
    assert "barnraise.E004" in _check()


def test_a_step_taking_payment_without_recording_it_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a new version whose request takes payment and records no hold, and whose book
    # records a hold it never took
    request = Transition("request", (INITIAL,), "requested", "customer", takes_payment=True)
    book = Transition("book", (INITIAL,), "payment_pending", "customer", actions=("hold_payment",))
    monkeypatch.setitem(processes.PROCESSES, ("booking", 99), _new_booking_version(request, book))
    # when the checks run
    found = _check()
    # then both are named under barnraise.E007
    assert "(barnraise.E007) process 'booking' version 99: step 'request' takes payment and runs no" in found
    assert "(barnraise.E007) process 'booking' version 99: step 'book' runs 'hold_payment'" in found
