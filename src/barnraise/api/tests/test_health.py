def test_health_reports_database_and_version(api, db, settings):
    # when
    response = api.call("GET", "health")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "database": settings.DATABASE_VENDOR, "version": settings.VERSION}
