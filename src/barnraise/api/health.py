from django.conf import settings
from django.db import connection
from ninja import Router, Schema

router = Router(tags=["health"])


class HealthOut(Schema):
    status: str
    database: str
    version: str


@router.get("/health", auth=None, response=HealthOut, summary="Liveness and database check")
def health(request: object) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": connection.vendor, "version": settings.VERSION}
