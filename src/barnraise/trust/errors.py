"""Safety's domain errors; each code is part of the public contract."""

from django.utils.translation import gettext_lazy as _

from barnraise.errors import Conflict, PermissionDenied


class MemberSuspended(PermissionDenied):
    """The member is suspended: no publishing, no deals, no messages until it is lifted."""

    code = "member_suspended"
    default_message = _("Your account is suspended. You can appeal from your account page.")


class AlreadyReported(Conflict):
    code = "already_reported"
    default_message = _("You have already reported this; an operator will look at it.")


class NotSuspended(Conflict):
    code = "not_suspended"
    default_message = _("There is no suspension to appeal.")


class Banned(Conflict):
    code = "banned"
    default_message = _("A ban cannot be appealed here; write to the marketplace's operators.")


class AlreadySuspended(Conflict):
    code = "already_suspended"
    default_message = _("This member is already suspended.")


class AppealPending(Conflict):
    code = "appeal_pending"
    default_message = _("Your appeal is waiting for an operator's decision.")


class AlreadyDecided(Conflict):
    code = "already_decided"
    default_message = _("This has already been decided.")
