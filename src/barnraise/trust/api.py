"""/api/v1/reports, /api/v1/appeals and /api/v1/me/standing."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from barnraise.api.auth import caller
from barnraise.api.schemas import ErrorOut, InputSchema
from barnraise.trust import selectors, services, suspensions

reports_router = Router(tags=["safety"])
appeals_router = Router(tags=["safety"])
standing_router = Router(tags=["safety"])

ReasonCode = Literal["spam", "fraud", "off_platform", "abuse", "prohibited", "misleading", "other"]


class ReportIn(InputSchema):
    subject: Literal["listing", "member", "message"]
    subject_id: UUID = Field(description="The listing's, member's or message's id.")
    reason: ReasonCode
    details: str = Field("", max_length=services.REPORT_DETAILS_MAX, description="Required for `other`.")


class ReportOut(Schema):
    id: UUID
    subject: str
    subject_id: str
    reason: str
    status: str
    created_at: datetime


@reports_router.post(
    "",
    response={201: ReportOut, 409: ErrorOut},
    summary="Report a listing, a member or a message to the operators (409 `already_reported`)",
)
def report_file(request: HttpRequest, data: ReportIn) -> Status[Any]:
    report = services.report_file(
        actor=caller(request),
        subject=data.subject,
        subject_id=str(data.subject_id),
        reason=data.reason,
        details=data.details,
    )
    return Status(201, report)


class AppealIn(InputSchema):
    text: str = Field(min_length=1, max_length=suspensions.APPEAL_MAX)


class AppealOut(Schema):
    id: UUID
    status: str
    text: str
    created_at: datetime
    decided_at: datetime | None
    decision_note: str


@appeals_router.post(
    "",
    response={201: AppealOut, 409: ErrorOut},
    summary="Appeal your suspension (409 `not_suspended`, `appeal_pending`, `banned`)",
)
def appeal_file(request: HttpRequest, data: AppealIn) -> Status[Any]:
    return Status(201, suspensions.appeal_file(actor=caller(request), text=data.text))


class StrikeOut(Schema):
    reason: str
    issued_at: datetime
    expires_at: datetime


class SuspensionOut(Schema):
    reason: str
    started_at: datetime


class StandingOut(Schema):
    suspended: bool
    suspension: SuspensionOut | None
    appeal: AppealOut | None
    active_strikes: list[StrikeOut]
    strikes_to_suspend: int = Field(description="Active strikes at which an account is suspended.")


@standing_router.get("/standing", response=StandingOut, summary="Your strikes, suspension and appeal")
def standing(request: HttpRequest) -> dict[str, Any]:
    found = selectors.standing_of(member=caller(request))
    return {
        "suspended": found["suspension"] is not None,
        "suspension": found["suspension"],
        "appeal": found["appeal"],
        "active_strikes": found["strikes"],
        "strikes_to_suspend": found["strikes_to_suspend"],
    }
