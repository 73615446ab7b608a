"""The authorization matrix: every object endpoint of the API and every object page, asked by
visitors, strangers, the parties of other objects of the same kind, and each operator group.

Endpoints are found in the OpenAPI document and the URLconf (tests/authorization.py), never
listed by hand: a new one is checked the day it appears, and fails until tests/world.py seeds
an object for its parameters. By default only an object's parties may use it; the tables below
are the exceptions, each with its reason. Everyone else gets 401/403/404 (a page: 403/404/405,
the login page, or back with an error), and the refusal shows none of the object's secrets.
"""

from typing import Any

from django.apps import apps

from barnraise.accounts.operators import GROUP_PERMISSIONS
from barnraise.commerce import selectors as commerce_selectors
from barnraise.commerce.models import Transaction
from tests.authorization import (
    CALLERS,
    Policy,
    admin_object_pages,
    admin_page_answer,
    api_endpoints,
    leaked,
    matrix_failures,
    page_endpoints,
)
from tests.world import image

LISTED = frozenset({"published listing", "request listing"})

# Objects anyone may read or use, beyond their parties: key -> (who, reason, targets or all).
PUBLIC: dict[str, tuple[str, str, frozenset[str] | None]] = {
    "GET /api/v1/listings/{listing_id}": ("anyone", "A published listing is the shop window.", LISTED),
    "GET /api/v1/listings/{listing_id}/availability": (
        "anyone",
        "A published listing's free seats are what a customer books from.",
        LISTED,
    ),
    "POST /api/v1/listings/{listing_id}/offers": (
        "members",
        "Any member may offer on a published listing (a request takes offers; others refuse them).",
        LISTED,
    ),
    "GET /api/v1/users/{user_id}": ("anyone", "The public profile: name, badges, scores.", None),
    "GET /api/v1/users/{user_id}/reviews": ("anyone", "Published reviews are public.", None),
    "GET /api/v1/users/{user_id}/portfolio": ("anyone", "A portfolio is shown on the profile.", None),
    "POST /api/v1/skills-tests/{test_id}/attempts": (
        "members",
        "Any member may take an operator's skills test; the attempt is their own.",
        None,
    ),
    "GET page listing_detail": ("anyone", "A published listing's page.", LISTED),
    "GET page listing_calendar": ("anyone", "A published listing's calendar of free seats.", LISTED),
    "GET page listing_quote": ("anyone", "The price of chosen dates on a published listing.", LISTED),
    "GET page listing_times": (
        "anyone",
        "A day's start times on a published listing booked by the hour, as its calendar.",
        LISTED,
    ),
    "POST page deal_start": ("members", "Starting a deal on a published listing.", LISTED),
    "POST page listing_checkout": (
        "members",
        "Pricing a checkout for a deal on a published listing, as starting the deal.",
        LISTED,
    ),
    "POST page offer_make": ("members", "Offering on a published request.", LISTED),
    "POST page question_ask": ("members", "Asking the author of a published listing.", LISTED),
    "GET page member_profile": ("anyone", "The public profile.", None),
    "POST page skill_attempt_start": ("members", "Any member may take a skills test.", None),
}

ALL = ("support", "finance", "admin")
DEAL_READ = "commerce.selectors.is_operator: every operator group views transactions, and so all of a deal."


def _groups(acts: tuple[str, ...] = (), sees: tuple[str, ...] = ()) -> dict[str, str]:
    return {**dict.fromkeys(sees, "sees"), **dict.fromkeys(acts, "acts")}


