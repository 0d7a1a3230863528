"""The JSON shape of the coding check (the `code-visit` CLI contract) to and from domain types.

``parse_visit`` checks every field and collects all problems, each naming the administration
and the field, so callers (CLI, API, importers) can report bad input without a traceback.

Fields added after the first version are optional with the old behaviour as their default, so
every visit written for it still parses and codes the same: per administration ``ndc``,
``drug_name``, ``service``, ``device`` and ``access``; per visit ``payer_type`` and
``ndc_required``. A malformed NDC is not an input error but an ``ndc_invalid`` finding (the
rest of the visit still codes).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from workqueue.domain.coding.model import (
    INFUSION_ROUTES,
    Access,
    Administration,
    Authorization,
    CodingResult,
    Device,
    Family,
    InvalidVisit,
    Route,
    Service,
    Setting,
    Visit,
)

_TIME_FORMAT = "YYYY-MM-DDTHH:MM"
_DOSE_UNITS = ("mg", "mcg", "g", "units", "ml", "meq")
# The payer types of ``models.PayerType`` (the domain cannot import models; a test keeps the
# two lists equal).
PAYER_TYPES = ("medicare", "medicare_advantage", "medicaid", "commercial")
_MAX_TEXT = {"ndc": 20, "drug_name": 120}
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


def _optional_choice(
    raw: dict[str, Any], key: str, enum: type, where: str, errors: _Errors
) -> Any:
    if raw.get(key) is None:
        return None
    return _choice(raw, key, enum, where, errors)


def _text(raw: dict[str, Any], key: str, where: str, errors: _Errors) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT[key]:
        errors.add(where, f'"{key}" must be a non-empty string of at most {_MAX_TEXT[key]} '
                          f"characters or null, got {value!r}")
        return None
    return value.strip()


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
    ndc = _text(raw, "ndc", where, errors)
    drug_name = _text(raw, "drug_name", where, errors)
    service = Service.ADMINISTRATION
    if raw.get("service") is not None:
        service = _choice(raw, "service", Service, where, errors)
    device = _optional_choice(raw, "device", Device, where, errors)
    access = _optional_choice(raw, "access", Access, where, errors)
    if service is Service.PUMP_REFILL and raw.get("device") is None:
        errors.add(where, 'a pump refill needs "device" ("portable_pump" or '
                          '"implantable_pump")')
    if (device is not None and service is Service.ADMINISTRATION
            and route is not None and route not in INFUSION_ROUTES):
        errors.add(where, '"device" goes with "route" "iv_infusion" or "ia_infusion" (the '
                          f'pump the infusion runs on), got "{route}"')
    if len(errors) > before or adm_id is None:
        return None
    return Administration(
        id=adm_id, kind=kind, route=route, start=start, stop=stop,
        drug=drug.strip().upper() if drug else None, dose=dose, dose_unit=dose_unit,
        discarded=discarded, site=site, primary=primary, ndc=ndc, drug_name=drug_name,
        service=service, device=device, access=access,
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
    payer_type = raw.get("payer_type")
    if payer_type is not None and payer_type not in PAYER_TYPES:
        allowed = ", ".join(f'"{value}"' for value in PAYER_TYPES)
        errors.add("visit", f'"payer_type" must be one of {allowed} or null, got {payer_type!r}')
    ndc_required = raw.get("ndc_required")
    if ndc_required is not None and not isinstance(ndc_required, bool):
        errors.add("visit", f'"ndc_required" must be true, false or null, got {ndc_required!r}')
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
                 authorization=authorization, payer_type=payer_type, ndc_required=ndc_required)


def _number_out(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def result_to_dict(result: CodingResult) -> dict[str, Any]:
    """The CLI/API JSON shape of a coding result.

    Every line has the same keys; ``ndc`` (11 digits), ``ndc_quantity`` and ``ndc_unit`` are
    null on admin lines and on drug lines without an NDC, ``narrative`` on all but
    unclassified drug codes.
    """
    return {
        "lines": [
            {"code": line.code, "units": line.units, "modifiers": list(line.modifiers),
             "ndc": line.ndc, "ndc_quantity": _number_out(line.ndc_quantity),
             "ndc_unit": line.ndc_unit, "narrative": line.narrative}
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
