"""The processes deals follow, as pages: what each is for and its steps, in people's words (the
codes, actions and diagram are the API's, `GET /api/v1/processes/{name}`)."""

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from barnraise.commerce import processes
from barnraise.commerce.processes import words
from barnraise.commerce.processes.definitions import INITIAL, At, Process


@dataclass
class TransitionRow:
    step: str
    from_states: str
    to: str
    actor: str
    trigger: str


ACTORS = {
    "customer": _lazy("The customer"),
    "provider": _lazy("The provider"),
    "operator": _lazy("An operator"),
    "system": _lazy("By itself"),
}
MOMENTS = {
    "initiated": _lazy("the deal started"),
    "entered_state": _lazy("it got there"),
    "booking_start": _lazy("the booking starts"),
    "booking_end": _lazy("the booking ends"),
    "payment_due": _lazy("the card can be held for the booking, days before it starts"),
}


def _state(state: str) -> str:
    return str(words.STATES.get(state, state))


def _when(at: At) -> str:
    """ "2 days after the booking ends", "at once when the deal started"."""
    hours = int(at.offset.total_seconds() // 3600)
    moment = MOMENTS[at.timepoint]
    if not hours:
        return str(_("when %(moment)s") % {"moment": moment})
    span = (
        ngettext("%(n)d day", "%(n)d days", abs(hours) // 24) % {"n": abs(hours) // 24}
        if hours % 24 == 0
        else ngettext("%(n)d hour", "%(n)d hours", abs(hours)) % {"n": abs(hours)}
    )
    pattern = _("%(span)s after %(moment)s") if hours > 0 else _("%(span)s before %(moment)s")
    return str(pattern % {"span": span, "moment": moment})


def _rows(process: Process) -> list[TransitionRow]:
    """Each step in the words people read on a deal: never a state's or a step's code."""
    return [
        TransitionRow(
            step=t.button,
            from_states=", ".join(str(_("Start")) if s == INITIAL else _state(s) for s in t.from_states),
            to=_state(t.to),
            actor=str(ACTORS[t.actor]),
            trigger=str(_(" or ")).join(_when(a) for a in t.at),
        )
        for t in process.transitions
    ]


def _latest() -> list[Process]:
    return [p for p in (processes.latest(name) for name in processes.names()) if p is not None]


@require_GET
def process_list(request: HttpRequest) -> HttpResponse:
    return render(request, "web/processes/list.html", {"processes": _latest()})


@require_GET
def process_detail(request: HttpRequest, name: str) -> HttpResponse:
    process = processes.latest(name)
    if process is None:
        raise Http404(_("No process by this name."))
    context = {"process": process, "rows": _rows(process)}
    return render(request, "web/processes/detail.html", context)
