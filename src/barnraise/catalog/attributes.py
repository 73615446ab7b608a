"""Category attribute schemas and the validation of listing attributes against them.

A schema is a list of definitions:
    {"name": "frame_size", "label": "Frame size", "type": "enum", "values": ["S", "M", "L"],
     "required": true, "filterable": true}
Types: string, integer, number, boolean, enum. integer and number take optional min and max.
"""

import re
from typing import Any

from django.utils.translation import gettext as _

from barnraise.errors import InvalidInput

TYPES = ("string", "integer", "number", "boolean", "enum")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def schema_check(schema: Any) -> list[dict[str, Any]]:
    """Validate a schema an operator wrote; raises InvalidInput naming the bad entry."""
    if not isinstance(schema, list):
        raise InvalidInput(details={"attribute_schema": [_("Must be a list of attributes.")]})
    seen: set[str] = set()
    for index, entry in enumerate(schema):
        where = f"attribute_schema[{index}]"
        if not isinstance(entry, dict) or not NAME_RE.match(str(entry.get("name", ""))):
            raise InvalidInput(details={where: [_("Needs a lower-case `name` (a-z, 0-9, _).")]})
        if entry["name"] in seen:
            raise InvalidInput(details={where: [_("Attribute names must be unique.")]})
        seen.add(entry["name"])
        if entry.get("type") not in TYPES:
            raise InvalidInput(details={where: [_("`type` must be one of: %s.") % ", ".join(TYPES)]})
        if entry["type"] == "enum" and not (isinstance(entry.get("values"), list) and entry["values"]):
            raise InvalidInput(details={where: [_("An enum needs a non-empty `values` list.")]})
    return schema


def _coerce(definition: dict[str, Any], value: Any) -> Any:
    """The value converted to the definition's type, or raise ValueError with a message."""
    kind = definition["type"]
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise ValueError(_("Must be true or false."))
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_("Must be a whole number."))
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(_("Must be a number."))
    elif kind == "string":
        if not isinstance(value, str) or len(value) > 200:
            raise ValueError(_("Must be text of at most 200 characters."))
        return value.strip()
    elif kind == "enum":
        if value not in definition["values"]:
            raise ValueError(_("Must be one of: %s.") % ", ".join(map(str, definition["values"])))
        return value
    low, high = definition.get("min"), definition.get("max")
    if low is not None and value < low:
        raise ValueError(_("Must be at least %s.") % low)
    if high is not None and value > high:
        raise ValueError(_("Must be at most %s.") % high)
    return value


def attributes_clean(schema: list[dict[str, Any]], values: Any) -> dict[str, Any]:
    """Listing attributes validated against a category schema, with errors per field."""
    if not isinstance(values, dict):
        raise InvalidInput(details={"attributes": [_("Must be an object.")]})
    by_name = {d["name"]: d for d in schema}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name in values:
        if name not in by_name:
            errors[f"attributes.{name}"] = [_("This category has no such attribute.")]
    for name, definition in by_name.items():
        value = values.get(name)
        if value is None:
            if definition.get("required"):
                errors[f"attributes.{name}"] = [_("This attribute is required.")]
            continue
        try:
            clean[name] = _coerce(definition, value)
        except ValueError as exc:
            errors[f"attributes.{name}"] = [str(exc)]
    if errors:
        raise InvalidInput(details=errors)
    return clean


def filter_value(definition: dict[str, Any], raw: str) -> Any:
    """A search filter value from a query string (`attr.frame_size=M`), typed per the schema."""
    kind = definition["type"]
    if kind == "boolean":
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise ValueError(_("Must be true or false."))
    if kind == "integer":
        return int(raw)
    if kind == "number":
        return float(raw)
    if kind == "enum" and raw not in map(str, definition["values"]):
        raise ValueError(_("Must be one of: %s.") % ", ".join(map(str, definition["values"])))
    if kind == "enum":
        return next(v for v in definition["values"] if str(v) == raw)
    return raw
