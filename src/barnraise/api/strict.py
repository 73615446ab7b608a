"""Unknown input is refused, not ignored: 422 `unknown_field`, naming each field.

Two halves, both generic:

- bodies: every request-body schema inherits `api.schemas.InputSchema` (`extra="forbid"`), so
  pydantic reports a field it does not name as `extra_forbidden` beside any other problem;
- query strings, form fields and the body of an operation that takes none: `refuse_unknown_input`
  gives every operation of the API one more parameter model, `InputCheck`, which compares what
  the request carries with what the operation declares (its query models, its form and file
  models, the query parameters of its `openapi_extra`). It resolves with the operation's other
  parameters, after authentication, and its findings join theirs in the one 422.

An operation that reads its input itself says so with `@own_input`: the search (which checks its
own query, `attr.<name>` filters included) and the payment webhooks (a provider adds fields as
it likes). Pages are not API operations and stay lenient.
"""

import json
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.operation import Operation
from ninja.params.models import ParamModel
from pydantic_core import InitErrorDetails, ValidationError

F = TypeVar("F", bound=Callable[..., Any])

UNKNOWN = "extra_forbidden"  # pydantic's own error type for a field a model does not name
FORM_SOURCES = ("form", "file")


def own_input(view: F) -> F:
    """Mark an endpoint that reads and checks its query and body itself."""
    view.barnraise_own_input = True  # type: ignore[attr-defined]  # read by refuse_unknown_input
    return view


class InputCheck(ParamModel):
    """A parameter model with no fields: resolving it checks the request for undeclared input."""

    # Its errors' locations start ("request", <where>, <name>); ninja types the attribute None.
    __ninja_param_source__ = "request"  # type: ignore[assignment]
    __ninja_flatten_map_reverse__: ClassVar[dict[Any, Any]] = {}
    query_names: ClassVar[frozenset[str]] = frozenset()
    form_names: ClassVar[frozenset[str] | None] = None  # None: the operation takes no form
    takes_body: ClassVar[bool] = False

    @classmethod
    def get_request_data(cls, request: HttpRequest, api: NinjaAPI, path_params: Any) -> dict[str, Any]:
        found = [("query", name) for name in request.GET if name not in cls.query_names]
        if cls.form_names is not None:
            sent: Iterable[str] = [*request.POST, *request.FILES]
            found += [("form", name) for name in sent if name not in cls.form_names]
        elif not cls.takes_body:
            found += [("body", name) for name in _body_fields(request)]
        if found:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [InitErrorDetails(type=UNKNOWN, loc=where, input=None) for where in dict.fromkeys(found)],
            )
        return {}


def _body_fields(request: HttpRequest) -> list[str]:
    """The fields of a body sent to an operation that takes none (`{}` and no body are fine)."""
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return [*request.POST, *request.FILES]
    if not request.body.strip():
        return []
    try:
        data = json.loads(request.body)
    except ValueError:
        return [""]  # not JSON at all: the body as a whole is what is unknown
    if isinstance(data, dict):
        return [str(name) for name in data]
    return [] if data is None else [""]


def _declared(operation: Operation) -> tuple[frozenset[str], frozenset[str] | None, bool]:
    query: set[str] = set()
    form: set[str] | None = None
    takes_body = False
    for model in operation.models:
        source = model.__ninja_param_source__
        names = set(getattr(model, "__ninja_flatten_map__", None) or model.model_fields)
        if source == "query":
            query |= names
        elif source in FORM_SOURCES:
            form = (form or set()) | names
        elif source == "body":
            takes_body = True
    extra = (operation.openapi_extra or {}).get("parameters", [])
    query |= {p["name"] for p in extra if p.get("in") == "query"}
    if "requestBody" in (operation.openapi_extra or {}):
        takes_body = True
    return frozenset(query), None if form is None else frozenset(form), takes_body


def refuse_unknown_input(operations: Iterable[Operation]) -> None:
    """Give each operation its InputCheck (once; ninja keeps the operations it built)."""
    for operation in operations:
        if getattr(operation.view_func, "barnraise_own_input", False):
            continue
        if any(issubclass(model, InputCheck) for model in operation.models):
            continue
        query, form, takes_body = _declared(operation)
        check = type(
            "InputCheck",
            (InputCheck,),
            {"query_names": query, "form_names": form, "takes_body": takes_body},
        )
        operation.models = [*operation.models, check]
