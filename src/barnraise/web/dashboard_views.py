"""The provider dashboard: upcoming bookings on a calendar, open requests nearby, earnings."""

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from barnraise.web import dashboard_presenters as presenters
from barnraise.web.views import member_of


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    provider = member_of(request)
    today = timezone.localdate()
    first = presenters.month_from(request.GET.get("month"), today)
    earnings = presenters.earnings_by_month(provider=provider, today=today)
    context = {
        "month": presenters.bookings_month(provider=provider, first=first, today=today),
        "upcoming": presenters.bookings_upcoming(provider=provider),
        "requests": presenters.requests_nearby(provider=provider),
        "offers": presenters.offers_anything(provider),
        "earnings": earnings,
        "earnings_rows": earnings.rows(),
        "weekday_names": presenters.weekday_names(),
        "chart_json": json.dumps(earnings.chart()),
    }
    return render(request, "web/dashboard/dashboard.html", context)
