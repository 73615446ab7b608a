"""Messages on the deal page, the inbox of conversations, opening and marking them read."""

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from barnraise.errors import DomainError, NotFound
from barnraise.messaging import selectors, services
from barnraise.web.views import member_of

PER_PAGE = 25


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=services.BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _deal_url(transaction_id: Any) -> str:
    return reverse("transaction_detail", args=[transaction_id]) + "#conversation"


@login_required
@require_POST
def message_post(request: HttpRequest, transaction_id: UUID) -> HttpResponse:
    """Send from the deal page; the outcome (and why anything was hidden) comes back as a message."""
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors.get("body", [])))
        return redirect(_deal_url(transaction_id))
    actor = member_of(request)
    try:
        sent = services.message_send(
            actor=actor, transaction_id=transaction_id, body=form.cleaned_data["body"]
        )
    except NotFound as error:
        raise Http404(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(_deal_url(transaction_id))
    services.conversation_mark_read(actor=actor, transaction_id=transaction_id)
    if sent.masked_kinds:
        messages.warning(request, " ".join([_("Sent, with contact details hidden."), *sent.reasons]))
    else:
        messages.success(request, _("Message sent."))
    return redirect(_deal_url(transaction_id))


@login_required
@require_http_methods(["GET", "POST"])
def conversation_read(request: HttpRequest, transaction_id: UUID) -> HttpResponse:
    """Mark a conversation read, then show it on the deal page: opened from the inbox or a
    notification's link (GET), or by the thread's "mark read" button (POST)."""
    try:
        services.conversation_mark_read(actor=member_of(request), transaction_id=transaction_id)
    except NotFound as error:
        raise Http404(error.message) from error
    return redirect(_deal_url(transaction_id))


@login_required
@require_GET
def message_inbox(request: HttpRequest) -> HttpResponse:
    user = member_of(request)
    page = Paginator(selectors.inbox_of(member=user), PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for row in page:
        tx = row.conversation.transaction
        rows.append(
            {
                "tx": tx,
                "other": tx.provider if tx.customer_id == user.pk else tx.customer,
                "unread": row.unread_count,
                "last": getattr(row, "last_body", "") or "",
                "mine": getattr(row, "last_sender_id", None) == user.pk,
                "at": row.last_message_at,
            }
        )
    context = {"page": page, "rows": rows, "unread_total": selectors.unread_total(member=user)}
    return render(request, "web/messaging/inbox.html", context)
