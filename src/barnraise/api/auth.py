from django.http import HttpRequest
from ninja.security import HttpBearer

from barnraise.accounts.models import User
from barnraise.accounts.selectors import user_by_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a token from POST /auth/token or /auth/signup."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token or len(token) > 200:
            return None
        user = user_by_token(raw=token)
        if user is not None:
            request.user = user
        return user


bearer = BearerToken()


def caller(request: HttpRequest) -> User:
    """The authenticated member of an endpoint that requires `bearer`."""
    user = getattr(request, "auth", None)
    assert isinstance(user, User), "endpoint must be declared with auth=bearer"  # noqa: S101
    return user


class Anonymous:
    """request.auth for endpoints that also serve visitors without a token."""

    def __bool__(self) -> bool:
        return True


def anonymous(request: HttpRequest) -> Anonymous | None:
    """Visitors without a token; a request that sent one must have passed `bearer`."""
    if request.headers.get("Authorization"):
        return None
    return Anonymous()


# Endpoints readable by anyone, and richer for a member: a bad token still gets 401.
bearer_or_anonymous = [bearer, anonymous]


def caller_or_none(request: HttpRequest) -> User | None:
    user = getattr(request, "auth", None)
    return user if isinstance(user, User) else None
