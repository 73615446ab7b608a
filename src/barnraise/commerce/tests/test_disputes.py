"""Disputes through the API and the deal page: open, evidence in private storage, resolution."""

import io
import struct
import zlib
from datetime import datetime, timedelta

import pytest
import time_machine
from django.test import Client
from PIL import Image

from barnraise.accounts.services import operator_create, token_create
from barnraise.commerce.models import Dispute, DisputeEvidence, Transaction
from barnraise.conftest import ApiClient, after_commit, fetch
from barnraise.ledger.models import Payment
from barnraise.ledger.tests.conftest import CHARGEBACK, book, completed_booking, step

pytestmark = pytest.mark.django_db


def support(*groups: str):
    """An operator (support by default; a refund needs finance) and their API client."""
    user = operator_create(
        email="ops@example.com", name="Ops", password="pw-123456789", groups=list(groups or ["support"])
    )
    return user, ApiClient(token=token_create(user=user, name="t")[1])


def photo(name="scratch.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_a_party_opens_a_dispute_adds_evidence_and_the_operator_resolves_it(
    customer, provider, api_as, listing, make_pdf
):
    tx = completed_booking(customer, provider, listing())
    url = f"transactions/{tx['id']}/disputes"
    # a reason is required, and strangers see nothing
    assert customer.call("POST", url, json={"reason": ""}).status_code == 422
    assert api_as().call("POST", url, json={"reason": "Dirty"}).status_code == 404
    # when the customer opens one
    opened = after_commit(lambda: customer.call("POST", url, json={"reason": "The room was dirty"}))
    assert opened.status_code == 201
    assert (opened.json()["status"], opened.json()["opened_as"]) == ("open", "customer")
    assert Transaction.objects.get(pk=tx["id"]).state == "disputed"
    assert Payment.objects.get().frozen is True
    # and both sides add evidence: a note, a photo (re-encoded, private), a PDF
    note = customer.call("POST", f"{url}/evidence", data={"text": "See the sheets"})
    assert note.status_code == 201 and note.json()["file_url"] is None
    pic = provider.call("POST", f"{url}/evidence", data={"text": "Cleaned that morning", "file": photo()})
    assert pic.status_code == 201 and pic.json()["content_type"] == "image/jpeg"
    pdf = io.BytesIO(make_pdf())
    pdf.name = "invoice.pdf"
    assert (
        provider.call("POST", f"{url}/evidence", data={"file": pdf}).json()["content_type"]
        == "application/pdf"
    )
    junk = io.BytesIO(b"MZ\x90\x00 not a photo")
    junk.name = "photo.jpg"
    assert provider.call("POST", f"{url}/evidence", data={"file": junk}).status_code == 422
    file_url = pic.json()["file_url"]
    assert customer.call("GET", file_url)["Content-Type"] == "image/jpeg"
    assert api_as().call("GET", file_url).status_code == 404
    # then the operator resolves it with a partial refund, and both see the outcome
    _, ops = support("support", "finance")
    after_commit(
        lambda: ops.call(
            "POST",
            f"transactions/{tx['id']}/transitions",
            json={
                "name": "resolve",
                "params": {"refund": {"amount_minor": 1000, "currency": "EUR"}, "outcome": "Half a night"},
            },
        )
    )
    seen = provider.call("GET", url).json()["results"][0]
    assert (seen["status"], seen["refund"]["amount_minor"], seen["outcome"]) == (
        "resolved",
        1000,
        "Half a night",
    )
    assert len(seen["evidence"]) == 3
    assert customer.call("POST", f"{url}/evidence", data={"text": "late"}).status_code == 409
    events = [e["name"] for e in customer.call("GET", f"transactions/{tx['id']}").json()["events"]]
    assert events[-2:] == ["dispute", "resolve"]
    # and operators find it in the admin's queue, with the evidence beside it
    operator, _ops = Dispute.objects.get().resolved_by, None
    admin = Client()
    admin.force_login(operator)
    queue = admin.get("/admin/commerce/dispute/")
    assert queue.status_code == 200 and str(tx["id"]) in queue.content.decode()
    detail = admin.get(f"/admin/commerce/dispute/{Dispute.objects.get().pk}/change/").content.decode()
    assert "Cleaned that morning" in detail and "image/jpeg" in detail
    evidence_id = pic.json()["id"]
    assert admin.get(f"/admin/commerce/dispute/evidence/{evidence_id}/file/")["Content-Type"] == "image/jpeg"


