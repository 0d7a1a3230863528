"""Appeal letters: request (deferred generation), render from the claim's facts, edit the draft
with versions, finalize to PDF, download, mark the appeal submitted; template admin.

One ``Letter`` row exists per denial item and appeal level, so regenerating reuses it and a
second final letter for the same level cannot exist. Functions flush; the caller commits.
"""

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources

from jinja2 import FunctionLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workqueue.domain.errors import Conflict, NotFound, StaleVersion, ValidationFailed
from workqueue.domain.status import APPEAL_NOT_SENT, WorkItemKind, WorkItemStatus
from workqueue.models import (
    Authorization,
    Claim,
    Coverage,
    Denial,
    InfusionVisit,
    JobRequest,
    Letter,
    LetterStatus,
    LetterTemplate,
    LetterVersion,
    TherapyOrder,
    WorkItem,
)
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.reason_codes import describe_codes
from workqueue.services.work_items import get_work_item, require_can_work, transition_work_item

L = LetterStatus
CATEGORY_LABELS = {
    "authorization": "Authorization",
    "eligibility": "Eligibility / coverage",
    "medical_necessity": "Medical necessity",
    "coding": "Coding / bundling",
    "missing_information": "Missing information / documentation",
    "timely_filing": "Timely filing",
    "duplicate": "Duplicate claim",
    "cob": "Coordination of benefits",
    "non_covered": "Non-covered / experimental",
    "pricing": "Pricing / underpayment",
    "other": "Other",
}


@dataclass(frozen=True)
class Sender:
    """The practice block and signer of a letter (from the app's settings, passed by the edge)."""

    practice: str
    address: str
    phone: str
    npi: str = ""
    tin: str = ""


# -- templates ------------------------------------------------------------------------------

def _template_dir():
    return resources.files("workqueue").joinpath("data", "letter_templates")


def _load_shared(name: str):
    """Packaged partials an admin template may extend or include (``frame``)."""
    source = _template_dir().joinpath(f"_{name}.j2")
    if not source.is_file():
        return None
    return source.read_text(encoding="utf-8")


def _money(value) -> str:
    return f"${Decimal(value or 0):,.2f}"


def _longdate(value) -> str:
    return value.strftime("%B %-d, %Y") if value else "(date not on file)"


def _clock(value) -> str:
    return value.strftime("%H:%M") if value else "(not recorded)"


@cache
def letter_environment() -> SandboxedEnvironment:
    """Jinja for admin-edited letter sources: sandboxed, strict about unknown names."""
    env = SandboxedEnvironment(loader=FunctionLoader(_load_shared), undefined=StrictUndefined,
                               autoescape=False, trim_blocks=True, lstrip_blocks=True,
                               keep_trailing_newline=True)
    env.filters["money"] = _money
    env.filters["longdate"] = _longdate
    env.filters["clock"] = _clock
    return env


def check_template_source(body: str) -> str | None:
    """Why ``body`` cannot be used as a letter template, or None if it renders.

    Rendering it against sample facts catches misspelt names as well as syntax errors.
    """
    try:
        letter_environment().from_string(body).render(**sample_facts())
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f" (line {line})" if line else ""
        return f"{error.__class__.__name__}{where}: {error.message or error}"
    return None


def seed_letter_templates(session: Session, now: datetime) -> int:
    """Add the packaged default template of each denial category that has none; count added."""
    added = 0
    for entry in sorted(_template_dir().iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".j2") or entry.name.startswith("_"):
            continue
        category = entry.name.removesuffix(".j2")
        body = entry.read_text(encoding="utf-8")
        name = _template_name(body, category)
        exists = session.scalar(select(LetterTemplate.id).where(
            LetterTemplate.category == category, LetterTemplate.payer_id.is_(None),
            LetterTemplate.appeal_level.is_(None)))
        if exists is None:
            session.add(LetterTemplate(category=category, name=name, body=body, is_active=True,
                                       updated_at=now))
            added += 1
    session.flush()
    return added


