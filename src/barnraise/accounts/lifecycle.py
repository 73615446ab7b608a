"""Hooks other contexts register so that a member's data export and account deletion cover them.

Accounts sits at the bottom of the dependency graph and imports no other context; each context
that keeps member data registers its part in its `AppConfig.ready()`:

    lifecycle.register_export("listings", catalog.selectors.listings_export_for)
    lifecycle.register_deletion(catalog.services.listings_close_for_deleted_member)

Export sections return JSON-ready data. Deletion steps run inside the deletion transaction and
must keep history that others depend on (transactions, reviews, ledger rows), removing or
anonymising only what is personal.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from barnraise.accounts.models import User

ExportSection = Callable[["User"], Any]
DeletionStep = Callable[["User"], None]

_export_sections: dict[str, ExportSection] = {}
_deletion_steps: list[DeletionStep] = []


def register_export(name: str, section: ExportSection) -> None:
    _export_sections[name] = section


def register_deletion(step: DeletionStep) -> None:
    if step not in _deletion_steps:
        _deletion_steps.append(step)


def export_sections() -> dict[str, ExportSection]:
    return dict(_export_sections)


def deletion_steps() -> list[DeletionStep]:
    return list(_deletion_steps)
