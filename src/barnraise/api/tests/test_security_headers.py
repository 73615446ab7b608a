"""Security headers on API responses and pages; the session cookie is not readable by script."""

import pytest

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/me", "/", "/accounts/login/"])
def test_responses_carry_the_security_headers(client, db, path):
    # when
    response = client.get(path)
    # then
    for name, value in HEADERS.items():
        assert response[name] == value, name
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp


def test_the_session_cookie_is_http_only(client, make_user):
    # given
    make_user(email="ada@example.com", password="correct horse battery")
    # when
    response = client.post(
        "/accounts/login/", {"login": "ada@example.com", "password": "correct horse battery"}
    )
    # then
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
