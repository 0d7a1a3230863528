"""The CARC/RARC catalog in the database: seed, load for the parser, record unknown codes,
describe codes in plain words, and the admin's search and edit."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workqueue.domain import reason_codes as catalog_rules
from workqueue.domain.errors import NotFound, ValidationFailed
from workqueue.domain.reason_codes import CodeType, ReasonCatalog, ReasonCatalogError
from workqueue.models import ReasonCode
from workqueue.services import audit
from workqueue.services.audit import Actor

UNKNOWN_MEANING = "Not in the reason-code catalog yet."


def seed_reason_codes(session: Session, now: datetime | None = None) -> int:
    """Insert the shipped catalog's codes that are not in the table yet; returns how many.

    Idempotent: rows already there (admin-edited or flagged unknown) are left as they are,
    except that an unknown placeholder for a code the seed describes is filled in from it.
    """
    existing = {(row.code_type, row.code): row for row in session.scalars(select(ReasonCode))}
    added = 0
    for code in catalog_rules.load_reason_codes():
        row = existing.get((code.code_type, code.code))
        if row is None:
            session.add(_row_from(code, now))
            added += 1
        elif not row.is_known:
            _fill(row, code, now)
    session.flush()
    return added


def load_catalog(session: Session) -> ReasonCatalog:
    """The catalog the 835 parser reads: the known rows (seeded first if the table is empty).

    Unknown placeholder rows are left out on purpose, so the parser keeps flagging them and
    the denial rule keeps treating them as unknown until an admin describes them.
    """
    if session.scalar(select(func.count()).select_from(ReasonCode)) == 0:
        seed_reason_codes(session)
    rows = session.scalars(select(ReasonCode).where(ReasonCode.is_known.is_(True)))
    return ReasonCatalog(_domain_code(row) for row in rows)


def record_unknown_codes(session: Session, codes: Iterable[tuple[str, str]],
                         now: datetime) -> list[ReasonCode]:
    """Keep codes met in a file but missing from the catalog as ``is_known=False`` rows.

    ``codes`` are ``(code_type, code)`` pairs; ones already in the table (known or not) are
    left alone. Returns the rows added.
    """
    wanted = {(CodeType(kind), code.strip().upper()[:10]) for kind, code in codes if code}
    if not wanted:
        return []
    present = set(session.execute(select(ReasonCode.code_type, ReasonCode.code).where(
        ReasonCode.code.in_({code for _, code in wanted}))).tuples())
    added = []
    for code_type, code in sorted(wanted - present):
        row = ReasonCode(code_type=code_type, code=code, meaning="", category="other",
                         is_usually_preventable=False, default_action="appeal",
                         letter_template="other", is_known=False, first_seen_at=now,
                         updated_at=now)
        session.add(row)
        added.append(row)
    session.flush()
    return added


@dataclass(frozen=True)
class CodeMeaning:
    code_type: str  # "CARC" | "RARC"
    code: str
    meaning: str
    is_known: bool


def describe_codes(session: Session, carcs: Iterable[str] | str,
                   rarcs: Iterable[str] | str = ()) -> tuple[list[CodeMeaning], list[CodeMeaning]]:
    """Plain meanings of CARCs and RARCs, in the order given (for the item page and letters).

    Accepts lists or the comma-separated strings stored on ``Denial``. A code not in the
    catalog (or not described yet) says so instead of disappearing.
    """
    carc_list, rarc_list = _codes(carcs), _codes(rarcs)
    wanted = set(carc_list) | set(rarc_list)
    rows = {}
    if wanted:
        rows = {(row.code_type, row.code): row for row in session.scalars(
            select(ReasonCode).where(ReasonCode.code.in_(wanted)))}
    seed = catalog_rules.load_reason_codes()

    def meaning(code_type: CodeType, code: str) -> CodeMeaning:
        row = rows.get((code_type, code))
        if row is not None and row.is_known:
            return CodeMeaning(code_type.upper(), code, row.meaning, True)
        if row is None:  # catalog not seeded in this database: the shipped seed still knows
            found = seed.carc(code) if code_type is CodeType.CARC else seed.rarc(code)
            if found is not None:
                return CodeMeaning(code_type.upper(), code, found.meaning, True)
        return CodeMeaning(code_type.upper(), code, UNKNOWN_MEANING, False)

    return ([meaning(CodeType.CARC, c) for c in carc_list],
            [meaning(CodeType.RARC, c) for c in rarc_list])


def _codes(value: Iterable[str] | str) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    out: dict[str, None] = {}
    for item in items:
        if item and item.strip():
            out.setdefault(item.strip().upper())
    return list(out)


# -- admin ------------------------------------------------------------------------------------

def search_reason_codes(session: Session, text: str = "", code_type: str = "",
                        only_unknown: bool = False, limit: int = 500) -> list[ReasonCode]:
    """Codes for the admin list: unknown ones first, then by type and code."""
    stmt = select(ReasonCode)
    text = (text or "").strip()
    if text:
        pattern = f"%{text.lower()}%"
        stmt = stmt.where(or_(func.lower(ReasonCode.code) == text.lower(),
                              func.lower(ReasonCode.meaning).like(pattern),
                              func.lower(ReasonCode.category).like(pattern)))
    if code_type:
        stmt = stmt.where(ReasonCode.code_type == code_type)
    if only_unknown:
        stmt = stmt.where(ReasonCode.is_known.is_(False))
    stmt = stmt.order_by(ReasonCode.is_known, ReasonCode.code_type,
                         func.length(ReasonCode.code), ReasonCode.code).limit(limit)
    return list(session.scalars(stmt))


def get_reason_code(session: Session, code_id: int) -> ReasonCode:
    row = session.get(ReasonCode, code_id)
    if row is None:
        raise NotFound(f"Reason code {code_id} does not exist.")
    return row


@dataclass(frozen=True)
class ReasonCodeInput:
    meaning: str
    category: str
    is_usually_preventable: bool
    default_action: str
    letter_template: str


def update_reason_code(session: Session, code_id: int, data: ReasonCodeInput, actor: Actor,
                       now: datetime) -> ReasonCode:
    """Save an admin's description of a code; a flagged unknown code becomes known.

    :raise ValidationFailed: a category or action outside the fixed vocabularies, or no
        meaning (the field name is in ``details``).
    """
    row = get_reason_code(session, code_id)
    if not data.meaning.strip():
        raise ValidationFailed("Say what the code means.", {"meaning": "required"})
    try:
        code = catalog_rules.reason_code_from_row({
            "code_type": row.code_type, "code": row.code, "meaning": data.meaning,
            "category": data.category, "default_action": data.default_action,
            "usually_preventable": "yes" if data.is_usually_preventable else "no",
            "letter_template": data.letter_template})
    except ReasonCatalogError as error:
        field = "category" if "category" in str(error) else "default_action"
        raise ValidationFailed(str(error), {field: str(error)}) from None
    _fill(row, code, now)
    session.flush()
    audit.record(session, actor, "update", "reason_code", row.id, now=now,
                 context=f"{row.code_type} {row.code}")
    return row


def _row_from(code: catalog_rules.ReasonCode, now: datetime | None) -> ReasonCode:
    row = ReasonCode(code_type=code.code_type, code=code.code)
    _fill(row, code, now)
    return row


def _fill(row: ReasonCode, code: catalog_rules.ReasonCode, now: datetime | None) -> None:
    row.meaning = code.meaning[:300]
    row.category = code.category
    row.is_usually_preventable = code.usually_preventable
    row.default_action = code.default_action
    row.letter_template = code.letter_template[:30]
    row.is_known = True
    if now is not None:
        row.updated_at = now


def _domain_code(row: ReasonCode) -> catalog_rules.ReasonCode:
    return catalog_rules.ReasonCode(
        code_type=CodeType(row.code_type), code=row.code, meaning=row.meaning,
        category=row.category, usually_preventable=row.is_usually_preventable,
        default_action=row.default_action, letter_template=row.letter_template)