def _template_name(body: str, category: str) -> str:
    first = body.splitlines()[0] if body else ""
    if first.startswith("{# name:") and first.endswith("#}"):
        return first.removeprefix("{# name:").removesuffix("#}").strip()[:120]
    return f"{CATEGORY_LABELS.get(category, category)} appeal"


def resolve_template(session: Session, category: str, payer_id: int | None,
                     level: int) -> LetterTemplate | None:
    """The most specific active template: payer+level, payer, level, then category default."""
    candidates = session.scalars(
        select(LetterTemplate).where(LetterTemplate.category == category,
                                     LetterTemplate.is_active.is_(True))
        .order_by(LetterTemplate.id)
    ).all()

    def rank(t: LetterTemplate) -> int | None:
        if t.payer_id is not None and t.payer_id != payer_id:
            return None
        if t.appeal_level is not None and t.appeal_level != level:
            return None
        return (t.payer_id is not None) * 2 + (t.appeal_level is not None)

    ranked = [(rank(t), -t.id, t) for t in candidates if rank(t) is not None]
    if not ranked:
        return None
    return max(ranked, key=lambda r: (r[0], r[1]))[2]


@dataclass(frozen=True)
class TemplateInput:
    category: str
    name: str
    body: str
    payer_id: int | None = None
    appeal_level: int | None = None
    is_active: bool = True


