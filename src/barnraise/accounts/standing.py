"""Hooks other contexts register about a member's standing and the texts others will read.

Accounts sits at the bottom of the dependency graph and imports no other context. Safety
(`barnraise.trust`) registers its parts in its `AppConfig.ready()`:

    standing.register_guard(trust.selectors.member_require_good_standing)
    standing.register_text_screen(trust.services.public_text_screen)

`user_require_verified_email` runs the guards, so everything that needs a verified address
(publishing, deals, messages) also needs a member in good standing. Services that store a text
shown to other members (a bio, a listing) pass it through `public_text` first.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from barnraise.accounts.models import User

Guard = Callable[["User"], None]


class TextScreen(Protocol):
    def __call__(self, *, author: "User", text: str, where: str, subject_id: str = "") -> str: ...


_guards: list[Guard] = []
_screens: list[TextScreen] = []


def register_guard(guard: Guard) -> None:
    """`guard(user)` raises a DomainError when the member may not publish or transact."""
    if guard not in _guards:
        _guards.append(guard)


def register_text_screen(screen: TextScreen) -> None:
    if screen not in _screens:
        _screens.append(screen)


def require_good_standing(user: "User") -> None:
    for guard in _guards:
        guard(user)


def public_text(*, author: "User", text: str, where: str, subject_id: str = "") -> str:
    """The text as other members may read it (contact details masked by the registered screens)."""
    for screen in _screens:
        text = screen(author=author, text=text, where=where, subject_id=subject_id)
    return text
