"""A multipart body the parser cannot read (no boundary) is a 400 in the one error shape, on every
upload endpoint, found from the OpenAPI document (the pages: web/tests/test_upload_pages_multipart.py)."""

import re
import uuid

import pytest

from barnraise.config.api import api as ninja_api

BROKEN = "multipart/form-data"  # no boundary: Django's MultiPartParser cannot split the body
BODY = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc\r\n--x--\r\n'


def upload_operations() -> list[tuple[str, str]]:
    document = ninja_api.get_openapi_schema(path_prefix="/api/v1")
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in content:
                found.append((method, path))
    return sorted(found)


UPLOADS = upload_operations()


def test_the_upload_endpoints_are_found():
    # then: listing photos, avatar, documents, portfolio images, dispute evidence
    assert len(UPLOADS) >= 5


@pytest.mark.parametrize(("method", "path"), UPLOADS)
def test_a_multipart_body_without_boundary_is_400_malformed_multipart(api_as, method, path):
    # given
    client = api_as()
    url = re.sub(r"\{[^}]+\}", lambda _match: str(uuid.uuid4()), path)
    # when
    response = client.generic(method.upper(), url, BODY, content_type=BROKEN, headers=client._headers(None))
    # then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_multipart"
    assert error["message"]


@pytest.mark.parametrize(("method", "path"), UPLOADS)
def test_the_upload_endpoints_declare_their_refusals(method, path):
    # given
    document = ninja_api.get_openapi_schema(path_prefix="/api/v1")
    # then
    responses = document["paths"][path][method]["responses"]
    assert "malformed_multipart" in responses["400"]["description"]
    assert "image_too_large" in responses["422"]["description"]
    assert 422 not in responses and 400 not in responses  # one key per status
