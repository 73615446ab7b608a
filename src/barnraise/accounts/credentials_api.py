"""Verifications, documents, skills tests and portfolios: /me/phone…, /me/documents…,
/skills-tests…, /skills-attempts…, /me/portfolio… and /users/{id}/portfolio."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.responses import Status

from barnraise.accounts import portfolio, selectors, skills, verification
from barnraise.accounts.models import Document, DocumentPage, PhoneNumber, PortfolioItem, SkillAttempt, User
from barnraise.api.auth import bearer_or_anonymous, caller
from barnraise.api.schemas import ErrorOut, InputSchema
from barnraise.errors import NotFound
from barnraise.private_files import private_file_response

verifications_router = Router(tags=["verifications"])
skills_router = Router(tags=["skills tests"])
attempts_router = Router(tags=["skills tests"])
portfolio_router = Router(tags=["portfolio"])
public_portfolio_router = Router(tags=["portfolio"])


class PhoneIn(InputSchema):
    number: str = Field(max_length=40, description="International format, e.g. +32 470 12 34 56.")


class CodeIn(InputSchema):
    code: str = Field(max_length=12)


class PhoneOut(Schema):
    number: str
    verified_at: datetime


class VerificationsOut(Schema):
    email_verified: bool
    phone: PhoneOut | None
    badges: list[dict[str, str]] = Field(description="As shown on the profile: `{kind, label}`.")


@verifications_router.get(
    "/verifications", response=VerificationsOut, summary="Your verifications and badges"
)
def verifications_status(request: HttpRequest) -> dict[str, Any]:
    user = caller(request)
    return {
        "email_verified": selectors.user_email_verified(user=user),
        "phone": PhoneNumber.objects.filter(user=user).first(),
        "badges": selectors.badges_of(user=User.objects.get(pk=user.pk)),
    }


@verifications_router.post(
    "/phone", response={202: dict[str, bool], 422: ErrorOut, 429: ErrorOut}, summary="Text a code to a number"
)
def phone_code_send(request: HttpRequest, data: PhoneIn) -> Status[dict[str, bool]]:
    """Sends a six-digit code, good for ten minutes and five tries. At most 3 codes per 15 minutes."""
    verification.phone_code_send(actor=caller(request), number=data.number)
    return Status(202, {"sent": True})


@verifications_router.post(
    "/phone/verify", response={200: PhoneOut, 422: ErrorOut}, summary="Confirm the number with the code"
)
def phone_verify(request: HttpRequest, data: CodeIn) -> Any:
    """422 `invalid` (`details.code`) when the code is wrong, used, expired or tried five times."""
    return verification.phone_verify(actor=caller(request), code=data.code)


class DocumentPageOut(Schema):
    number: int = Field(description="From 1.")
    width: int
    height: int
    url: str = Field(description="The page as a JPEG image.")


class DocumentOut(Schema):
    id: UUID
    kind: str
    title: str
    issuer: str
    status: str = Field(description="`pending`, `approved` or `rejected`.")
    reason: str = Field(description="Why it was rejected.")
    content_type: str
    pages: list[DocumentPageOut] = Field(
        description="A PDF's pages as images (at most 20), once the worker has rendered them "
        "(empty until then, and for a photo): what to show. The PDF itself is only at `file_url`."
    )
    file_url: str = Field(description="The file as uploaded, as a download (for a photo: the image).")
    created_at: datetime
    reviewed_at: datetime | None

    @staticmethod
    def resolve_pages(document: Document) -> list[dict[str, Any]]:
        return [
            {
                "number": page.number,
                "width": page.width,
                "height": page.height,
                "url": f"/api/v1/me/documents/{document.id}/pages/{page.number}",
            }
            for page in sorted(document.pages.all(), key=lambda page: page.number)
        ]

    @staticmethod
    def resolve_file_url(document: Document) -> str:
        return f"/api/v1/me/documents/{document.id}/file"


@verifications_router.get("/documents", response=list[DocumentOut], summary="Your documents and their review")
def documents_list(request: HttpRequest) -> Any:
    return Document.objects.filter(user=caller(request)).prefetch_related("pages").order_by("-created_at")


@verifications_router.post(
    "/documents",
    response={201: DocumentOut, 413: ErrorOut, 422: ErrorOut},
    summary="Upload an identity document, licence or certificate for review",
)
def document_upload(
    request: HttpRequest,
    kind: Form[Literal["identity", "licence", "certificate"]],
    file: File[UploadedFile],
    title: Form[str] = "",
    issuer: Form[str] = "",
) -> Status[Any]:
    """`multipart/form-data`: `kind`, `file` (a PDF of 1 to 20 pages, or a photo as JPEG, PNG,
    WebP or GIF of at most 25 megapixels; at most 10 MiB), and for licences and certificates
    `title` (what it is for) and `issuer`. The file is kept in private storage; only you and the
    operators who review it can open it. A PDF's pages are rendered to images by the worker
    (`pages`); the PDF itself is only downloaded, at `file_url`.

    Errors: 422 `invalid_document` for a PDF that does not open (damaged, empty, locked by a
    password), 422 `too_many_pages` over 20 pages (`details.limit`, `details.pages`)."""
    document = verification.document_upload(
        actor=caller(request), kind=kind, upload=file, title=title[:300], issuer=issuer[:300]
    )
    return Status(201, document)


@verifications_router.get(
    "/documents/{document_id}/file",
    response={200: None, 302: None, 404: ErrorOut},
    summary="Download one of your documents, as uploaded",
)
def document_file(request: HttpRequest, document_id: UUID) -> HttpResponseBase:
    document = verification.document_readable(actor=caller(request), document_id=document_id)
    return _document_response(document)


@verifications_router.get(
    "/documents/{document_id}/pages/{number}",
    response={200: None, 302: None, 404: ErrorOut},
    summary="A page of one of your PDF documents, as a JPEG image",
)
def document_page(request: HttpRequest, document_id: UUID, number: int) -> HttpResponseBase:
    page = verification.document_page_readable(actor=caller(request), document_id=document_id, number=number)
    return _document_page_response(page)


def _document_response(document: Document) -> HttpResponseBase:
    """The document as uploaded: a download (API, pages and admin alike)."""
    return private_file_response(
        document.file, content_type=document.content_type, name=f"{document.kind}-{document.id}"
    )


def _document_page_response(page: DocumentPage) -> HttpResponseBase:
    """A rendered page, shown inline: a JPEG we made, so it carries nothing of the PDF."""
    name = f"{page.document_id}-page-{page.number}"
    return private_file_response(page.image, content_type="image/jpeg", name=name, inline=True)


class SkillTestOut(Schema):
    id: UUID
    title: str
    description: str
    category: str
    time_limit_minutes: int
    questions_per_attempt: int
    pass_mark_percent: int
    retake_cooldown_days: int


def skill_test_out(test: Any) -> dict[str, Any]:
    return {
        "id": test.id,
        "title": test.title,
        "description": test.description,
        "category": test.category.slug,
        "time_limit_minutes": test.time_limit_minutes,
        "questions_per_attempt": test.questions_per_attempt,
        "pass_mark_percent": test.pass_mark_percent,
        "retake_cooldown_days": test.retake_cooldown_days,
    }


@skills_router.get("", auth=bearer_or_anonymous, response=list[SkillTestOut], summary="The skills tests")
def skill_tests_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [skill_test_out(t) for t in skills.skill_tests_active()]


class QuestionOut(Schema):
    id: UUID
    text: str
    choices: list[str]


class AttemptOut(Schema):
    id: UUID
    test_id: UUID
    started_at: datetime
    deadline: datetime
    questions: list[QuestionOut]
    submitted_at: datetime | None
    score_percent: int | None
    passed: bool | None


def attempt_out(attempt: SkillAttempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "test_id": attempt.test_id,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "questions": [
            {"id": q.id, "text": q.text, "choices": [str(c) for c in q.choices]}
            for q in skills.skill_attempt_questions(attempt)
        ],
        "submitted_at": attempt.submitted_at,
        "score_percent": attempt.score_percent,
        "passed": attempt.passed,
    }


@skills_router.post(
    "/{test_id}/attempts",
    response={201: AttemptOut, 404: ErrorOut, 409: ErrorOut},
    summary="Start an attempt: questions drawn at random",
)
def skill_attempt_start(request: HttpRequest, test_id: UUID) -> Status[dict[str, Any]]:
    """The clock starts now; answer before `deadline`. 409 `retake_too_soon` (`details.retry_at`)
    during the cooldown after a failed attempt, 409 `conflict` while another attempt runs."""
    attempt = skills.skill_attempt_start(actor=caller(request), test_id=test_id)
    return Status(201, attempt_out(attempt))


class AnswersIn(InputSchema):
    answers: dict[str, int] = Field(description="Question id → index of the chosen answer (from 0).")


@attempts_router.get(
    "/{attempt_id}", response={200: AttemptOut, 404: ErrorOut}, summary="One of your attempts"
)
def skill_attempt_detail(request: HttpRequest, attempt_id: UUID) -> dict[str, Any]:
    return attempt_out(skills.skill_attempt_of(actor=caller(request), attempt_id=attempt_id))


@attempts_router.post(
    "/{attempt_id}/submit",
    response={200: AttemptOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Hand in the answers, graded at once",
)
def skill_attempt_submit(request: HttpRequest, attempt_id: UUID, data: AnswersIn) -> dict[str, Any]:
    """409 `attempt_closed` after the deadline or a second time. Unanswered questions are wrong."""
    attempt = skills.skill_attempt_submit(actor=caller(request), attempt_id=attempt_id, answers=data.answers)
    return attempt_out(attempt)


class PortfolioIn(InputSchema):
    title: str = Field(max_length=400)
    description: str = Field("", max_length=10000)
    url: str = Field("", max_length=1000)
    transaction_id: UUID | None = Field(None, description="A completed deal you provided: verified work.")


class PortfolioImageOut(Schema):
    id: UUID
    image_url: str
    thumbnail_url: str


class PortfolioItemOut(Schema):
    id: UUID
    title: str
    description: str
    url: str
    verified: bool = Field(description="Linked to a completed deal the member provided.")
    images: list[PortfolioImageOut]
    created_at: datetime


def portfolio_item_out(item: PortfolioItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "url": item.url,
        "verified": item.verified,
        "images": [
            {"id": i.id, "image_url": i.image.url, "thumbnail_url": i.thumbnail.url}
            for i in item.images.all()
        ],
        "created_at": item.created_at,
    }


@portfolio_router.post(
    "/portfolio",
    response={201: PortfolioItemOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add a piece of work",
)
def portfolio_item_create(request: HttpRequest, data: PortfolioIn) -> Status[dict[str, Any]]:
    item = portfolio.portfolio_item_create(actor=caller(request), **data.dict())
    return Status(201, portfolio_item_out(item))


@portfolio_router.post(
    "/portfolio/{item_id}/images",
    response={201: PortfolioItemOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Add an image to a piece of work",
)
def portfolio_image_add(
    request: HttpRequest, item_id: UUID, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """`multipart/form-data` with `file` (JPEG, PNG, WebP or GIF, at most 10 MiB and 25
    megapixels: 422 `image_too_large` beyond); re-encoded without metadata. At most 8 images a
    piece."""
    image = portfolio.portfolio_image_add(actor=caller(request), item_id=item_id, upload=file)
    return Status(201, portfolio_item_out(image.item))


@portfolio_router.delete(
    "/portfolio/{item_id}", response={204: None, 404: ErrorOut}, summary="Remove a piece of work"
)
def portfolio_item_delete(request: HttpRequest, item_id: UUID) -> Status[None]:
    portfolio.portfolio_item_delete(actor=caller(request), item_id=item_id)
    return Status(204, None)


@public_portfolio_router.get(
    "/{user_id}/portfolio",
    auth=bearer_or_anonymous,
    response={200: list[PortfolioItemOut], 404: ErrorOut},
    summary="A member's portfolio, verified work first",
)
def portfolio_list(request: HttpRequest, user_id: UUID) -> list[dict[str, Any]]:
    member = User.objects.filter(pk=user_id, is_active=True, deleted_at=None).first()
    if member is None:
        raise NotFound()
    return [portfolio_item_out(item) for item in portfolio.portfolio_of(user=member)]
