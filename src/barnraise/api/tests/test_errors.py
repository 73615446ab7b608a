"""Every API error is JSON {"error": {code, message, details}}, never HTML, never a 500."""

import pytest


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/me/nope", "/api/v1/", "/api/v1/me/tokens/x/y"])
def test_an_unknown_api_path_is_a_json_404(api, db, path):
    # when
    response = api.get(path)
    # then
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(("method", "path"), [("PUT", "me"), ("POST", "health"), ("GET", "auth/signup")])
def test_a_wrong_method_is_a_json_405(api_as, method, path):
    # given
    client = api_as()
    # when
    response = client.call(method, path, json={})
    # then
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"]


def test_too_many_query_parameters_is_a_4xx_not_a_500(api_as, settings):
    # given
    client = api_as()
    settings.API_MAX_QUERY_STRING = 100_000  # Django's own guard, not the API's length limit
    query = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    # when
    response = client.get(f"/api/v1/me/tokens?{query}", headers={"Authorization": f"Bearer {client.token}"})
    # then
    assert_error(response, 400, "bad_request")


def test_a_non_utf8_query_is_a_4xx_not_a_500(api_as):
    # given
    client = api_as()
    # when
    response = client.get(
        "/api/v1/me/tokens?cursor=%ff%fe", headers={"Authorization": f"Bearer {client.token}"}
    )
    # then
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] in ("bad_request", "invalid", "invalid_cursor")
