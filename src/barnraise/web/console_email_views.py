"""The console's deal emails (/console/emails/): every step's email to each party told, its
wording in each of the site's languages (the default, translated, or the operator's), an
editor that checks placeholders, and a preview filled with a sample deal in the language being
edited (`?language=`, the site's default when absent). Admin operators only; the door is
`commerce.emails.email_text_save`.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from barnraise.accounts import operators
from barnraise.commerce import emails, processes
from barnraise.commerce.processes.definitions import Process, Transition
from barnraise.errors import DomainError
from barnraise.web.console_views import _operator, operator_page

AUDIENCES = {"customer": gettext_lazy("To the customer"), "provider": gettext_lazy("To the provider")}


@dataclass(frozen=True)
class Row:
    process: str
    step: str
    audience: str
    label: str
    to: str
    subject: str
    edited: list[str]  # the names of the languages it has an override in


def _latest_pairs() -> list[tuple[Process, Transition, str]]:
    """Each process's email pairs, as its latest version has them (the wording is per process)."""
    latest = {name: processes.latest(name) for name in processes.names()}
    return [(p, s, a) for p, s, a in emails.pairs() if latest[p.name] is p]


@operator_page(operators.ADMIN)
@require_http_methods(["GET"])
def email_list(request: HttpRequest) -> HttpResponse:
    groups: dict[str, list[Row]] = {}
    overrides = emails.overrides_all()
    site = emails.site_language()
    for process, step, audience in _latest_pairs():
        subject, _text, _override = emails.wording(process.name, step, audience, site, overrides)
        edited = [
            name
            for code, name in emails.languages()
            if (process.name, step.name, audience, code) in overrides
        ]
        groups.setdefault(process.name, []).append(
            Row(
                process=process.name,
                step=step.name,
                audience=audience,
                label=str(step.button),
                to=str(AUDIENCES[audience]),
                subject=subject,
                edited=edited,
            )
        )
    context = {"groups": sorted(groups.items()), "several_languages": len(emails.languages()) > 1}
    return render(request, "web/console/emails.html", context)


class EmailTextForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200, required=False)
    text = forms.CharField(
        label=gettext_lazy("Text"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 10})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in ("subject", "text"):
            for error in emails.placeholder_errors(cleaned.get(field, "")):
                self.add_error(field, error)
        return cleaned


def _language(request: HttpRequest) -> str:
    """The language being edited and previewed: `?language=`, else the site's default."""
    language = request.GET.get("language") or emails.site_language()
    if not emails.language_known(language):
        raise Http404
    return language


def _pair(process_name: str, step_name: str, audience: str) -> tuple[Process, Transition]:
    latest = processes.latest(process_name)
    if latest is None:
        raise Http404
    try:
        return emails.step_of(process_name, latest.version, step_name, audience)
    except DomainError as error:
        raise Http404 from error


@operator_page(operators.ADMIN)
@require_http_methods(["GET", "POST"])
def email_edit(request: HttpRequest, process: str, step: str, audience: str) -> HttpResponse:
    found, transition = _pair(process, step, audience)
    language = _language(request)
    subject, text, override = emails.wording(process, transition, audience, language)
    page = reverse("console_email", args=[process, step, audience])
    here = f"{page}?{urlencode({'language': language})}"
    draft: tuple[str, str] | None = None
    if request.method == "POST":
        form = EmailTextForm(request.POST)
        action = request.POST.get("action", "save")
        if action == "default":
            emails.email_text_save(
                actor=_operator(request),
                process=process,
                transition=step,
                audience=audience,
                language=language,
                subject="",
                text="",
            )
            messages.success(request, _("The default wording is back."))
            return redirect(here)
        if form.is_valid():
            draft = (form.cleaned_data["subject"].strip(), form.cleaned_data["text"].strip())
            if action == "save":
                try:
                    emails.email_text_save(
                        actor=_operator(request),
                        process=process,
                        transition=step,
                        audience=audience,
                        language=language,
                        subject=draft[0],
                        text=draft[1],
                    )
                except DomainError as error:
                    details = error.details if isinstance(error.details, dict) else {}
                    for field, found_errors in details.items():
                        for message in found_errors:
                            form.add_error(field if field in form.fields else None, str(message))
                else:
                    messages.success(request, _("Saved. The next email of this step uses it."))
                    return redirect(here)
    else:
        form = EmailTextForm(initial={"subject": subject, "text": text})
    show = form.is_bound and not form.errors
    email = emails.preview(
        process, found.version, step, audience, language=language, draft=draft if show else None
    )
    query = {"language": language}
    if show and draft is not None:
        query |= {"subject": draft[0], "text": draft[1]}
    html_url = reverse("console_email_html", args=[process, step, audience]) + "?" + urlencode(query)
    edited = emails.languages_edited(process, step, audience)
    context = {
        "form": form,
        "label": transition.button,
        "to": AUDIENCES[audience],
        "process": process,
        "email": email,
        "is_draft": show,
        "html_url": html_url,
        "override": override,
        "here": here,
        "language_name": dict(emails.languages())[language],
        "languages": [
            {
                "code": code,
                "name": name,
                "url": f"{page}?{urlencode({'language': code})}",
                "edited": code in edited,
            }
            for code, name in emails.languages()
        ],
        "language": language,
        "placeholders": [(name, str(what)) for name, what in emails.PLACEHOLDERS.items()],
    }
    with translation.override(language):
        context |= {
            "default_subject": emails.default_subject(transition),
            "default_text": emails.default_text(audience),
        }
    return render(request, "web/console/email.html", context)


@operator_page(operators.ADMIN)
@require_http_methods(["GET"])
@xframe_options_sameorigin
def email_html(request: HttpRequest, process: str, step: str, audience: str) -> HttpResponse:
    """The preview's HTML part, alone, for the edit page's frame: the email as it is sent, with
    its inline styles (allowed on this answer only; it runs no script and loads nothing)."""
    found, _transition = _pair(process, step, audience)
    language = _language(request)
    draft = None
    if "subject" in request.GET or "text" in request.GET:
        subject, text = request.GET.get("subject", "")[:200], request.GET.get("text", "")[:5000]
        if emails.placeholder_errors(subject) or emails.placeholder_errors(text):
            raise Http404
        draft = (subject.strip(), text.strip())
    email = emails.preview(process, found.version, step, audience, language=language, draft=draft)
    response = HttpResponse(email.html())
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; "
        "form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox"
    )
    return response