# What operator groups may do to others' objects (accounts/operators.py); the rest are refused.
OPERATORS: dict[str, tuple[dict[str, str], str, frozenset[str] | None]] = {
    "GET /api/v1/transactions/{transaction_id}": (_groups(ALL), DEAL_READ, None),
    "GET /api/v1/transactions/{transaction_id}/disputes": (_groups(ALL), DEAL_READ, None),
    "GET /api/v1/transactions/{transaction_id}/disputes/evidence/{evidence_id}/file": (
        _groups(ALL),
        DEAL_READ,
        None,
    ),
    "GET /api/v1/transactions/{transaction_id}/disputes/evidence/{evidence_id}/pages/{number}": (
        _groups(ALL),
        DEAL_READ,
        None,
    ),
    "GET /api/v1/transactions/{transaction_id}/messages": (_groups(ALL), DEAL_READ, None),
    "GET /api/v1/transactions/{transaction_id}/payment": (_groups(ALL), DEAL_READ, None),
    "GET /api/v1/transactions/{transaction_id}/reviews": (_groups(ALL), DEAL_READ, None),
    "POST /api/v1/transactions/{transaction_id}/messages/read": (
        _groups(ALL),
        "Marks nothing for an operator, who has no unread count; they may read the deal.",
        None,
    ),
    "POST /api/v1/transactions/{transaction_id}/transitions": (
        _groups(acts=("support", "admin"), sees=("finance",)),
        "Operator steps (cancel, resolve) need commerce.change_transaction: support and admin.",
        None,
    ),
    "POST /api/v1/transactions/{transaction_id}/disputes": (
        _groups(sees=ALL),
        "Only a party opens a dispute; operators see the deal.",
        None,
    ),
    "POST /api/v1/transactions/{transaction_id}/disputes/evidence": (
        _groups(sees=ALL),
        "Only a party adds evidence; operators see the deal.",
        None,
    ),
    "POST /api/v1/transactions/{transaction_id}/messages": (
        _groups(sees=ALL),
        "Only the parties write in a deal's conversation; operators read it.",
        None,
    ),
    "GET /api/v1/me/documents/{document_id}/file": (
        _groups(("support", "admin")),
        "accounts.view_document: support reviews documents.",
        None,
    ),
    "GET /api/v1/me/documents/{document_id}/pages/{number}": (
        _groups(("support", "admin")),
        "accounts.view_document: support reviews documents, by their pages.",
        None,
    ),
    "POST /api/v1/ops/payout-holds/{hold_id}/release": (
        _groups(("finance", "admin")),
        "A money action: ledger.add_payouthold, finance's.",
        None,
    ),
    "GET page transaction_detail": (_groups(ALL), DEAL_READ, None),
    "GET page conversation_open": (_groups(ALL), DEAL_READ + " It goes to the deal's page.", None),
    "POST page conversation_open": (_groups(ALL), "Marks nothing for an operator.", None),
    "GET page conversation_read": (_groups(ALL), DEAL_READ + " It goes to the deal's page.", None),
    "POST page conversation_read": (_groups(ALL), "Marks nothing for an operator.", None),
    "POST page transaction_step": (
        _groups(acts=("support", "admin"), sees=("finance",)),
        "Operator steps need commerce.change_transaction.",
        None,
    ),
    "POST page review_submit": (_groups(sees=ALL), "Only a party reviews; operators see the deal.", None),
    "POST page message_post": (_groups(sees=ALL), "Only the parties write; operators read.", None),
    "GET page account_document_file": (_groups(("support", "admin")), "accounts.view_document.", None),
    **dict.fromkeys(
        (
            "GET /api/v1/paperwork/{paper_id}",
            "GET /api/v1/paperwork/{paper_id}/pdf",
            "GET page paper_detail",
            "GET page paper_pdf",
        ),
        (
            _groups(("finance", "admin")),
            "ledger.paperwork.document_visible: receipts and invoices are money papers, finance's.",
            None,
        ),
    ),
}

# Bodies where the smallest valid one would be refused for its content before its sender.
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/transactions/{transaction_id}/transitions": {
        "name": "cancel_by_operator",
        "params": {"reason": "Checked by the matrix."},
    },
    "POST page transaction_step": {"name": "cancel_by_operator", "reason": "Checked by the matrix."},
    "POST page message_post": {"body": "Hello from the matrix."},
    "POST page review_reply": {"text": "Thank you."},
    "POST page review_submit": {"rating": "5", "text": "Fine."},
    "POST page portfolio_image_add": {"file": lambda: image("piece.png")},
}

# Paths whose parameter names no member's object: not in the matrix.
NOT_OBJECTS: dict[str, str] = {
    "GET /api/v1/processes/{name}": "A process definition: documentation, the same for all.",
    "GET page process_detail": "A process definition: documentation, the same for all.",
    "POST page process_detail": "A process definition: documentation, the same for all.",
    "POST /api/v1/webhooks/payments/{provider}": "A provider's webhook: its signature is the credential.",
}

# URL prefixes outside the API that are not pages of one member's object.
OUTSIDE: dict[str, str] = {
    "admin/": "The admin's object pages are walked against accounts/operators.py by their own test below.",
    "media/": "Public media (photos, avatars); private files are served only by the views checked here.",
    "accounts/": "allauth's links carry their key, which is the credential (email confirmation, reset).",
    "console/": "The operator's console: every URL is a 404 to all but operators, and each action to all "
    "but its groups, checked from the URLconf by web/tests/test_console_pages.py (docs/console.md).",
}

POLICY = Policy(public=PUBLIC, operators=OPERATORS, bodies=BODIES)

# Admin models tests/world.py does not seed yet: their pages are not walked.
ADMIN_UNSEEDED: dict[str, str] = dict.fromkeys(
    (
        "accounts.phonenumber",
        "ledger.providerwebhookevent",
    ),
    "Not seeded by tests/world.py yet.",
)
# Routes whose last segment names another model than the path's: the dispute's evidence file.
ADMIN_FILE_MODELS = {
    "admin/commerce/dispute/evidence/<uuid:evidence_id>/file/": ("commerce", "disputeevidence")
}


