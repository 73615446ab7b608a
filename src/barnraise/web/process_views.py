"""The processes deals follow, as pages: what each is for, its transitions and its diagram."""

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from barnraise.commerce import processes
from barnraise.commerce.processes.definitions import INITIAL, Process


@dataclass
class TransitionRow:
    name: str
    from_states: str
    to: str
    actor: str
    trigger: str
    actions: str
    params: str


def _rows(process: Process) -> list[TransitionRow]:
    return [
        TransitionRow(
            name=t.name,
            from_states=", ".join(_("(start)") if s == INITIAL else s for s in t.from_states),
            to=t.to,
            actor=t.actor,
            trigger=_(" or ").join(a.describe() for a in t.at),
            actions=", ".join(t.actions),
            params=", ".join(t.params),
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
    context = {"process": process, "rows": _rows(process), "diagram": process.mermaid()}
    return render(request, "web/processes/detail.html", context)
