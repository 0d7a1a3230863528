"""Request validation from declared fields; the same declarations write the OpenAPI schemas.

A :class:`Field` states one JSON body property or query parameter. :func:`parse_body` and
:func:`parse_query` check a request against a dict of them and collect every problem per field;
:meth:`Field.json_schema` renders it for ``openapi.py``, so the document and the checks cannot
drift apart. Bounds keep input inside what the columns can store (PostgreSQL ``integer``,
``numeric(12, 2)``, text without NUL), so bad input is refused here and never reaches the
database as a 500.
"""

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import request

from workqueue.domain.errors import ValidationFailed
from workqueue.domain.identifiers import MAX_ID
from workqueue.views.api.errors import BadRequest

MAX_MONEY = Decimal("9999999999.99")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONEY = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
_MONEY_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"


@dataclass(frozen=True)
class Field:
    """One body property or query parameter.

    ``type`` is one of: id, integer, string, date, money, boolean, id_list. For strings
    ``min``/``max`` bound the length, for numbers the value, for id lists the item count.
    ``many`` (query only) lets the parameter repeat: ``?kind=denial&kind=ar_followup``.
    """

    type: str
    required: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    many: bool = False
    default: object = None
    pattern: str | None = None
    description: str = ""

    def json_schema(self, *, query: bool = False) -> dict:
        schema = self._base_schema()
        if query and self.type == "money":
            schema = {"type": "string", "pattern": _MONEY_PATTERN}
        if self.many:
            schema = {"type": "array", "items": schema}
        if self.nullable:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if self.description:
            schema["description"] = self.description
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def _base_schema(self) -> dict:
        if self.type == "id":
            return {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        if self.type == "integer":
            bounds = {"minimum": self.min, "maximum": self.max}
            return {"type": "integer"} | {k: v for k, v in bounds.items() if v is not None}
        if self.type == "boolean":
            return {"type": "boolean"}
        if self.type == "date":
            return {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
        if self.type == "money":
            return {"anyOf": [
                {"type": "number", "minimum": 0, "maximum": float(MAX_MONEY)},
                {"type": "string", "pattern": _MONEY_PATTERN},
            ]}
        if self.type == "id_list":
            return {"type": "array", "minItems": self.min or 1, "maxItems": self.max,
                    "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
        schema: dict = {"type": "string"}
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.pattern:
            schema["pattern"] = self.pattern
        if self.min is not None:
            schema["minLength"] = self.min
        if self.max is not None:
            schema["maxLength"] = self.max
        return schema

    # --- JSON bodies -----------------------------------------------------------------------

    def from_json(self, value):
        """The value as Python, or raise ValueError with a message for the field."""
        if value is None:
            if self.nullable:
                return None
            raise ValueError("must not be null")
        if self.type in ("id", "integer"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("must be an integer")
            return self._bounded(value)
        if self.type == "boolean":
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if self.type == "money":
            if isinstance(value, str) and not _MONEY.fullmatch(value):
                raise ValueError("must be an amount like 1250.00")
            if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
                raise ValueError("must be an amount like 1250.00")
            return _money(str(value))
        if self.type == "id_list":
            if not isinstance(value, list):
                raise ValueError("must be a list of ids")
            if not (self.min or 1) <= len(value) <= (self.max or len(value)):
                raise ValueError(f"must hold {self.min or 1} to {self.max} ids")
            return [Field("id").from_json(v) for v in value]
        if not isinstance(value, str):
            raise ValueError("must be a string")
        return self.from_text(value)

    # --- query strings (and the string forms of body values) -------------------------------

    def from_text(self, text: str):
        if self.type in ("id", "integer"):
            if not re.fullmatch(r"-?[0-9]{1,12}", text):
                raise ValueError("must be an integer")
            return self._bounded(int(text))
        if self.type == "boolean":
            if text not in ("true", "false"):
                raise ValueError("must be true or false")
            return text == "true"
        if self.type == "money":
            if not _MONEY.fullmatch(text):
                raise ValueError("must be an amount like 1250.00")
            return _money(text)
        if self.type == "date":
            return _date(text)
        _check_text(text)
        if self.choices and text not in self.choices:
            raise ValueError("must be one of: " + ", ".join(self.choices))
        if self.pattern and not re.search(self.pattern, text):
            raise ValueError(self.description or f"must match {self.pattern}")
        if self.min is not None and len(text) < self.min:
            raise ValueError(f"must be at least {self.min} characters")
        if self.max is not None and len(text) > self.max:
            raise ValueError(f"must be at most {self.max} characters")
        return text

    def _bounded(self, value: int) -> int:
        low, high = (1, MAX_ID) if self.type == "id" else (self.min, self.max)
        if low is not None and value < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and value > high:
            raise ValueError(f"must be at most {high}")
        return value


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None


def _date(text: str) -> date:
    if not _DATE.fullmatch(text):
        raise ValueError("must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a real calendar date") from None


def _money(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be an amount like 1250.00") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be zero or more")
    if amount > MAX_MONEY:
        raise ValueError(f"must be at most {MAX_MONEY}")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must have at most two decimal places")
    return amount.quantize(Decimal("0.01"))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def read_json_object() -> dict:
    """The request body as a JSON object, or BadRequest (400) saying what is wrong with it."""
    if not request.is_json:
        raise BadRequest("Send a JSON body with Content-Type: application/json.")
    try:
        body = json.loads(request.get_data(cache=True) or b"null",
                          parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def parse_body(fields: dict[str, Field]) -> dict:
    """Validate the JSON body; returns only the fields sent (PATCH needs to know which).

    :raise BadRequest: not a JSON object. :raise ValidationFailed: per-field details (422).
    """
    body = read_json_object()
    errors: dict[str, str] = {}
    values: dict = {}
    for name in body:
        if name not in fields:
            errors[name] = "unknown field"
    for name, field in fields.items():
        if name not in body:
            if field.required:
                errors[name] = "required"
            continue
        try:
            values[name] = field.from_json(body[name])
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise ValidationFailed("Some fields are not valid: " + ", ".join(sorted(errors)) + ".",
                               errors)
    return values


def parse_query(params: dict[str, Field]) -> dict:
    """Validate the query string; unknown or malformed parameters are a 400 naming each one."""
    errors: dict[str, str] = {}
    values: dict = {}
    for name in request.args:
        if name not in params:
            errors[name] = "unknown parameter"
    for name, field in params.items():
        raw = request.args.getlist(name)
        if not raw:
            values[name] = () if field.many else field.default
            continue
        if len(raw) > 1 and not field.many:
            errors[name] = "give this parameter once"
            continue
        try:
            parsed = [field.from_text(text) for text in raw]
        except ValueError as error:
            errors[name] = str(error)
            continue
        values[name] = tuple(parsed) if field.many else parsed[0]
    if errors:
        raise BadRequest("Some query parameters are not valid: " + ", ".join(sorted(errors))
                         + ".", errors)
    return values


def object_schema(fields: dict[str, Field]) -> dict:
    """The JSON Schema of a request body made of ``fields`` (unknown properties refused)."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: field.json_schema() for name, field in fields.items()},
    }
    required = [name for name, field in fields.items() if field.required]
    if required:
        schema["required"] = required
    return schema