def _document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_every_object_endpoint_of_the_api_refuses_whoever_is_not_entitled(client, world):
    # given every operation of the published API whose path names an object
    document = _document(client)
    endpoints = [e for e in api_endpoints(document) if e.key not in NOT_OBJECTS]
    assert len(endpoints) > 30
    # when each is asked about each seeded object by each kind of caller
    failures = matrix_failures(endpoints, world, document, POLICY)
    # then only the parties and those the policy names get anything
    assert failures == [], "\n".join(failures)


def test_every_object_page_refuses_whoever_is_not_entitled(client, world):
    # given every page of the URLconf that names an object
    endpoints = [e for e in page_endpoints(OUTSIDE) if e.key not in NOT_OBJECTS]
    assert len(endpoints) > 30
    # when each is asked about each seeded object by each kind of caller
    failures = matrix_failures(endpoints, world, _document(client), POLICY)
    # then only the parties and those the policy names get anything
    assert failures == [], "\n".join(failures)


def test_the_matrix_fails_when_one_check_is_switched_off(client, world, monkeypatch):
    # given a deal's visibility check that lets anyone see any deal
    def visible_to_anyone(*, actor: Any, transaction_id: Any) -> Transaction:
        found = Transaction.objects.select_related("listing", "customer", "provider").filter(
            pk=transaction_id
        )
        return (
            found.get()
            if found.exists()
            else commerce_selectors.transaction_visible(actor=actor, transaction_id=transaction_id)
        )

    monkeypatch.setattr(commerce_selectors, "transaction_visible", visible_to_anyone)
    document = _document(client)
    endpoints = [e for e in api_endpoints(document) if e.params == {"transaction_id"}]
    # when the matrix walks the deals' endpoints
    failures = matrix_failures(endpoints, world, document, POLICY)
    # then it names the leak, for strangers and the other deal's parties alike
    for caller in ("stranger", "wrong_provider", "wrong_customer"):
        assert any(
            f.startswith("GET /api/v1/transactions/{transaction_id} [booking deal]")
            and f" as {caller}: 200" in f
            for f in failures
        ), failures


def test_every_public_exception_and_operator_grant_names_a_real_endpoint(client, db):
    # given the endpoints found
    keys = {e.key for e in api_endpoints(_document(client))} | {e.key for e in page_endpoints(OUTSIDE)}
    # then the tables name no endpoint that is gone, and every exception says why
    for table in (PUBLIC, OPERATORS, BODIES, NOT_OBJECTS):
        assert set(table) <= keys, sorted(set(table) - keys)
    assert all(reason.strip() for _who, reason, _labels in PUBLIC.values())
    assert all(reason.strip() for _groups, reason, _labels in OPERATORS.values())
    assert all(reason.strip() for reason in (*NOT_OBJECTS.values(), *OUTSIDE.values()))


def _admin_may(caller: str, app: str, model: str, action: str) -> set[int]:
    """The statuses operators.py allows `caller` on an admin page: 200, a refusal (403/404),
    or either where a ModelAdmin may refuse more than the permissions do (deleting ledger
    rows). Setting someone's password is taking over their account: the admin group's alone."""
    refused = {403, 404}
    if caller not in ALL:
        return {302}  # to the admin's login page
    if action == "password":
        return {200} if caller == "admin" else refused
    if caller == "admin":
        return {200, *refused} if action == "delete" else {200}
    granted = GROUP_PERMISSIONS[caller].get(app, {}).get(model, ())
    if action == "delete":
        return {200, *refused} if "delete" in granted else refused
    return {200} if {"view", "change"} & set(granted) else refused


def test_every_admin_page_of_one_object_follows_the_operator_groups(db, world):
    # given every admin page of one object, found in the URLconf, and a seeded row of its model
    pages = admin_object_pages()
    assert len(pages) > 100
    failures = []
    for route, app, model, action in pages:
        app, model = ADMIN_FILE_MODELS.get(route, (app, model))
        label = f"{app}.{model}"
        if label in ADMIN_UNSEEDED:
            continue
        row = apps.get_model(app, model).objects.order_by("pk").first()
        if row is None:
            failures.append(f"{route}: no {label} is seeded (tests/world.py) nor listed in ADMIN_UNSEEDED")
            continue
        # when each kind of caller opens it
        for caller in CALLERS:
            response = admin_page_answer(route, str(row.pk), world, caller)
            allowed = _admin_may(caller, app, model, action)
            # then only the groups operators.py names see it, and the others see nothing of it
            if response.status_code not in allowed:
                failures.append(f"{route} as {caller}: {response.status_code}, expected {sorted(allowed)}")
            elif response.status_code == 302 and not response["Location"].startswith("/admin/login/"):
                failures.append(f"{route} as {caller}: sent to {response['Location']}")
            elif response.status_code != 200 and leaked(response, world, route):
                failures.append(f"{route} as {caller}: the refusal shows {leaked(response, world, route)}")
    assert failures == [], "\n".join(failures)