def test_disputes_only_on_completed_deals_and_within_the_window(customer, provider, listing):
    accepted = book(customer, listing()).json()
    step(provider, accepted["id"], "accept")
    early = customer.call("POST", f"transactions/{accepted['id']}/disputes", json={"reason": "Worried"})
    assert early.status_code == 409 and early.json()["error"]["code"] == "transition_not_allowed"
    tx = completed_booking(customer, provider, listing(title="Another"))
    with time_machine.travel(datetime.fromisoformat(tx["end"]) + timedelta(days=9), tick=False):
        late = provider.call("POST", f"transactions/{tx['id']}/disputes", json={"reason": "Too late"})
    assert late.status_code == 409
    assert Dispute.objects.count() == 0


def test_a_chargeback_is_a_dispute_the_operator_sees(customer, provider, listing):
    tx = book(customer, listing(), card=CHARGEBACK).json()
    step(provider, tx["id"], "accept")
    dispute = Dispute.objects.get()
    assert (dispute.opened_as, dispute.status, dispute.opened_by) == ("system", "open", None)
    assert (
        customer.call("GET", f"transactions/{tx['id']}/disputes").json()["results"][0]["opened_as"]
        == "system"
    )


def test_the_operator_resolves_from_the_deal_page(customer, provider, listing):
    tx = completed_booking(customer, provider, listing())
    after_commit(lambda: customer.call("POST", f"transactions/{tx['id']}/disputes", json={"reason": "Noisy"}))
    operator, _ = support("finance")
    page = Client()
    page.force_login(operator)
    html = page.get(f"/transactions/{tx['id']}/").content.decode()
    assert 'name="refund"' in html and "Noisy" in html
    after_commit(
        lambda: page.post(
            f"/transactions/{tx['id']}/step/", {"name": "resolve", "refund": "5.00", "outcome": "Split"}
        )
    )
    dispute = Dispute.objects.get()
    assert (dispute.status, dispute.refund_minor, dispute.resolved_by_id) == ("resolved", 500, operator.pk)
    assert "€5.00" in page.get(f"/transactions/{tx['id']}/").content.decode()


def _unpaid_purchase_completed(customer, provider, bike):
    """A purchase on process v1 (no money), completed, as the demo's older deals are."""
    from barnraise.commerce import engine, processes

    tx = engine.start(
        listing=bike,
        customer=customer.user,
        provider=provider.user,
        process=processes.get("purchase", 1),
        name="request",
        params={"quantity": 1},
        actor=customer.user,
    ).tx
    for name, who in (("accept", provider), ("mark_shipped", provider), ("confirm_receipt", customer)):
        tx = engine.transition(tx, name, actor=who.user).tx
    return tx


def test_a_dispute_on_an_unpaid_purchase_of_version_1_is_opened_and_shown(customer, provider, listing):
    # given a completed purchase on process v1, which takes no money
    tx = _unpaid_purchase_completed(customer, provider, listing("sale"))
    # when the customer opens a dispute
    opened = after_commit(
        lambda: customer.call("POST", f"transactions/{tx.pk}/disputes", json={"reason": "It arrived broken"})
    )
    # then it is open, with its reason, and the operator's queue has it
    assert opened.status_code == 201, opened.content
    assert (opened.json()["status"], opened.json()["reason"]) == ("open", "It arrived broken")
    assert Transaction.objects.get(pk=tx.pk).state == "disputed"
    assert Dispute.objects.get(transaction=tx.pk).status == "open"
    # and an operator's resolution closes it
    _, ops = support()
    resolved = ops.call("POST", f"transactions/{tx.pk}/transitions", json={"name": "resolve", "params": {}})
    assert resolved.status_code == 200, resolved.content
    assert Dispute.objects.get(transaction=tx.pk).status == "resolved"


def test_a_provider_cannot_open_a_dispute_where_the_process_has_no_such_step(customer, provider, listing):
    # given a completed v1 purchase: only its customer may dispute it
    tx = _unpaid_purchase_completed(customer, provider, listing("sale"))
    # when the provider tries
    refused = provider.call("POST", f"transactions/{tx.pk}/disputes", json={"reason": "They lie"})
    # then it is refused, and nothing changed
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "transition_not_allowed"
    assert Transaction.objects.get(pk=tx.pk).state == "completed"
    assert not Dispute.objects.exists()


