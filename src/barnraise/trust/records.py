"""What the conduct services (services.py) and suspensions and appeals (suspensions.py) both
write: the trust log and the revocation of strikes. It sits below both, so
strikes can start a suspension and a granted appeal can revoke strikes without a loop."""

from typing import Any

from django.utils import timezone

from barnraise.accounts.models import User
from barnraise.trust.models import Strike, TrustEvent, TrustEventType


def event_log(
    *, member: User, type: TrustEventType, actor: User | None = None, object_id: Any = "", **data: Any
) -> TrustEvent:
    return TrustEvent.objects.create(
        member=member, type=type, actor=actor, object_id=str(object_id), data=data
    )


def strikes_revoke(*, strikes: list[Strike], actor: User, note: str) -> None:
    now = timezone.now()
    for strike in strikes:
        strike.revoked_at, strike.revoked_by = now, actor
        strike.note = "\n".join(part for part in (strike.note, note.strip()) if part)
        strike.save(update_fields=["revoked_at", "revoked_by", "note"])
        event_log(member=strike.member, type=TrustEventType.STRIKE_REVOKED, actor=actor, object_id=strike.id)
