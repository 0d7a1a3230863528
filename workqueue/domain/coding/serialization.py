"""The JSON shape of the coding check (the `code-visit` CLI contract) to and from domain types.

``parse_visit`` checks every field and collects all problems, each naming the administration
and the field, so callers (CLI, API, importers) can report bad input without a traceback.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from workqueue.domain.coding.model import (
    Administration,
    Authorization,
    CodingResult,
    Family,
    InvalidVisit,
    Route,
    Setting,
    Visit,
)

_TIME_FORMAT = "YYYY-MM-DDTHH:MM"
_DOSE_UNITS = ("mg", "mcg", "g", "units", "ml")
# fromisoformat alone would also take a bare date (midnight) or week dates; a stop time of
# "2026-11-02" is far more likely a mistake than an infusion that ended at midnight.
_TIME_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


class _Errors(list[str]):
    def add(self, where: str, problem: str) -> None:
        self.append(f"{where}: {problem}")


def _choice(raw: dict[str, Any], key: str, enum: type, where: str, errors: _Errors) -> Any:
    value = raw.get(key)
    allowed = ", ".join(f'"{member.value}"' for member in enum)
    if key not in raw:
        errors.add(where, f'"{key}" is required (one of {allowed})')
        return None
    try:
        return enum(value)
    except ValueError:
        errors.add(where, f'"{key}" must be one of {allowed}, got {value!r}')
        return None


def _time(raw: dict[str, Any], key: str, where: str, errors: _Errors, *, required: bool) -> Any:
    value = raw.get(key)
    if value is None:
        if required:
            errors.add(where, f'"{key}" is required ({_TIME_FORMAT})')
        return None
    try:
        if not isinstance(value, str) or not _TIME_PATTERN.fullmatch(value):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors.add(where, f'"{key}" must be a local time {_TIME_FORMAT}, got {value!r}')
        return None
    if parsed.tzinfo is not None:
        errors.add(where, f'"{key}" must be a local time without UTC offset, got {value!r}')
        return None
    return parsed.replace(second=0, microsecond=0)


def _number(raw: dict[str, Any], key: str, where: str, errors: _Errors) -> Decimal | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        errors.add(where, f'"{key}" must be a number or null, got {value!r}')
        return None
    if value < 0:
        errors.add(where, f'"{key}" must not be negative, got {value!r}')
        return None
    # str() first so 712.5 stays 712.5 rather than its binary float expansion.
    return Decimal(str(value))


def _administration(raw: Any, index: int, errors: _Errors) -> Administration | None:
    where = f"administrations[{index}]"
    if not isinstance(raw, dict):
        errors.add(where, f"must be an object, got {type(raw).__name__}")
        return None
    adm_id = raw.get("id")
    if isinstance(adm_id, int) and not isinstance(adm_id, bool):
        adm_id = str(adm_id)
    if not isinstance(adm_id, str) or not adm_id:
        errors.add(where, '"id" is required (a non-empty string)')
        adm_id = None
    else:
        where = f'{where} (id "{adm_id}")'
    before = len(errors)
    kind = _choice(raw, "kind", Family, where, errors)
    route = _choice(raw, "route", Route, where, errors)
    start = _time(raw, "start", where, errors, required=True)
    stop = _time(raw, "stop", where, errors, required=False)
    dose = _number(raw, "dose", where, errors)
    discarded = _number(raw, "discarded", where, errors)
    drug = raw.get("drug")
    if drug is not None and (not isinstance(drug, str) or not drug.strip()):
        errors.add(where, f'"drug" must be a HCPCS code string or null, got {drug!r}')
    dose_unit = raw.get("dose_unit")
    if dose_unit is not None and dose_unit not in _DOSE_UNITS:
        allowed = ", ".join(f'"{unit}"' for unit in _DOSE_UNITS)
        errors.add(where, f'"dose_unit" must be one of {allowed} or null, got {dose_unit!r}')
    if dose is not None and dose_unit is None:
        errors.add(where, '"dose_unit" is required when "dose" is given')
    site = raw.get("site", 1)
    if isinstance(site, bool) or not isinstance(site, int):
        errors.add(where, f'"site" must be an integer, got {site!r}')
    primary = raw.get("primary", False)
    if not isinstance(primary, bool):
        errors.add(where, f'"primary" must be true or false, got {primary!r}')
    if kind is Family.HYDRATION and route not in (None, Route.IV_INFUSION):
        errors.add(where, f'hydration must have "route" "iv_infusion", got "{route}"')
    if len(errors) > before or adm_id is None:
        return None
    return Administration(
        id=adm_id, kind=kind, route=route, start=start, stop=stop,
        drug=drug.strip().upper() if drug else None, dose=dose, dose_unit=dose_unit,
        discarded=discarded, site=site, primary=primary,
    )


def _authorization(raw: Any, errors: _Errors) -> Authorization | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        errors.add("authorization", "must be an object or null")
        return None
    code, units = raw.get("code"), raw.get("units_remaining")
    if not isinstance(code, str) or not code.strip():
        errors.add("authorization", '"code" is required (a HCPCS code string)')
    if isinstance(units, bool) or not isinstance(units, int):
        errors.add("authorization", f'"units_remaining" must be an integer, got {units!r}')
    if not isinstance(code, str) or not code.strip() or not isinstance(units, int):
        return None
    return Authorization(code=code.strip().upper(), units_remaining=units)


def parse_visit(raw: Any) -> Visit:
    """A Visit from decoded JSON.

    :raise InvalidVisit: with one message per missing or wrong-typed field.
    """
    errors = _Errors()
    if not isinstance(raw, dict):
        raise InvalidVisit([f"the visit must be a JSON object, got {type(raw).__name__}"])
    setting = _choice(raw, "setting", Setting, "visit", errors)
    authorization = _authorization(raw.get("authorization"), errors)
    administrations_raw = raw.get("administrations")
    administrations = []
    if not isinstance(administrations_raw, list):
        errors.add("visit", '"administrations" is required (a list)')
    else:
        seen: set[str] = set()
        for index, item in enumerate(administrations_raw):
            adm = _administration(item, index, errors)
            if adm is None:
                continue
            if adm.id in seen:
                errors.add(f"administrations[{index}]", f'id "{adm.id}" is used twice')
            seen.add(adm.id)
            administrations.append(adm)
    if errors:
        raise InvalidVisit(list(errors))
    return Visit(setting=setting, administrations=tuple(administrations),
                 authorization=authorization)


def result_to_dict(result: CodingResult) -> dict[str, Any]:
    """The CLI/API JSON shape of a coding result."""
    return {
        "lines": [
            {"code": line.code, "units": line.units, "modifiers": list(line.modifiers)}
            for line in result.lines
        ],
        "findings": [
            {
                "code": finding.code,
                "severity": str(finding.severity),
                "administration": finding.administration,
                "message": finding.message,
            }
            for finding in result.findings
        ],
    }
