"""Operator groups and what each may see in the admin.

Operators are staff members in one or more of these groups. The admin shows a staff member only
the models their permissions name, so each group sees just what its work needs. Money actions
need `finance`. The permissions are re-synced after every migrate, so new models are covered as
soon as their app lists them here.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission

from barnraise.accounts.models import User
from barnraise.errors import PermissionDenied

SUPPORT = "support"
FINANCE = "finance"
ADMIN = "admin"
GROUPS = (SUPPORT, FINANCE, ADMIN)


def operator_in(user: User | None, *groups: str) -> bool:
    """Whether `user` is an active operator in one of `groups`. The `admin` group and
    superusers are in every group. The one check of who is an operator: services, the API,
    pages and the engine all ask it, so no caller can skip or vary it."""
    if user is None or not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    unknown = set(groups) - set(GROUPS)
    if unknown or not groups:
        raise ValueError(f"operator groups are {GROUPS}, not {sorted(unknown) or 'none'}")
    cached: frozenset[str] | None = getattr(user, "_operator_groups", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=GROUPS).values_list("name", flat=True))
        user._operator_groups = cached  # type: ignore[attr-defined]  # per request, as Django's _perm_cache
    return ADMIN in cached or not cached.isdisjoint(groups)


def require_operator(user: User | None, *groups: str) -> None:
    """PermissionDenied unless `user` is an operator in one of `groups`."""
    if not operator_in(user, *groups):
        raise PermissionDenied()


# app_label -> model -> actions, per group. "admin" gets every permission there is.
GROUP_PERMISSIONS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    SUPPORT: {
        "accounts": {
            "user": ("view", "change"),
            "apitoken": ("view",),
            "document": ("view", "change"),
            "phonenumber": ("view",),
            "skilltest": ("view", "add", "change"),
            "skillquestion": ("view", "add", "change", "delete"),
            "skillattempt": ("view",),
            "portfolioitem": ("view",),
        },
        "reputation": {
            "review": ("view",),
            "reputation": ("view",),
            "categoryaspects": ("view", "add", "change"),
        },
        "account": {"emailaddress": ("view",)},
        "notifications": {"notification": ("view",)},
        "catalog": {"category": ("view",), "listing": ("view", "change")},
        "commerce": {
            "transaction": ("view", "change"),
            "booking": ("view",),
            "dispute": ("view",),
            "disputeevidence": ("view",),
        },
        "timers": {"timer": ("view",)},
        "trust": {
            "report": ("view", "change"),
            "appeal": ("view", "change"),
            "strike": ("view", "change"),
            "suspension": ("view", "change"),
            "violation": ("view",),
            "trustevent": ("view",),
            "trustpolicy": ("view",),
        },
        "messaging": {"conversation": ("view",), "message": ("view",)},
    },
    FINANCE: {
        "accounts": {"user": ("view",)},
        "catalog": {"listing": ("view",)},
        "commerce": {
            "transaction": ("view",),
            "feerule": ("view", "add", "change"),
            "feeamount": ("view", "add", "change"),
            "taxrate": ("view", "add", "change"),
            "commercepolicy": ("view", "change"),
        },
        "ledger": {
            "account": ("view",),
            "journalentry": ("view",),
            "posting": ("view",),
            "balancesnapshot": ("view",),
            "payment": ("view",),
            "providercall": ("view",),
            "payoutaccount": ("view",),
            "payout": ("view",),
            "payouthold": ("view", "add", "change"),
            "providerwebhookevent": ("view",),
            "document": ("view",),
            "documentcounter": ("view",),
            "paperworkpolicy": ("view", "change"),
        },
    },
}


def _permissions_for(group: str) -> list[Permission]:
    if group == ADMIN:
        return list(Permission.objects.all())
    wanted = GROUP_PERMISSIONS.get(group, {})
    found = []
    for perm in Permission.objects.select_related("content_type"):
        app, model = perm.content_type.app_label, perm.content_type.model
        action = perm.codename.split("_", 1)[0]
        if action in wanted.get(app, {}).get(model, ()):
            found.append(perm)
    return found


def groups_sync() -> None:
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions_for(name))


def sync_groups_after_migrate(**kwargs: Any) -> None:
    """post_migrate fires once per app; act on the last one, when every permission exists."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if kwargs.get("app_config") is with_models[-1]:
        groups_sync()
