"""The one hierarchy of domain errors.

Services raise these; the API maps each to a 4xx JSON body `{"error": {code, message, details}}`
and the pages show the message beside the form. A code is part of the public contract: never
rename or reuse one.
"""

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code: ClassVar[str] = "bad_request"
    status: ClassVar[int] = 400
    default_message: ClassVar[Any] = _("The request could not be processed.")

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.details = details
        super().__init__(self.message)


class InvalidInput(DomainError):
    """Field-level problems; `details` maps a field name to a list of messages."""

    code = "invalid"
    status = 422
    default_message = _("Some fields are not valid.")


class UnknownField(InvalidInput):
    """A body field or query parameter the operation does not take; `details` names each one."""

    code = "unknown_field"
    default_message = _("Some fields are not known.")


class InvalidCursor(InvalidInput):
    """A `cursor` that no page of this list (in this order) gave out: forged, mangled or stale."""

    code = "invalid_cursor"
    default_message = _("This cursor is not valid: start again from the first page.")

    def __init__(self) -> None:
        super().__init__(details={"cursor": [str(self.default_message)]})


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    default_message = _("Authentication is required.")


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    status = 401
    default_message = _("The email or password is not correct.")


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = _("You may not do this.")


class EmailUnverified(PermissionDenied):
    code = "email_unverified"
    default_message = _("Verify your email address first; we have sent you a link.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("The request conflicts with the current state.")


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _("An account with this email address already exists.")


class ConfirmationKeyInvalid(DomainError):
    """An email confirmation key that is not one we sent (or whose account is gone)."""

    code = "confirmation_key_invalid"
    status = 400
    default_message = _("This confirmation link is not valid. Use the link in the latest email we sent you.")


class ConfirmationKeyExpired(DomainError):
    code = "confirmation_key_expired"
    status = 410
    default_message = _("This confirmation link has expired. Sign in to have a new one sent to you.")


class ConfirmationKeyUsed(Conflict):
    code = "confirmation_key_used"
    default_message = _("This email address is already confirmed. Sign in with your password.")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message = _("Too many requests; try again later.")

    def __init__(self, retry_after: int) -> None:
        super().__init__(details={"retry_after": retry_after})
        self.retry_after = retry_after


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    status = 415
    default_message = _("Send the body as JSON with Content-Type: application/json.")


class NaiveDatetime(DomainError):
    """A datetime without a UTC offset: we never guess the time zone."""

    code = "naive_datetime"
    status = 400
    default_message = _("Give every date-time with a UTC offset, e.g. 2026-05-01T10:00:00+02:00.")

    def __init__(self, field: str) -> None:
        # The same details shape as InvalidInput: {field: [messages]}.
        super().__init__(details={field: [str(self.default_message)]})
        self.field = field


class UnknownTimeZone(DomainError):
    """A time zone that is not an IANA name the server knows (`Europe/Paris`, `UTC`)."""

    code = "unknown_time_zone"
    status = 400
    default_message = _("Use an IANA time zone such as Europe/Paris or America/New_York.")

    def __init__(self, field: str) -> None:
        super().__init__(details={field: [str(self.default_message)]})
        self.field = field


class FileTooLarge(DomainError):
    """An uploaded file over its limit; `details.limit` is the limit in bytes."""

    code = "file_too_large"
    status = 413
    default_message = _("The file is too large.")


class InvalidImage(DomainError):
    """Not a whole JPEG, PNG, WebP or GIF image, or too many pixels."""

    code = "invalid_image"
    status = 422
    default_message = _("The file is not a JPEG, PNG, WebP or GIF image, or it is damaged.")


class ImageTooLarge(DomainError):
    """An image of more pixels (width × height) than uploads allow, refused from its header
    before decoding; `details.max_pixels` is the limit."""

    code = "image_too_large"
    status = 422
    default_message = _("The image has too many pixels.")


class InvalidDocument(DomainError):
    """A file that claims to be a PDF but does not open (damaged, empty, or locked)."""

    code = "invalid_document"
    status = 422
    default_message = _("The PDF could not be read: it is damaged or protected by a password.")


class TooManyPages(DomainError):
    """A PDF with more pages than are rendered for review; `details.limit`, `details.pages`."""

    code = "too_many_pages"
    status = 422
    default_message = _("The PDF has too many pages.")


class TooManyPhotos(Conflict):
    """The listing has as many photos as the catalog policy allows; `details.limit`."""

    code = "too_many_photos"
    default_message = _("This listing has as many photos as it may have.")


class NotAvailable(Conflict):
    """Lost a race or asked for what is not there: seats, stock, a closed listing."""

    code = "not_available"
    default_message = _("This is no longer available for what you asked.")


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
    default_message = _("This step is not possible in the transaction's current state.")


class UnknownCancellationPolicy(InvalidInput):
    """A listing named a cancellation policy the marketplace does not have;
    `details.cancellation_policy` lists the ones it has."""

    code = "unknown_cancellation_policy"
    default_message = _("The marketplace has no cancellation policy of this name.")


class UnknownTransition(DomainError):
    """The process has no step of this name; `details.transitions` lists the names it has."""

    code = "unknown_transition"
    status = 422
    default_message = _("This deal's process has no step of this name.")


class CurrencyNotSupported(DomainError):
    """The fee rule that applies has no amounts in this currency; `details.currency` names it."""

    code = "currency_not_supported"
    status = 422
    default_message = _("The marketplace does not take payments in this currency yet.")


class NotReviewable(Conflict):
    """Only the parties of a completed transaction review it; `details.state` says where it is."""

    code = "not_reviewable"
    default_message = _("Only a completed transaction can be reviewed.")


class ReviewWindowClosed(Conflict):
    code = "review_window_closed"
    default_message = _("The time for reviewing this transaction has passed.")


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    default_message = _("You have already reviewed this transaction.")


class AlreadyReplied(Conflict):
    code = "already_replied"
    default_message = _("This review already has a reply.")


class RetakeTooSoon(Conflict):
    """A failed skills test may be retaken after its cooldown; `details.retry_at` says when."""

    code = "retake_too_soon"
    default_message = _("You may take this test again later.")


class AttemptClosed(Conflict):
    code = "attempt_closed"
    default_message = _("This attempt is already graded, or its time ran out.")
