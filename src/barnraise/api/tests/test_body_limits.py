"""Bodies over API_MAX_BODY_BYTES are refused with 413 body_too_large before they are read."""

import io
import json

from django.core.handlers.asgi import ASGIRequest
from django.core.handlers.base import BaseHandler

from barnraise.accounts.models import User


def big_signup(size: int) -> bytes:
    return json.dumps({"email": "ada@example.com", "password": "p" * size, "name": "Ada"}).encode()


def test_a_body_declared_too_large_is_413(api, db, settings):
    # given
    settings.API_MAX_BODY_BYTES = 500
    # when
    response = api.post("/api/v1/auth/signup", data=big_signup(1000), content_type="application/json")
    # then
    assert response.status_code == 413
    error = response.json()["error"]
    assert error == {"code": "body_too_large", "message": error["message"], "details": {"limit": 500}}
    assert User.objects.count() == 0


def test_a_body_at_the_limit_is_read(api, db, settings):
    # given
    body = big_signup(10)
    settings.API_MAX_BODY_BYTES = len(body)
    # when
    response = api.post("/api/v1/auth/signup", data=body, content_type="application/json")
    # then
    assert response.status_code == 202


def test_a_chunked_body_without_content_length_is_measured_and_refused(db, settings):
    # given: what an ASGI server hands Django for `Transfer-Encoding: chunked`
    settings.API_MAX_BODY_BYTES = 500
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/auth/signup",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }
    request = ASGIRequest(scope, io.BytesIO(big_signup(1000)))
    handler = BaseHandler()
    handler.load_middleware()
    # when
    response = handler.get_response(request)
    # then
    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "body_too_large"
    assert User.objects.count() == 0


def test_a_page_gets_a_plain_413(client, db, settings):
    # given
    settings.API_MAX_BODY_BYTES = 100
    # when
    response = client.post(
        "/accounts/login/",
        data="login=" + "x" * 500 + "&password=y",
        content_type="application/x-www-form-urlencoded",
    )
    # then
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
