"""Per-process copies of small tables that operators change seldom and every search or deal
reads: the category tree, the fee rules, the cancellation policies.

A copy is kept for `seconds`, one per database (benches and tests switch databases). It is
dropped when this process saves or deletes a row of one of its models (the app connects the
signals with `connect`), and again once that commits, since a reader in between may have read
the old rows. Another process sees a change within `seconds`. A copy read while a change was
dropping it is not kept: the generation moved.
"""

from collections.abc import Callable
from time import monotonic
from typing import Any, Generic, TypeVar

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_all: list["LocalCopy[Any]"] = []


class LocalCopy(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, seconds: float = 30.0) -> None:
        self.name = name
        self.load = load
        self.seconds = seconds
        self._copies: dict[str, tuple[float, T]] = {}
        self._generation = 0
        _all.append(self)

    def get(self) -> T:
        key = str(connection.settings_dict.get("NAME"))
        cached = self._copies.get(key)
        now = monotonic()
        if cached is not None and now - cached[0] < self.seconds:
            return cached[1]
        generation = self._generation
        value = self.load()
        if generation == self._generation:
            self._copies[key] = (now, value)
        return value

    def clear(self) -> None:
        self._generation += 1
        self._copies.clear()

    def forget(self, **_: Any) -> None:
        """A post_save / post_delete receiver: drop the copy now, and again when it commits."""
        self.clear()
        transaction.on_commit(self.clear)

    def connect(self, *models: type[Model]) -> None:
        for model in models:
            uid = f"copy:{self.name}:{model._meta.label}"
            post_save.connect(self.forget, sender=model, dispatch_uid=uid, weak=False)
            post_delete.connect(self.forget, sender=model, dispatch_uid=uid, weak=False)


def clear_all() -> None:
    """Drop every copy (tests: a rolled-back test's rows must not outlive it)."""
    for copy in _all:
        copy.clear()
