"""/api/v1/me/tokens: list, create, revoke."""

import pytest

from barnraise.accounts.models import ApiToken, token_digest
from barnraise.accounts.services import token_create


def test_create_shows_the_secret_once_and_stores_only_its_digest(api_as):
    # given
    client = api_as()
    # when
    response = client.call("POST", "me/tokens", json={"name": "laptop"})
    # then
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    row = ApiToken.objects.get(id=body["id"])
    assert row.name == "laptop"
    assert row.digest == token_digest(secret)
    assert secret not in {row.digest, row.prefix, row.name}
    assert body["prefix"] == secret[:10]
    assert client.call("GET", "me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listed = client.call("GET", "me/tokens").json()["results"]
    assert all("token" not in item and "digest" not in item for item in listed)


@pytest.mark.parametrize("payload", [{"name": ""}, {"name": "n" * 101}, {}, {"name": None}])
def test_create_with_a_bad_name_makes_no_token(api_as, payload):
    # given
    client = api_as()
    # when
    response = client.call("POST", "me/tokens", json=payload)
    # then
    assert response.status_code == 422
    assert "name" in response.json()["error"]["details"]
    assert ApiToken.objects.count() == 1


def test_list_pages_newest_first_with_a_cursor(api_as):
    # given
    client = api_as()
    for n in range(4):
        token_create(user=client.user, name=f"t{n}")
    # when
    first = client.call("GET", "me/tokens", data={"limit": 3}).json()
    second = client.call("GET", "me/tokens", data={"limit": 3, "cursor": first["next_cursor"]}).json()
    # then
    names = [t["name"] for t in first["results"] + second["results"]]
    assert names == ["t3", "t2", "t1", "t0", "test"]
    assert second["next_cursor"] is None


def test_list_shows_only_the_callers_tokens(api_as):
    # given
    client = api_as()
    other = api_as()
    # when
    results = client.call("GET", "me/tokens").json()["results"]
    # then
    assert [t["id"] for t in results] == [str(ApiToken.objects.get(user=client.user).id)]
    assert str(ApiToken.objects.get(user=other.user).id) not in str(results)


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"limit": 101}, "limit", "invalid"),
        ({"limit": 0}, "limit", "invalid"),
        ({"limit": "ten"}, "limit", "invalid"),
        ({"cursor": "not a cursor"}, "cursor", "invalid_cursor"),
        ({"cursor": "W10"}, "cursor", "invalid_cursor"),  # "[]"
        ({"cursor": "WyJ4Il0"}, "cursor", "invalid_cursor"),  # ["x"]
        ({"cursor": "e30"}, "cursor", "invalid_cursor"),  # {}
        ({"cursor": "_-_-"}, "cursor", "invalid_cursor"),
        ({"cursor": "c" * 501}, "cursor", "invalid"),  # longer than any cursor: the schema says so
    ],
)
def test_list_with_bad_paging_is_422_naming_the_parameter(api_as, query, field, code):
    # given
    client = api_as()
    # when
    response = client.call("GET", "me/tokens", data=query)
    # then
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["details"]


def test_revoke_makes_the_token_stop_working(api_as):
    # given
    client = api_as()
    created = client.call("POST", "me/tokens", json={"name": "laptop"}).json()
    # when
    response = client.call("DELETE", f"me/tokens/{created['id']}")
    # then
    assert response.status_code == 204
    assert ApiToken.objects.get(id=created["id"]).revoked_at is not None
    me = client.call("GET", "me", headers={"Authorization": f"Bearer {created['token']}"})
    assert me.status_code == 401
    assert client.call("GET", "me").status_code == 200  # the other token still works


def test_revoking_someone_elses_token_is_404_and_it_keeps_working(api_as):
    # given
    mallory = api_as()
    victim = api_as()
    victim_token = ApiToken.objects.get(user=victim.user)
    # when
    response = mallory.call("DELETE", f"me/tokens/{victim_token.id}")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    victim_token.refresh_from_db()
    assert victim_token.revoked_at is None
    assert victim.call("GET", "me").status_code == 200


@pytest.mark.parametrize("token_id", ["not-a-uuid", "1"])
def test_revoke_with_a_malformed_id_is_404(api_as, token_id):
    # given
    client = api_as()
    # when
    response = client.call("DELETE", f"me/tokens/{token_id}")
    # then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert ApiToken.objects.filter(revoked_at=None).count() == 1