def save_template(session: Session, data: TemplateInput, actor: Actor, now: datetime,
                  template_id: int | None = None) -> LetterTemplate:
    """Create or update a template after checking that its Jinja renders.

    :raise ValidationFailed: unknown category, bad level, or a source that does not render.
    :raise NotFound: ``template_id`` does not exist.
    """
    errors = {}
    if data.category not in CATEGORY_LABELS:
        errors["category"] = "unknown category"
    if data.appeal_level is not None and not 1 <= data.appeal_level <= 5:
        errors["appeal_level"] = "must be 1 to 5"
    problem = check_template_source(data.body)
    if problem:
        errors["body"] = problem
    if errors:
        raise ValidationFailed("The template cannot be saved: "
                               + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    template = session.get(LetterTemplate, template_id) if template_id else LetterTemplate()
    if template is None:
        raise NotFound(f"Letter template {template_id} does not exist.")
    for field, value in asdict(data).items():
        setattr(template, field, value)
    template.updated_at = now
    template.updated_by_id = actor.user_id
    session.add(template)
    session.flush()
    audit.record(session, actor, "update" if template_id else "create", "letter_template",
                 template.id, now=now)
    return template


# -- request, retry, failure ---------------------------------------------------------------

def request_letter(session: Session, item_id: int, actor: Actor, now: datetime, *,
                   finalize: bool = False) -> Letter:
    """Ask for the appeal letter of a denial item at its current appeal level.

    Adds (or revives) the letter row and defers ``generate_letter``. Asking while one is being
    generated returns that letter; asking again for a generated draft regenerates it (its
    versions are kept).

    :raise NotFound: no such item.
    :raise Conflict: :func:`letter_refusal` says why (not a denial with a denial record, a
        final letter already exists for this level, the appeal was already submitted, or its
        deadline was missed and awaits a decision).
    """
    from workqueue.jobs import defer
    from workqueue.jobs.letters import generate_letter

    item = get_work_item(session, item_id, for_update=True)
    require_can_work(actor, item)
    letter = current_letter(session, item)
    refusal = letter_refusal(item, letter)
    if refusal:
        raise Conflict(refusal)
    if letter is not None and letter.status in (L.REQUESTED, L.GENERATING):
        return letter
    level = item.denial.appeal_level
    _move_to_drafting(session, item, actor, now)
    if letter is None:
        letter = Letter(work_item_id=item.id, denial_id=item.denial_id, appeal_level=level)
        session.add(letter)
    letter.status = L.REQUESTED
    letter.progress = 0
    letter.error = None
    letter.is_auto_final = finalize
    letter.requested_by_id = actor.user_id
    letter.requested_at = now
    session.flush()
    defer(session, generate_letter, letter.id)
    audit.record(session, actor, "create", "letter", letter.id, now=now,
                 patient_id=item.patient_id, context=f"request level {level}")
    return letter


def current_letter(session: Session, item: WorkItem) -> Letter | None:
    """The item's letter at its denial's current appeal level, if one was asked for."""
    if item.denial is None:
        return None
    return session.scalar(select(Letter).where(Letter.work_item_id == item.id,
                                               Letter.appeal_level == item.denial.appeal_level))


def letter_refusal(item: WorkItem, letter: Letter | None) -> str | None:
    """Why an appeal letter cannot be requested for ``item`` now, or None when it can.

    ``letter`` is :func:`current_letter`. A letter may be asked for on a denial (with its
    denial record) whose appeal has not gone out, whose deadline is not missed (that needs a
    decision first) and that has no final letter at this level; asking again while one is being
    written just returns it. The work-item page offers the button only when this says None.
    """
    if item.kind != WorkItemKind.DENIAL or item.denial is None:
        return "Appeal letters are written for denial items with a denial on file."
    if letter is not None and letter.status == L.FINAL:
        return (f"A final letter for appeal level {letter.appeal_level} already exists (letter "
                f"{letter.id}); it cannot be written again. Open it to download the PDF.")
    if letter is not None and letter.status in (L.REQUESTED, L.GENERATING):
        return None
    if item.status not in APPEAL_NOT_SENT:
        status = item.status.value.replace("_", " ")
        return (f"No letter can be requested now: this denial is at “{status}”, and letters "
                "are written before the appeal is submitted.")
    if item.is_deadline_missed:
        return ("The appeal deadline has passed. Decide on the item first: a late appeal with "
                "good cause, a write-off, or close.")
    return None


def _move_to_drafting(session: Session, item: WorkItem, actor: Actor, now: datetime) -> None:
    """Requesting a letter is the decision to appeal: new/triaged/upheld -> appeal_drafting."""
    if item.status == WorkItemStatus.NEW:
        transition_work_item(session, item, WorkItemStatus.TRIAGED, actor, now,
                             note="Triaged: appeal letter requested.")
    if item.status in (WorkItemStatus.TRIAGED, WorkItemStatus.UPHELD):
        transition_work_item(session, item, WorkItemStatus.APPEAL_DRAFTING, actor, now,
                             note="Appeal letter requested.")
        item.denial.decision = "appeal"


def retry_letter(session: Session, letter_id: int, actor: Actor, now: datetime) -> Letter:
    """Generate a failed letter again.

    :raise Conflict: the letter has not failed.
    """
    from workqueue.jobs import defer
    from workqueue.jobs.letters import generate_letter

    letter = get_letter(session, letter_id, for_update=True)
    require_can_work(actor, _item(session, letter))
    if letter.status != L.FAILED:
        raise Conflict(f"Letter {letter.id} is {letter.status.value}; only failed letters are "
                       "retried.")
    letter.status = L.REQUESTED
    letter.progress = 0
    letter.error = None
    session.flush()
    defer(session, generate_letter, letter.id)
    audit.record(session, actor, "update", "letter", letter.id, now=now, context="retry")
    return letter


def mark_letter_failed(session: Session, letter_id: int, *, error: str, now: datetime) -> None:
    """Every retry failed: show it on the letter (the job's ``on_final_failure``)."""
    letter = session.get(Letter, letter_id)
    if letter is None:
        return
    unfinished = letter.status in (L.REQUESTED, L.GENERATING) or (
        letter.status == L.GENERATED and letter.is_auto_final)
    if unfinished:
        letter.status = L.FAILED
        letter.error = f"Generation failed after retries: {error}"[:200]
        session.flush()


def get_letter(session: Session, letter_id: int, *, for_update: bool = False) -> Letter:
    stmt = select(Letter).where(Letter.id == letter_id)
    if for_update:
        stmt = stmt.with_for_update()
    letter = session.scalar(stmt)
    if letter is None:
        raise NotFound(f"Letter {letter_id} does not exist.")
    return letter


def _item(session: Session, letter: Letter) -> WorkItem:
    return get_work_item(session, letter.work_item_id)


def view_letter(session: Session, letter_id: int, actor: Actor, now: datetime) -> Letter:
    """Load a letter for display; reading its patient data is audited."""
    letter = get_letter(session, letter_id)
    audit.record(session, actor, "view", "letter", letter.id, now=now,
                 patient_id=_item(session, letter).patient_id)
    return letter


def letters_for_item(session: Session, item_id: int) -> list[Letter]:
    return list(session.scalars(select(Letter).where(Letter.work_item_id == item_id)
                                .order_by(Letter.appeal_level)))


def letter_jobs(session: Session, letter_ids: list[int]) -> dict[int, JobRequest]:
    """The outbox row of each letter's generation job (state, attempts, error), one query."""
    from workqueue.jobs import job_id_for

    by_job_id = {job_id_for("letter", (letter_id,)): letter_id for letter_id in letter_ids}
    if not by_job_id:
        return {}
    rows = session.scalars(select(JobRequest).where(JobRequest.job_id.in_(by_job_id)))
    return {by_job_id[row.job_id]: row for row in rows}


def list_templates(session: Session) -> list[LetterTemplate]:
    return list(session.scalars(select(LetterTemplate).order_by(
        LetterTemplate.category, LetterTemplate.payer_id, LetterTemplate.appeal_level)))


# -- rendering -----------------------------------------------------------------------------

class _Permanent(Exception):
    """A failure a retry cannot fix (no template, template error, missing claim facts)."""


def render_letter(session: Session, letter_id: int, now: datetime, *, sender: Sender,
                  checkpoint: Callable[[], None] | None = None) -> Letter:
    """Fill the letter's template with the claim's facts and store the draft.

    Idempotent: a generated draft is left alone (a final letter too); with ``is_auto_final``
    it goes on to the PDF. ``checkpoint`` is called after each progress step so the edge can
    commit progress for the page that polls it. Permanent problems (no template, a template
    error) mark the letter ``failed`` and return; anything else raises for RQ to retry.
    """
    checkpoint = checkpoint or (lambda: None)
    letter = get_letter(session, letter_id)
    if letter.status == L.FINAL:
        return letter
    if letter.status != L.GENERATED:
        _progress(letter, L.GENERATING, 10)
        checkpoint()
        try:
            facts = gather_facts(session, letter, sender, now)
            _progress(letter, L.GENERATING, 40)
            checkpoint()
            template = _template_for(session, letter, now)
            letter.template_id = template.id
            text = letter_environment().from_string(template.body).render(**facts)
        except (_Permanent, TemplateError) as error:
            letter.status = L.FAILED
            letter.error = str(error)[:200] if isinstance(error, _Permanent) else (
                f"Template error: {error.__class__.__name__}: {error.message}")[:200]
            session.flush()
            return letter
        _progress(letter, L.GENERATING, 70)
        checkpoint()
        _store_version(session, letter, text.strip() + "\n", "generated", None, now)
        letter.status = L.GENERATED
        letter.progress = 100 if not letter.is_auto_final else 85
        letter.generated_at = now
        session.flush()
        audit.record(session, Actor.system(), "create", "letter_draft", letter.id, now=now,
                     patient_id=_item(session, letter).patient_id)
        checkpoint()
    if letter.is_auto_final:
        finalize_letter(session, letter.id, Actor.system(), now,
                        signer=letter.requested_by.display_name if letter.requested_by else "")
    return letter


def _progress(letter: Letter, status: LetterStatus, pct: int) -> None:
    letter.status = status
    letter.progress = pct


def _template_for(session: Session, letter: Letter, now: datetime | None = None
                  ) -> LetterTemplate:
    denial = letter.denial
    payer_id = denial.claim.payer_id

    def resolve() -> LetterTemplate | None:
        return (resolve_template(session, str(denial.category), payer_id, letter.appeal_level)
                or resolve_template(session, "other", payer_id, letter.appeal_level))

    template = resolve()
    if template is None and now is not None and not session.scalar(
            select(func.count()).select_from(LetterTemplate)):
        # A fresh installation: start from the packaged defaults rather than fail.
        seed_letter_templates(session, now)
        template = resolve()
    if template is None:
        raise _Permanent(f"No active letter template for category {denial.category} "
                         "(nor a generic one).")
    return template


def _store_version(session: Session, letter: Letter, body: str, source: str,
                   user_id: int | None, now: datetime) -> None:
    number = max((v.number for v in letter.versions), default=0) + 1
    letter.versions.append(LetterVersion(number=number, source=source, body=body,
                                         saved_by_id=user_id, saved_at=now))
    letter.draft = body


def gather_facts(session: Session, letter: Letter, sender: Sender, now: datetime) -> dict:
    """Everything DOMAIN.md §6.6 asks of an appeal letter, as plain values for the template."""
    denial: Denial = letter.denial
    claim: Claim = denial.claim
    item = _item(session, letter)
    coverage = claim.coverage or item.coverage or _primary_coverage(claim.patient)
    payer = claim.payer
    visit = session.get(InfusionVisit, claim.visit_id) if claim.visit_id else None
    auth = (visit.authorization if visit and visit.authorization
            else item.authorization or (session.get(Authorization, claim.authorization_id)
                                        if claim.authorization_id else None))
    order = (session.get(TherapyOrder, visit.order_id) if visit and visit.order_id
             else auth.order if auth is not None else None)
    window = payer.appeal_window_days(letter.appeal_level) if payer else None
    level_name = next((lv.name for lv in payer.appeal_levels if lv.level == letter.appeal_level),
                      None) if payer else None
    deadline = (denial.denied_on + timedelta(days=window)) if window else (
        item.deadline_on if item.deadline_kind == "appeal" else None)
    signer = letter.requested_by.display_name if letter.requested_by else "Appeals specialist"
    carc_meanings, rarc_meanings = describe_codes(session, denial.carc_codes, denial.rarc_codes)
    carcs = [{"code": c.code, "meaning": c.meaning} for c in carc_meanings]
    rarcs = [{"code": c.code, "meaning": c.meaning} for c in rarc_meanings]
    return {
        "today": now.date(),
        "sender": {**asdict(sender), "signer": signer},
        "payer": {"name": payer.name, "type": str(payer.payer_type)},
        "appeal": {"level": letter.appeal_level,
                   "level_name": level_name or _ordinal_level(letter.appeal_level),
                   "deadline": deadline, "window_days": window},
        "patient": {
            "name": f"{claim.patient.first_name} {claim.patient.last_name}",
            "birth_date": claim.patient.birth_date,
            "account": claim.patient.mrn,
            "member_id": coverage.member_id if coverage else "(not on file)",
            "group_number": (coverage.group_number if coverage else None) or "",
            "plan_name": coverage.plan_name if coverage else "",
        },
        "claim": {
            "number": claim.claim_number,
            "payer_claim_number": claim.payer_claim_number or "(not assigned)",
            "service_from": claim.service_from, "service_to": claim.service_to,
            "billed": claim.billed_amount, "paid": claim.paid_amount,
            "submitted_on": claim.submitted_on,
        },
        "lines": [
            {"number": ln.line_number, "date": ln.service_date, "code": ln.procedure_code,
             "modifiers": ln.modifiers or "", "units": _units(ln.units), "charge": ln.charge,
             "paid": ln.paid, "ndc": ln.ndc or ""}
            for ln in claim.lines
        ],
        "denial": {
            "denied_on": denial.denied_on, "group_code": denial.group_code,
            "category": str(denial.category),
            "category_label": CATEGORY_LABELS.get(str(denial.category), str(denial.category)),
            "carcs": carcs,
            "rarcs": rarcs,
            "amount": denial.amount,
        },
        "amount_in_dispute": denial.amount,
        "drug": ({"name": order.drug_name, "code": order.drug_code,
                  "dose": f"{_units(order.dose)} {order.dose_unit}",
                  "icd10": order.icd10_codes} if order else None),
        "ordering_provider": ({"name": order.provider.name, "npi": order.provider.npi}
                              if order and order.provider else None),
        "auth": ({"number": auth.auth_number or "(number pending)", "start": auth.start_date,
                  "end": auth.end_date, "units": auth.authorized_units} if auth else None),
        "infusions": [
            {"drug_code": a.drug_code or a.kind, "start": a.start_at, "stop": a.stop_at}
            for a in (visit.administrations if visit else []) if a.start_at
        ],
    }


def _primary_coverage(patient) -> Coverage | None:
    return patient.coverages[0] if patient.coverages else None


def _ordinal_level(level: int) -> str:
    return {1: "First-level appeal", 2: "Second-level appeal"}.get(level,
                                                                   f"Level {level} appeal")


def _units(value) -> str:
    return f"{Decimal(value or 0).normalize():f}"


def sample_facts() -> dict:
    """Synthetic facts with every name a template may use (template checks, previews)."""
    today = date(2026, 11, 27)
    return {
        "today": today,
        "sender": {"practice": "Example Infusion Center", "address": "1 Sample St",
                   "phone": "555-0100", "npi": "1234567893", "tin": "00-0000000",
                   "signer": "Sample Specialist"},
        "payer": {"name": "Sample Health Plan", "type": "commercial"},
        "appeal": {"level": 1, "level_name": "First-level appeal",
                   "deadline": today + timedelta(days=90), "window_days": 180},
        "patient": {"name": "Testa Sample", "birth_date": date(1960, 1, 1),
                    "account": "MRN0000000", "member_id": "XZT000000000",
                    "group_number": "G-1", "plan_name": "PPO"},
        "claim": {"number": "PCN00000000", "payer_claim_number": "ICN0000000",
                  "service_from": today, "service_to": today, "billed": Decimal("1200"),
                  "paid": Decimal("0"), "submitted_on": today},
        "lines": [{"number": 1, "date": today, "code": "96413", "modifiers": "", "units": "1",
                   "charge": Decimal("1200"), "paid": Decimal("0"), "ndc": ""}],
        "denial": {"denied_on": today, "group_code": "CO", "category": "authorization",
                   "category_label": "Authorization",
                   "carcs": [{"code": "197", "meaning": "Prior authorization absent"}],
                   "rarcs": [], "amount": Decimal("1200")},
        "amount_in_dispute": Decimal("1200"),
        "drug": {"name": "Sample drug", "code": "J0000", "dose": "100 mg", "icd10": "Z00.00"},
        "ordering_provider": {"name": "Dr. Sample", "npi": "1234567893"},
        "auth": {"number": "AUTH-1", "start": today, "end": today, "units": 10},
        "infusions": [{"drug_code": "J0000", "start": datetime(2026, 11, 27, 9, 0),
                       "stop": datetime(2026, 11, 27, 10, 5)}],
    }


# -- editing, finalizing, downloading, submitting ------------------------------------------

def save_draft(session: Session, letter_id: int, body: str, actor: Actor, now: datetime, *,
               expected_version: int) -> Letter:
    """Save an edit of the draft as a new version.

    :raise StaleVersion: someone saved (or the letter was regenerated) since the page loaded.
    :raise Conflict: the letter is not an editable draft.
    :raise ValidationFailed: the text is empty.
    """
    letter = get_letter(session, letter_id, for_update=True)
    item = _item(session, letter)
    require_can_work(actor, item)
    _check_version(letter, expected_version)
    if letter.status != L.GENERATED:
        raise Conflict(f"Letter {letter.id} is {letter.status.value}; only a generated draft "
                       "can be edited.")
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed("The letter is empty.", {"body": "required"})
    if len(text) > 60000:
        raise ValidationFailed("The letter is too long (60,000 characters at most).",
                               {"body": "too long"})
    if text + "\n" != letter.draft:
        _store_version(session, letter, text + "\n", "edited", actor.user_id, now)
        session.flush()
        audit.record(session, actor, "update", "letter", letter.id, now=now,
                     patient_id=item.patient_id, context="edit draft")
    return letter


def _check_version(letter: Letter, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != letter.version:
        raise StaleVersion(
            f"Letter {letter.id} changed since you opened it (you had version "
            f"{expected_version}, it is now {letter.version}). Reload to see the current draft.",
            {"current_version": letter.version, "your_version": int(expected_version)},
        )


def finalize_letter(session: Session, letter_id: int, actor: Actor, now: datetime, *,
                    body: str | None = None, signer: str | None = None,
                    expected_version: int | None = None) -> Letter:
    """Freeze the draft into a PDF (stored with its SHA-256). Idempotent for a final letter.

    ``body`` is the text on the person's screen: when it differs from the saved draft it is
    saved as a new version first, so what is finalized is what they were looking at.

    :raise Conflict: there is no generated draft yet.
    :raise StaleVersion: the draft changed since the page was loaded.
    :raise ValidationFailed: ``body`` is empty or too long.
    """
    letter = get_letter(session, letter_id, for_update=True)
    if letter.status == L.FINAL:
        return letter
    item = _item(session, letter)
    require_can_work(actor, item)
    _check_version(letter, expected_version)
    if body is not None:
        save_draft(session, letter_id, body, actor, now, expected_version=None)
    if letter.status != L.GENERATED or not letter.draft:
        raise Conflict(f"Letter {letter.id} is {letter.status.value}; finalize it once the draft "
                       "is generated.")
    claim_number = letter.denial.claim.claim_number
    pdf = build_pdf(letter.draft, title=f"Appeal - claim {claim_number}",
                    footer=f"Claim {claim_number}")
    letter.pdf = pdf
    letter.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    letter.status = L.FINAL
    letter.progress = 100
    letter.finalized_at = now
    letter.finalized_by_id = actor.user_id
    session.flush()
    audit.record(session, actor, "update", "letter", letter.id, now=now,
                 patient_id=item.patient_id, context="finalize")
    return letter


def letter_pdf(session: Session, letter_id: int, actor: Actor, now: datetime) -> tuple[str, bytes]:
    """The final PDF and a file name without PHI; the download is audited.

    :raise Conflict: the letter is not final yet.
    """
    letter = get_letter(session, letter_id)
    if letter.status != L.FINAL or letter.pdf is None:
        raise Conflict(f"Letter {letter.id} has no PDF yet; finalize it first.")
    audit.record(session, actor, "download", "letter", letter.id, now=now,
                 patient_id=_item(session, letter).patient_id)
    return f"appeal-letter-{letter.id}-level-{letter.appeal_level}.pdf", letter.pdf


def mark_appeal_submitted(session: Session, letter_id: int, actor: Actor, now: datetime) -> Letter:
    """Record that the final letter went to the payer: the denial item moves to submitted.

    :raise Conflict: the letter is not final. :raise InvalidTransition: from the item's table.
    """
    letter = get_letter(session, letter_id, for_update=True)
    if letter.status != L.FINAL:
        raise Conflict("Finalize the letter before marking the appeal submitted.")
    item = _item(session, letter)
    transition_work_item(session, item, WorkItemStatus.APPEAL_SUBMITTED, actor, now,
                         note=f"Appeal level {letter.appeal_level} submitted with letter "
                              f"{letter.id}.")
    letter.submitted_at = now
    session.flush()
    return letter


# -- PDF -------------------------------------------------------------------------------------

def _font_path(name: str) -> str:
    return str(resources.files("workqueue").joinpath("data", "fonts", name))


def _print_wrapped(pdf, text: str, width: float, height: float) -> None:
    """Greedy word wrap measuring each word once: fpdf2's multi_cell re-measures the line per
    character, which made a one-page letter cost ~0.15 s. A word wider than the line (a long
    URL or reference) is cut into pieces that fit, so nothing runs off the page."""
    space = pdf.get_string_width(" ")
    indent = len(text) - len(text.lstrip(" "))
    hanging = ("  ", space * 2) if text.startswith("- ") else ("", 0.0)
    line, line_width = " " * indent, space * indent
    for word in _fitting_pieces(pdf, text.split(), width - space * max(indent, 2)):
        word_width = pdf.get_string_width(word)
        if line.strip() and line_width + space + word_width > width:
            pdf.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")
            line, line_width = hanging
        if line.strip():
            line, line_width = f"{line} {word}", line_width + space + word_width
        else:
            line, line_width = line + word, line_width + word_width
    pdf.cell(width, height, line, new_x="LMARGIN", new_y="NEXT")


def _fitting_pieces(pdf, words: list[str], width: float):
    """The words, each one wider than ``width`` cut into the longest pieces that fit."""
    for word in words:
        while pdf.get_string_width(word) > width:
            low, high = 1, len(word) - 1  # the longest prefix that fits (at least a character)
            while low < high:
                middle = (low + high + 1) // 2
                if pdf.get_string_width(word[:middle]) <= width:
                    low = middle
                else:
                    high = middle - 1
            yield word[:low]
            word = word[low:]
        yield word


@cache
def _covered_codepoints() -> frozenset[int]:
    """Characters the bundled font can print; anything else becomes "?" rather than a hole."""
    from fontTools.ttLib import TTFont

    with TTFont(_font_path("DejaVuSans-LGC.ttf"), lazy=True) as font:
        return frozenset(font.getBestCmap())


def build_pdf(text: str, *, title: str, footer: str = "") -> bytes:
    """Lay the letter text out on US-letter pages with the bundled DejaVu font (Unicode).

    Light markup: a line starting ``## `` is a bold heading; an empty line is a paragraph gap.
    """
    from fpdf import FPDF

    class _LetterPDF(FPDF):
        def footer(self):
            self.set_y(-14)
            self.set_font("DejaVu", size=8)
            self.cell(0, 5, f"{footer}   Page {self.page_no()} of {{nb}}", align="C")

    pdf = _LetterPDF(format="letter")
    pdf.set_title(title)
    pdf.set_creator("workqueue")
    pdf.set_margins(22, 18, 22)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", _font_path("DejaVuSans-LGC.ttf"))
    pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-LGC-Bold.ttf"))
    pdf.add_page()
    covered = _covered_codepoints()
    text = "".join(ch if ord(ch) in covered or ch in "\n\t" else "?" for ch in text)
    width = pdf.epw
    for line in text.splitlines():
        if line.startswith("## "):
            pdf.ln(1.5)
            pdf.set_font("DejaVu", "B", 10.5)
            _print_wrapped(pdf, line[3:].strip(), width, 5.5)
        elif not line.strip():
            pdf.ln(2.5)
        else:
            pdf.set_font("DejaVu", "", 10)
            _print_wrapped(pdf, line.rstrip(), width, 5)
    return bytes(pdf.output())