def test_deals_disputed_on_version_1_before_it_kept_records_get_one(customer, provider, listing):
    # given a v1 purchase disputed before version 1 wrote dispute records
    import importlib

    from django.apps import apps

    tx = _unpaid_purchase_completed(customer, provider, listing("sale"))
    customer.call(
        "POST", f"transactions/{tx.pk}/transitions", json={"name": "dispute", "params": {"reason": "Bent"}}
    )
    Dispute.objects.all().delete()
    # when the data migration runs
    importlib.import_module("barnraise.commerce.migrations.0008_dispute_records_for_version_1").record(
        apps, None
    )
    # then the deal has its open dispute, opened by the customer for their reason
    found = Dispute.objects.get(transaction=tx.pk)
    assert (found.status, found.opened_as, found.opened_by_id, found.reason) == (
        "open",
        "customer",
        customer.user.pk,
        "Bent",
    )


def test_a_pdf_given_as_evidence_is_shown_by_its_pages_to_the_other_party_and_operators(
    customer, provider, api_as, listing, make_pdf, file_store
):
    # given an open dispute, and the provider's PDF (which runs a script when opened); the files
    # in memory, or on the object store (where the app redirects to a presigned URL)
    tx = completed_booking(customer, provider, listing())
    url = f"transactions/{tx['id']}/disputes"
    after_commit(lambda: customer.call("POST", url, json={"reason": "The room was dirty"}))
    pdf = make_pdf(pages=2)
    file = io.BytesIO(pdf)
    file.name = "invoice.pdf"
    # when it is added and the worker has run
    added = after_commit(lambda: provider.call("POST", f"{url}/evidence", data={"file": file}))
    assert added.status_code == 201, added.json()
    # then the customer sees its pages as images, and the PDF only as a download
    evidence = customer.call("GET", url).json()["results"][0]["evidence"][0]
    assert [page["number"] for page in evidence["pages"]] == [1, 2]
    page = fetch(customer.call("GET", evidence["pages"][1]["url"]))
    assert page.status == 200 and page.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(page.content)).format == "JPEG"
    assert page.headers["content-disposition"] == f'inline; filename="evidence-{evidence["id"]}-page-2.jpg"'
    original = fetch(customer.call("GET", evidence["file_url"]))
    assert original.headers["content-disposition"] == f'attachment; filename="evidence-{evidence["id"]}.pdf"'
    assert (original.headers["content-type"], original.headers["cache-control"]) == (
        "application/pdf",
        "private, no-store",
    )
    assert original.content == pdf
    assert bool(original.redirected) == (file_store is not None)
    # and a member who is not a party gets 404 for both
    stranger = api_as()
    assert stranger.call("GET", evidence["pages"][0]["url"]).status_code == 404
    assert stranger.call("GET", evidence["file_url"]).status_code == 404
    # and the operator sees the pages in the dispute's admin page, the PDF as a download
    operator, ops = support()
    admin = Client()
    admin.force_login(operator)
    detail = admin.get(f"/admin/commerce/dispute/{Dispute.objects.get().pk}/change/").content.decode()
    first = f"/admin/commerce/dispute/evidence/{evidence['id']}/pages/1/"
    assert f'<img src="{first}"' in detail
    assert f'href="/admin/commerce/dispute/evidence/{evidence["id"]}/file/" download' in detail
    assert fetch(admin.get(first)).headers["content-type"] == "image/jpeg"
    downloaded = fetch(admin.get(f"/admin/commerce/dispute/evidence/{evidence['id']}/file/"))
    assert downloaded.headers["content-disposition"] == original.headers["content-disposition"]
    assert downloaded.content == pdf
    assert fetch(ops.call("GET", evidence["pages"][0]["url"])).status == 200


def test_evidence_over_25_megapixels_or_20_pages_is_refused(customer, provider, listing, make_pdf):
    # given an open dispute
    tx = completed_booking(customer, provider, listing())
    url = f"transactions/{tx['id']}/disputes"
    after_commit(lambda: customer.call("POST", url, json={"reason": "The room was dirty"}))
    header = struct.pack(">IIBBBBB", 6_000, 6_600, 8, 6, 0, 0, 0)
    huge = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header
    huge += struct.pack(">I", zlib.crc32(b"IHDR" + header)) + b"\0\0\0\0IEND\xaeB`\x82"
    for data, code in ((huge, "image_too_large"), (make_pdf(pages=21), "too_many_pages")):
        file = io.BytesIO(data)
        file.name = "evidence.bin"
        # when
        refused = customer.call("POST", f"{url}/evidence", data={"file": file})
        # then
        assert refused.status_code == 422 and refused.json()["error"]["code"] == code
    assert not DisputeEvidence.objects.exists()
