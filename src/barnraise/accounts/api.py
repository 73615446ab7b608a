from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from barnraise.accounts import passwords, selectors, services
from barnraise.accounts.models import ApiToken, User
from barnraise.api.auth import caller
from barnraise.api.pagination import PageParams, page_by_id
from barnraise.api.ratelimit import client_ip
from barnraise.api.schemas import ErrorOut, InputSchema, Page
from barnraise.ratelimits import address_network, rate_limit

auth_router = Router(tags=["auth"])
me_router = Router(tags=["me"])


class UserBrief(Schema):
    id: UUID
    name: str
    email: str


class UserOut(UserBrief):
    email_verified: bool
    bio: str
    location: str
    time_zone: str = Field(description="IANA name the member reads times in; empty: the browser's.")
    avatar_url: str | None
    date_joined: datetime
    business_name: str = Field(description="Shown on receipts and invoices; empty for a private person.")
    tax_number: str = Field(
        description="A VAT or tax number; where the operator's tax table says so, a customer who "
        "gave one is reverse-charged (docs/taxes.md)."
    )


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "email_verified": selectors.user_email_verified(user=user),
        "bio": user.bio,
        "location": user.location,
        "time_zone": user.time_zone,
        "avatar_url": user.avatar.url if user.avatar else None,
        "date_joined": user.date_joined,
        "business_name": user.business_name,
        "tax_number": user.tax_number,
    }


