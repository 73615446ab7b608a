"""The cancellation policies a listing may name.

The policies are commerce's (admin-edited schedules, snapshotted on each deal); commerce
registers where to read them in its `ready()`, so catalog keeps no dependency on commerce. Each
is `{slug, name, summary}`, the summary in plain words ("Full refund until 5 days before the
start, half after.").
"""

from collections.abc import Callable

PolicyView = dict[str, str]
_sources: list[Callable[[], dict[str, PolicyView]]] = []


def register_policy_source(source: Callable[[], dict[str, PolicyView]]) -> None:
    """`source()` returns every policy a listing may name, by slug."""
    _sources[:] = [source]


def policies() -> dict[str, PolicyView]:
    return _sources[0]() if _sources else {}


def policy_view(slug: str) -> PolicyView:
    """The named policy; one deleted since the listing chose it shows by its slug alone."""
    return policies().get(slug) or {"slug": slug, "name": slug, "summary": ""}
