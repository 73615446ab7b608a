"""The task queue (huey) with the request id carried along, and one log line per task.

Settings name these classes as `huey_class`. A task enqueued while a request (or another
task) runs carries that request id; in the worker the id is bound again while the task runs,
so its log line, the provider calls it makes and the tasks it enqueues in turn carry it. The
message travels in an envelope that also holds when it was enqueued, from which the metrics
read the age of the oldest waiting task. A message without an envelope (enqueued before this
was deployed) is still read.
"""

import contextvars
import time
from dataclasses import dataclass
from typing import Any

import huey
import structlog
from huey.api import Task, TaskWrapper

from barnraise.observability import logs, metrics

log = structlog.get_logger("barnraise.tasks")
ENVELOPE = "barnraise.task.v1"
DJANGO_TASK = "djtasks.run"  # the huey task that runs every django.tasks task (its path is args[0])
# What huey's signals say when a task did not run now: no task line for them.
_NOT_RUN = {huey.signals.SIGNAL_SCHEDULED}


@dataclass
class _Outcome:
    task_id: str
    signal: str | None = None  # the last of huey's signals for this task: how it ended


_outcome: contextvars.ContextVar[_Outcome | None] = contextvars.ContextVar("task_outcome", default=None)


def task_name(name: str, args: Any) -> str:
    """A task's own name from huey's (a django.tasks task by its function's, the first argument
    of the huey task that runs them all), without its module."""
    if name.endswith(DJANGO_TASK) and args:
        name = str(args[0])
    return name.rsplit(".", 1)[-1]


class TracedTask(Task):  # type: ignore[misc]  # huey has no type hints
    """A task made while a request (or another task) runs keeps its request id from then, also
    when it is enqueued later: django.tasks makes it in the request and enqueues it on commit."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_id = logs.current_request_id()


class TracedTaskWrapper(TaskWrapper):  # type: ignore[misc]  # huey has no type hints
    task_base = TracedTask


class _Traced:
    """The request id, the enqueue time and the task line, on top of a huey class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signal()(self._remember_outcome)  # type: ignore[attr-defined]  # huey's public decorator

    def get_task_wrapper_class(self) -> type[TaskWrapper]:
        return TracedTaskWrapper

    def enqueue(self, task: Any) -> Any:
        if isinstance(task, Task):
            if getattr(task, "request_id", None) is None:  # a periodic task, or one made elsewhere
                task.request_id = logs.current_request_id()  # carried in the envelope
            task.enqueued_at = time.time()
        return super().enqueue(task)  # type: ignore[misc]  # the huey class beside this mixin

    def serialize_task(self, task: Task) -> bytes:
        message = self._registry.create_message(task)  # type: ignore[attr-defined]  # huey's own
        envelope = {
            "envelope": ENVELOPE,
            "message": message,
            "request_id": getattr(task, "request_id", None),
            "enqueued_at": getattr(task, "enqueued_at", None) or time.time(),
        }
        return self.serializer.serialize(envelope)  # type: ignore[attr-defined, no-any-return]  # huey's own

    def deserialize_task(self, data: bytes) -> Task:
        envelope = self.serializer.deserialize(data)  # type: ignore[attr-defined]  # huey's own
        if not (isinstance(envelope, dict) and envelope.get("envelope") == ENVELOPE):
            return self._registry.create_task(envelope)  # type: ignore[attr-defined]  # huey's own
        task = self._registry.create_task(envelope["message"])  # type: ignore[attr-defined]  # huey's own
        task.request_id = envelope.get("request_id")
        task.enqueued_at = envelope.get("enqueued_at")
        return task

    def execute(self, task: Task, timestamp: Any = None) -> Any:
        request_id = logs.request_id_from(getattr(task, "request_id", None)) or logs.new_request_id()
        name = task_name(task.name, task.args)
        outcome = _Outcome(task_id=task.id)
        token = _outcome.set(outcome)
        start = metrics.monotonic()
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id, task=name):
                try:
                    return super().execute(task, timestamp)  # type: ignore[misc]  # the huey class beside this mixin
                finally:
                    self._task_line(task, name, outcome, metrics.monotonic() - start)
        finally:
            _outcome.reset(token)

    def _task_line(self, task: Task, name: str, outcome: _Outcome, seconds: float) -> None:
        if outcome.signal is None or outcome.signal in _NOT_RUN:
            return
        from django.conf import settings

        if settings.METRICS_TOKEN:
            metrics.observe_task(name, outcome.signal, seconds)
        level = (
            "warning"
            if outcome.signal not in (huey.signals.SIGNAL_COMPLETE, huey.signals.SIGNAL_EXECUTING)
            else "info"
        )
        getattr(log, level)(
            "task",
            task_id=task.id,
            outcome=outcome.signal,
            duration_ms=round(seconds * 1000, 2),
            retries_left=task.retries,
        )

    def _remember_outcome(self, signal: str, task: Task, *args: Any) -> None:
        outcome = _outcome.get()
        if outcome is not None and outcome.task_id == task.id and signal != huey.signals.SIGNAL_ENQUEUED:
            outcome.signal = signal


class RedisHuey(_Traced, huey.RedisHuey):  # type: ignore[misc]  # huey has no type hints
    """huey on Redis (REDIS_URL), traced."""


class SqliteHuey(_Traced, huey.SqliteHuey):  # type: ignore[misc]  # huey has no type hints
    """huey on SQLite (the default), traced."""
