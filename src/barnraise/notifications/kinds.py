"""The kinds of notification there are, found from their templates.

A context adds a kind by shipping `templates/notifications/<kind>/title.txt` and `body.txt`
(optionally `email.html`, and `label.txt`: how the preferences page names it). Nothing to
register, so a new kind gets its preference switch by existing.
"""

from functools import cache
from pathlib import Path
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.template.loader import TemplateDoesNotExist, render_to_string


@cache
def kinds() -> tuple[str, ...]:
    roots = [Path(config.path) / "templates" for config in apps.get_app_configs()]
    for engine in cast(list[dict[str, Any]], settings.TEMPLATES):
        roots += [Path(d) for d in engine.get("DIRS", [])]
    found = {path.parent.name for root in roots for path in (root / "notifications").glob("*/title.txt")}
    return tuple(sorted(found))


def label(kind: str) -> str:
    try:
        return " ".join(render_to_string(f"notifications/{kind}/label.txt").split())
    except TemplateDoesNotExist:
        return kind.replace("_", " ").capitalize()
