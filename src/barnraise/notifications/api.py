from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from barnraise.api.auth import caller
from barnraise.api.pagination import PageParams, page_by_id
from barnraise.api.schemas import InputSchema, Page, StrictBool
from barnraise.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: UUID
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Page[NotificationOut]):
    unread_count: int


class NotificationParams(PageParams):
    unread: bool = Field(False, description="Only unread notifications.")


@router.get("", response=NotificationPage, summary="Your notifications, newest first")
def notifications_list(request: HttpRequest, params: Query[NotificationParams]) -> dict[str, Any]:
    user = caller(request)
    rows, cursor = page_by_id(selectors.notifications_for(user=user, unread_only=params.unread), params)
    return {
        "results": rows,
        "next_cursor": cursor,
        "unread_count": selectors.notifications_unread_count(user=user),
    }


@router.post("/{notification_id}/read", response=NotificationOut, summary="Mark one as read")
def notification_read(request: HttpRequest, notification_id: UUID) -> Any:
    return services.notification_mark_read(actor=caller(request), notification_id=str(notification_id))


@router.post("/read-all", response=dict[str, int], summary="Mark all as read")
def notifications_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.notifications_mark_all_read(actor=caller(request))}


class PreferenceOut(Schema):
    kind: str
    label: str
    email: bool = Field(description="Sent by email as well as in the app.")


class PreferencesIn(InputSchema):
    email: dict[str, StrictBool] = Field(description='Kinds to switch, e.g. {"message_received": false}.')


@router.get("/preferences", response=list[PreferenceOut], summary="Which notifications you get by email")
def preferences(request: HttpRequest) -> list[dict[str, Any]]:
    return selectors.preferences_of(user=caller(request))


@router.put("/preferences", response=list[PreferenceOut], summary="Switch emails on or off per kind")
def preferences_update(request: HttpRequest, data: PreferencesIn) -> list[dict[str, Any]]:
    user = caller(request)
    services.preferences_set(actor=user, email=data.email)
    return selectors.preferences_of(user=user)
