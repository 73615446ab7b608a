def test_health_reports_database_and_version(api, db, settings):
    # when
    response = api.call("GET", "health")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": settings.DATABASE_VENDOR, "version": settings.VERSION}


def test_ready_reports_each_check_on_the_test_setup(api, db):
    # when
    response = api.call("GET", "health/ready")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "storage": "ok", "private_storage": "ok"},
    }


def test_ready_is_503_naming_redis_when_redis_is_unreachable(api, db, settings):
    # given Redis configured on a closed port, for the queue and the cache
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    # when
    response = api.call("GET", "health/ready")
    # then it is not ready, says what failed, and gives no address away
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "not_ready"
    assert error["details"]["checks"] == {
        "database": "ok",
        "redis": "failed",
        "storage": "ok",
        "private_storage": "ok",
    }
    assert "Redis" in error["message"]
    assert "127.0.0.1" not in response.content.decode()
    # and liveness stays up: the process itself is fine
    assert api.call("GET", "health").status_code == 200


def test_ready_is_503_naming_the_storage_when_it_cannot_save(api, db, monkeypatch):
    # given a storage that refuses writes
    from django.core.files.storage import storages

    def refuse(name, content, max_length=None):
        raise OSError("secret-bucket-name: access denied")

    monkeypatch.setattr(storages["default"], "save", refuse)
    # when
    response = api.call("GET", "health/ready")
    # then
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["details"]["checks"]["storage"] == "failed"
    assert error["details"]["checks"]["database"] == "ok"
    assert "the storage" in error["message"]
    assert "secret-bucket-name" not in response.content.decode()


def test_ready_leaves_no_probe_behind(api, db):
    # given
    from django.core.files.storage import storages

    # when
    assert api.call("GET", "health/ready").status_code == 200
    # then
    for alias in ("default", "private"):
        storage = storages[alias]
        assert not storage.exists("readiness") or storage.listdir("readiness") == ([], [])


def test_ready_is_declared_in_openapi(client, db):
    # when
    responses = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/health/ready"]["get"]["responses"]
    # then
    assert {"200", "503"} <= set(responses)
    assert "not_ready" in responses["503"]["description"]
    assert responses["503"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