class SignupIn(InputSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    name: str = Field(max_length=200)


class SignupOut(Schema):
    email: str = Field(description="The address, as we will write to it.")
    message: str = Field(description="What happens next, in a sentence for the member.")


class TokenIn(InputSchema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    name: str = Field("API", max_length=100, description="A label for the token.")


class TokenOut(Schema):
    token: str


@auth_router.post(
    "/signup",
    auth=None,
    response={202: SignupOut},
    summary="Create an account (confirm the email to sign in)",
)
def signup(request: HttpRequest, data: SignupIn) -> Status[dict[str, Any]]:
    """Answers 202 alike whether or not the address already has an account, so sign-up never
    tells who is a member. A new member gets an email with a confirmation link; the key in it,
    sent to `POST /auth/email/confirm`, returns the first token. The owner of an address that
    already has an account is told by email instead, with a link to reset the password."""
    rate_limit("signup:ip", address_network(client_ip(request)))
    user = services.user_signup(email=data.email, password=data.password, name=data.name, request=request)
    email = user.email if user is not None else data.email.strip().lower()
    message = _("We have sent an email to %(email)s. Follow the link in it to finish signing up.")
    return Status(202, {"email": email, "message": message % {"email": email}})


class EmailConfirmIn(InputSchema):
    key: str = Field(max_length=500, description="The key at the end of the link in the confirmation email.")


class SessionOut(Schema):
    token: str
    user: UserOut


@auth_router.post(
    "/email/confirm",
    auth=None,
    response={200: SessionOut, 400: ErrorOut, 409: ErrorOut, 410: ErrorOut},
    summary="Confirm your email address and get your first token",
)
def email_confirm(request: HttpRequest, data: EmailConfirmIn) -> dict[str, Any]:
    """The key is the last part of the link in the confirmation email
    (`…/accounts/confirm-email/<key>/`). Errors: 400 `confirmation_key_invalid`, 410
    `confirmation_key_expired` (sign in to `POST /auth/token` for a new one), 409
    `confirmation_key_used` (the address is confirmed: use `POST /auth/token`)."""
    rate_limit("email_confirm:ip", address_network(client_ip(request)))
    user = services.user_email_confirm(key=data.key, request=request)
    _token, raw = services.token_create(user=user, name="email confirmation")
    return {"token": raw, "user": user_out(user)}


@auth_router.post(
    "/token",
    auth=None,
    response={200: TokenOut, 401: ErrorOut, 403: ErrorOut},
    summary="Exchange credentials for a token (401 `invalid_credentials`, 403 `email_unverified`)",
)
def token(request: HttpRequest, data: TokenIn) -> dict[str, str]:
    """Refused with 403 `email_unverified` until the address is confirmed (a new link is sent).
    Wrong passwords are limited per account and address, and per address; an address that
    has not failed is never turned away for another's failures."""
    ip = client_ip(request)
    rate_limit("token:ip", address_network(ip))
    raw = passwords.token_obtain(
        email=data.email, password=data.password, name=data.name, ip=ip, request=request
    )
    return {"token": raw}


@me_router.get("", response=UserOut, summary="The caller's own account")
def me(request: HttpRequest) -> dict[str, Any]:
    return user_out(caller(request))


class ProfileIn(InputSchema):
    name: str | None = Field(None, max_length=200)
    bio: str | None = Field(None, max_length=4000)
    location: str | None = Field(None, max_length=400)
    time_zone: str | None = Field(
        None, max_length=64, description="An IANA name (Europe/Paris), or empty to follow the browser."
    )
    business_name: str | None = Field(None, max_length=400)
    tax_number: str | None = Field(None, max_length=400)


@me_router.patch("", response=UserOut, summary="Update the caller's profile")
def me_update(request: HttpRequest, data: ProfileIn) -> dict[str, Any]:
    """Any of the fields; an empty `business_name` or `tax_number` clears it. 422 `invalid`
    names the field: a tax number is 4 to 40 letters, digits, spaces, dots, dashes or slashes
    (stored upper case), a business name at most 200 characters."""
    user = services.user_profile_update(actor=caller(request), **data.dict(exclude_unset=True))
    return user_out(user)


class DeleteIn(InputSchema):
    password: str = Field(max_length=200)


@me_router.delete("", response={204: None}, summary="Delete (anonymise) the caller's account")
def me_delete(request: HttpRequest, data: DeleteIn) -> Status[None]:
    services.user_delete(actor=caller(request), password=data.password)
    return Status(204, None)


class PasswordChangeIn(InputSchema):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


@me_router.post(
    "/password",
    response={204: None, 429: ErrorOut},
    summary="Change your password (every other token and session ends)",
)
def me_password_change(request: HttpRequest, data: PasswordChangeIn) -> Status[None]:
    """The token this request carries stays valid; every other token and every session end, and
    the member is told by email. 422 names `current_password` or `new_password`."""
    passwords.user_password_change(
        actor=caller(request),
        current_password=data.current_password,
        new_password=data.new_password,
        ip=client_ip(request),
        keep_token_id=selectors.token_id_by_raw(raw=_bearer_of(request)),
        request=request,
    )
    return Status(204, None)


@me_router.get("/export", response=dict[str, Any], summary="Download everything we keep about you")
def me_export(request: HttpRequest) -> dict[str, Any]:
    return selectors.user_export(user=caller(request))


@me_router.post(
    "/email/verification", response={202: dict[str, bool]}, summary="Send the verification email again"
)
def me_email_verification(request: HttpRequest) -> Status[dict[str, bool]]:
    sent = services.user_email_verification_send(user=caller(request), request=request)
    return Status(202, {"sent": sent})


class ApiTokenOut(Schema):
    id: UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str = Field(description="The secret; shown this once only.")


class ApiTokenIn(InputSchema):
    name: str = Field(min_length=1, max_length=100)


@me_router.get("/tokens", response=Page[ApiTokenOut], summary="List your API tokens")
def tokens_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    rows, cursor = page_by_id(selectors.tokens_for(user=caller(request)), params)
    return {"results": rows, "next_cursor": cursor}


@me_router.post("/tokens", response={201: ApiTokenCreated}, summary="Create an API token")
def tokens_create(request: HttpRequest, data: ApiTokenIn) -> Status[dict[str, Any]]:
    token_row, raw = services.token_create(user=caller(request), name=data.name)
    return Status(201, {**_token_fields(token_row), "token": raw})


@me_router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def tokens_revoke(request: HttpRequest, token_id: UUID) -> Status[None]:
    services.token_revoke(actor=caller(request), token_id=token_id)
    return Status(204, None)


def _bearer_of(request: HttpRequest) -> str:
    """The raw token the request authenticated with (`Authorization: Bearer <token>`)."""
    return str(request.headers.get("Authorization", "")).partition(" ")[2].strip()


def _token_fields(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@me_router.post(
    "/avatar",
    response=UserOut,
    summary="Set or replace your avatar",
)
def me_avatar_set(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """Send `multipart/form-data` with `file` (JPEG, PNG, WebP or GIF). It is cropped to the
    centre square, scaled to 256 px, re-encoded as JPEG and stripped of all metadata.

    Errors: 413 `file_too_large` over 5 MiB (`details.limit`, bytes); 422 `image_too_large` over
    25 megapixels (read from the header; `details.max_pixels`); 422 `invalid_image` for anything
    that is not a whole JPEG, PNG, WebP or GIF."""
    return user_out(services.user_avatar_set(actor=caller(request), upload=file))


@me_router.delete("/avatar", response={204: None}, summary="Remove your avatar")
def me_avatar_clear(request: HttpRequest) -> Status[None]:
    services.user_avatar_clear(actor=caller(request))
    return Status(204, None)
