"""The search page, its htmx fragments, and saved searches."""

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from barnraise import errors
from barnraise.catalog.models import Category
from barnraise.catalog.selectors import (
    categories_all,
    categories_tree,
    category_filterable_attributes,
    marketplace_area,
    marketplace_currency,
)
from barnraise.places import gazetteer
from barnraise.search.query import parse
from barnraise.search.selectors import Results, Total, count_capped, listings_search, saved_searches_for
from barnraise.search.services import saved_search_create, saved_search_delete
from barnraise.web.listing_forms import COMMON_CURRENCIES
from barnraise.web.search_forms import SearchForm
from barnraise.web.search_params import Translated, form_errors_from, translate
from barnraise.web.views import member_of


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _category(slug: str | None) -> Category | None:
    return next((c for c in categories_all() if c.slug == slug), None) if slug else None


def _query_errors(error: errors.DomainError) -> dict[str, list[str]]:
    if isinstance(error, errors.InvalidCursor):  # a "next page" link that was edited or is stale
        return {"": [_("This page of results cannot be shown: start again from the first page.")]}
    if isinstance(error, errors.InvalidInput):
        return form_errors_from(error)
    if isinstance(error, errors.NaiveDatetime):
        return {error.field: [error.message]}
    return {"": [error.message]}


def _run(translated: Translated) -> tuple[Results | None, Total | None, dict[str, list[str]], int]:
    """The results and their total, or the errors by field and the status to answer with."""
    if translated.errors:
        return None, None, translated.errors, 422
    try:
        query = parse(translated.params)
        return listings_search(query), count_capped(query), {}, 200
    except errors.DomainError as error:
        return None, None, _query_errors(error), error.status


def _page_url(params: dict[str, str], **changes: str | None) -> str:
    merged = {**params, **changes}
    return "?" + urlencode({k: v for k, v in merged.items() if v})


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    saved_id = request.GET.get("saved")
    if saved_id and request.user.is_authenticated:
        saved = (
            saved_searches_for(user=member_of(request)).filter(id=saved_id).first()
            if _uuid(saved_id)
            else None
        )
        if saved is not None:
            return redirect(f"{request.path}?{urlencode(saved.params)}")
    currency = marketplace_currency()
    translated = translate(request.GET, default_currency=currency, near=marketplace_area())
    results, total, problems, status = _run(translated)
    category = _category(translated.params.get("category"))
    attributes = category_filterable_attributes(category=category) if category else []
    form = SearchForm(
        initial=translated.form, tree=categories_tree(), attributes=attributes, default_currency=currency
    )
    form.show_errors(problems)
    form_params = {k: v for k, v in translated.form.items() if k not in ("cursor", "saved")}
    context: dict[str, Any] = {
        "form": form,
        "results": results,
        "total": total,
        "searched": bool(form_params),
        "next_url": _page_url(form_params, cursor=results.next_cursor)
        if results and results.next_cursor
        else None,
        "first_url": _page_url(form_params) if request.GET.get("cursor") else None,
        "point_given": "lat" in translated.params,
        "zone": translated.zone,
        "zone_known": translated.zone_known,
        "query_string": urlencode(form_params),
        "more_filters_open": bool(problems)
        or any(k in form_params for k in ("price_from", "price_to", "start", "end", "seats", "sort"))
        or ("lat" in form_params and "where" not in form_params),
        "currencies": COMMON_CURRENCIES,
    }
    template = "web/search/_results.html" if _is_htmx(request) else "web/search/page.html"
    return render(request, template, context, status=status)


def _uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


@require_GET
def search_filters(request: HttpRequest) -> HttpResponse:
    """The attribute filters of the chosen category, for htmx to put in the form."""
    category = _category(request.GET.get("category"))
    attributes = category_filterable_attributes(category=category) if category else []
    form = SearchForm(tree=[], attributes=attributes)
    return render(request, "web/search/_attr_filters.html", {"form": form})


@require_GET
def search_count(request: HttpRequest) -> HttpResponse:
    """The filter sheet's live count: what its button would show, as the filters change."""
    translated = translate(request.GET, default_currency=marketplace_currency(), near=marketplace_area())
    total: Total | None = None
    if not translated.errors:
        try:
            total = count_capped(parse({k: v for k, v in translated.params.items() if k != "cursor"}))
        except errors.DomainError:
            total = None
    return render(request, "web/search/_count.html", {"total": total})


@require_GET
def place_options(request: HttpRequest) -> HttpResponse:
    """Suggestions for the "Where" box, as the options of its datalist (htmx swaps them in)."""
    typed = request.GET.get("where", "")[:200]
    places = gazetteer.suggest(typed, near=marketplace_area(), limit=6)
    return render(request, "web/search/_place_options.html", {"places": places})


@login_required
@require_POST
def saved_search_save(request: HttpRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    translated = translate(QueryDict(query))
    params = {k: v for k, v in translated.params.items() if k != "cursor"}
    try:
        saved_search_create(actor=member_of(request), name=request.POST.get("name", ""), params=params)
    except errors.DomainError as error:
        details = error.details if isinstance(error.details, dict) else {}
        texts = [f"{m}" for messages_ in details.values() for m in messages_] or [error.message]
        messages.error(request, _("The search was not saved: %(why)s") % {"why": " ".join(texts)})
        return redirect(f"/search/?{query}")
    messages.success(request, _("Search saved. We will tell you about new listings that match."))
    return redirect(f"/search/?{query}")


@login_required
@require_GET
def saved_search_list(request: HttpRequest) -> HttpResponse:
    saved = [
        {"search": s, "url": f"/search/?{urlencode(s.params)}", "terms": sorted(s.params.items())}
        for s in saved_searches_for(user=member_of(request))
    ]
    return render(request, "web/search/saved.html", {"saved": saved})


@login_required
@require_POST
def saved_search_remove(request: HttpRequest, saved_search_id: UUID) -> HttpResponse:
    try:
        saved_search_delete(actor=member_of(request), saved_search_id=saved_search_id)
    except errors.NotFound as error:
        raise Http404(error.message) from error
    messages.success(request, _("The saved search is deleted."))
    return redirect("saved_search_list")
