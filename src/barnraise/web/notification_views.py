"""The member's notifications: the list, opening one (which reads it), marking one or all as read."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from barnraise.errors import NotFound
from barnraise.notifications.selectors import notifications_for
from barnraise.notifications.services import notification_mark_read, notifications_mark_all_read
from barnraise.web.views import member_of

PER_PAGE = 25


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(user=member_of(request)), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/notifications/list.html", {"page": page})


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: UUID) -> HttpResponse:
    """A notification's link: it is read once opened, then the page it is about. Only a path on
    this site is followed; anything else lands on the list."""
    try:
        notification = notification_mark_read(actor=member_of(request), notification_id=str(notification_id))
    except NotFound as error:
        raise Http404(error.message) from error
    target = notification.url or ""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return redirect(target)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: UUID) -> HttpResponse:
    try:
        notification = notification_mark_read(actor=member_of(request), notification_id=str(notification_id))
    except NotFound as error:
        raise Http404(error.message) from error
    if _is_htmx(request):
        # The item in place, and the header's badge out of band.
        context = {"notification": notification, "badge_oob": True}
        return render(request, "web/notifications/_read_item.html", context)
    return redirect("notification_list")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=member_of(request))
    if count:
        message = ngettext(
            "%(count)d notification marked as read.", "%(count)d notifications marked as read.", count
        )
        messages.success(request, message % {"count": count})
    else:
        messages.info(request, _("There was nothing unread."))
    # htmx follows the redirect and picks the list, the badge and the messages out of the page.
    return redirect("notification_list")
