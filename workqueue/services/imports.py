"""File imports of every kind: which X12 transaction a file is (ST01), the run's lifecycle
(stored by SHA-256, queued as a job, run, failed), and the row-by-row driver the 271 and
277 imports share.

The 835 keeps its own importer (``services/remittances.py``: payments, batches, reversals);
this module only dispatches to it. A 271 or 277 is applied one member or claim at a time,
each in its own savepoint: a row that cannot be applied is an entry in the run's error
report and the others go on. Importing the same file again changes nothing: each row knows
whether it was applied before (see the kind's service) and says so.

Memory does not grow with the file (``domain/import_limits.py``): the first pass refuses a
file that goes over the segment limits before anything changes, rows are applied as they
are read, and a report holds the first ``report_rows`` problems and rows while every one is
written to ``import_lines`` (`ReportLines`) for the run's downloads.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from workqueue.domain.errors import DomainError, NotFound, ValidationFailed
from workqueue.domain.import_limits import DEFAULT_LIMITS, ImportLimits
from workqueue.domain.status import WorkItemKind
from workqueue.models import (
    AuditEvent,
    ImportLine,
    ImportLineKind,
    ImportRun,
    ImportRunStatus,
    Payer,
    WorkItem,
)
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.work_items import return_pended_item
from workqueue.x12 import elig271, remit835, status277
from workqueue.x12.reader import Loops, X12Error, read_segments
from workqueue.x12.transactions import ParseIssue

KINDS = {"835": "remittance", "271": "eligibility response", "277": "claim status response"}
# What each kind's interpreter holds while reading one loop, for the first pass's limits.
_LOOPS: dict[str, Loops] = {"835": remit835.LOOPS, "271": elig271.LOOPS,
                            "277": status277.LOOPS}
PAYER_CACHE_SIZE = 1000  # payers remembered per import (a file may name a new one per payment)

Progress = Callable[[int], None]


class UnsupportedFile(ValidationFailed):
    """A readable X12 file of a transaction set the product does not import (e.g. an 837)."""


def detect_kind(stream: BinaryIO) -> str:
    """The transaction set of the file's first ST (``"835"``, ``"271"`` or ``"277"``); the
    stream is put back where it was. Reads only up to that ST.

    :raise UnsupportedFile: no ST, or one the product does not import.
    :raise X12Error: the start of the file is not X12.
    """
    start = stream.tell()
    try:
        for segment in read_segments(stream):
            if segment.id == "ST":
                code = segment[1].strip()
                if code in KINDS:
                    return code
                raise UnsupportedFile(
                    f"This file is an X12 {code or '(blank)'} transaction; only 835 "
                    "remittances, 271 eligibility responses and 277 claim status responses "
                    "can be imported.", {"file": "unsupported transaction"})
        raise UnsupportedFile("This X12 file holds no transaction set (no ST segment).",
                              {"file": "no transaction"})
    finally:
        stream.seek(start)


def store_upload(stream: BinaryIO, directory: Path) -> tuple[str, int, Path]:
    """Save an uploaded file under ``directory`` by its SHA-256; ``(sha256, size, path)``.

    The same file uploaded twice is stored once. The name never carries the upload's name
    (which may hold a patient's name); only the digest.
    """
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    partial = directory / f".upload-{id(stream)}.part"
    with partial.open("wb") as out:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    path = directory / f"{digest.hexdigest()}.x12"
    partial.replace(path)
    return digest.hexdigest(), size, path


def check_envelope(stream: BinaryIO, kind: str | None = None,
                   limits: ImportLimits = DEFAULT_LIMITS) -> tuple[str, int]:
    """First pass over a seekable stream: the whole envelope is sound and within ``limits``
    for an import of ``kind`` (else `X12Error`), so that a file broken, or too big, at its end
    changes nothing; returns its SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0

    def chunks() -> Iterator[bytes]:
        nonlocal size
        while chunk := stream.read(1 << 16):
            data = chunk.encode("latin-1", "replace") if isinstance(chunk, str) else chunk
            digest.update(data)
            size += len(data)
            yield chunk

    start = stream.tell()
    for _segment in read_segments(chunks(), limits=limits, loops=_LOOPS.get(kind or "")):
        pass
    stream.seek(start)
    return digest.hexdigest(), size


def fail_run(run: ImportRun, message: str, now: datetime) -> None:
    run.status = ImportRunStatus.FAILED
    run.message = message[:300]
    run.finished_at = now


def start_import(session: Session, stream: BinaryIO, file_name: str, actor: Actor,
                 now: datetime, directory: Path, kind: str | None = None) -> ImportRun:
    """Store an uploaded X12 file and queue its import as a background job (after commit).

    The kind (835, 271, 277) comes from the file's ST01 unless given. The job gets the
    ``ImportRun`` id only; the file stays on disk under its digest.

    :raise UnsupportedFile: not a kind the product imports.
    """
    from workqueue.jobs import defer
    from workqueue.jobs.imports import run_import

    try:
        kind = kind or detect_kind(stream)
    except X12Error as error:
        raise UnsupportedFile(f"This is not a readable X12 file: {error}",
                              {"file": "not x12"}) from None
    digest, size, _path = store_upload(stream, directory)
    run = ImportRun(kind=kind, file_name=(Path(file_name or "upload").name or "upload")[:200],
                    sha256=digest, size_bytes=size, status=ImportRunStatus.QUEUED, progress=0,
                    counts={}, payments=[], errors=[], actor_id=actor.user_id,
                    channel=actor.channel, created_at=now)
    session.add(run)
    session.flush()
    audit.record(session, actor, "upload", "import_run", run.id, now=now, context=kind)
    defer(session, run_import, run.id)
    return run


def run_stored_import(session: Session, run_id: int, now: datetime, directory: Path,
                      checkpoint: Callable[[], None] | None = None,
                      limits: ImportLimits = DEFAULT_LIMITS) -> ImportRun:
    """Import the stored file of ``run_id`` (the job body), whatever its kind, within
    ``limits``. Idempotent: a finished run is left alone, and a restarted one skips what it
    already applied.

    A file that cannot be read marks the run failed with the reason (no retry: it will not
    get better); anything else propagates so the job is retried.
    """
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(f"Import {run_id} does not exist.")
    if run.status in (ImportRunStatus.DONE, ImportRunStatus.FAILED):
        return run
    run.status = ImportRunStatus.RUNNING
    run.started_at = run.started_at or now
    if checkpoint:
        checkpoint()
    actor = Actor(run.actor_id, None, "job")

    def progress(percent: int) -> None:
        run.progress = percent
        if checkpoint:
            checkpoint()

    importer = _IMPORTERS.get(run.kind)
    if importer is None:
        fail_run(run, f"Import kind {run.kind!r} is not supported.", now)
        session.flush()
        return run
    path = directory / f"{run.sha256}.x12"
    try:
        with path.open("rb") as stream:
            importer(session, stream, actor, now, progress=progress, run=run, collect=False,
                     limits=limits)
    except FileNotFoundError:
        fail_run(run, "The uploaded file is no longer on the server; upload it again.", now)
    except X12Error as error:
        fail_run(run, f"Not a readable {run.kind} file: {error}", now)
    session.flush()
    return run


def import_now(session: Session, stream: BinaryIO, kind: str, file_name: str, actor: Actor,
               now: datetime, limits: ImportLimits = DEFAULT_LIMITS) -> Any:
    """Apply a file at once, not as a job (the ``import-835/271/277`` commands): the run is
    recorded under ``actor``'s channel and the importer of ``kind`` fills it in; the result
    keeps the first ``limits.report_rows`` claims or rows for the command's report. Flushes;
    the caller commits.

    :raise X12Error: the file cannot be read as X12 at all, or goes over ``limits`` (nothing
        was changed).
    """
    run = ImportRun(kind=kind, file_name=file_name[:200], sha256="", channel=actor.channel,
                    counts={}, payments=[], errors=[], created_at=now, started_at=now)
    session.add(run)
    session.flush()
    return _IMPORTERS[kind](session, stream, actor, now, run=run, limits=limits)


def mark_run_failed(session: Session, run_id: int, error: str, now: datetime) -> None:
    """Once every retry has failed: the page shows the run failed (no patient data)."""
    run = session.get(ImportRun, run_id)
    if run is None or run.status == ImportRunStatus.DONE:
        return
    done = "payments already posted stay posted and a new upload of the file posts the rest" \
        if run.kind == "835" else \
        "what was already applied stays applied and a new upload of the file applies the rest"
    fail_run(run, f"The import stopped ({error}); {done}.", now)


def get_import_run(session: Session, run_id: int) -> ImportRun:
    run = session.get(ImportRun, run_id)
    if run is None:
        raise NotFound(f"Import {run_id} does not exist.")
    return run


def recent_import_runs(session: Session, limit: int = 50) -> list[ImportRun]:
    return list(session.scalars(select(ImportRun).options(selectinload(ImportRun.actor))
                                .order_by(ImportRun.id.desc()).limit(limit)))


LINE_COLUMNS = {
    ImportLineKind.PROBLEM: ["Segment", "Problem"],
    ImportLineKind.ROW: ["Segment", "Member ID or claim number", "Result", "Status", "Details"],
}


def report_download(session: Session, run: ImportRun, what: str, actor: Actor,
                    now: datetime) -> tuple[list[str], Iterator[list[Any]]]:
    """The header and rows of a run's full list: ``problems``, ``rows`` (271/277) or
    ``claims`` (835), for a streamed CSV. Audited as an export.

    :raise NotFound: a list the run's kind does not have.
    """
    if what == "claims":
        from workqueue.services.remittances import CLAIM_COLUMNS, claim_rows

        return CLAIM_COLUMNS, claim_rows(session, run, actor, now)
    kind = ImportLineKind.ROW if what == "rows" else ImportLineKind.PROBLEM
    return LINE_COLUMNS[kind], report_lines(session, run, kind, actor, now)


def report_lines(session: Session, run: ImportRun, kind: ImportLineKind,
                 actor: Actor, now: datetime) -> Iterator[list[Any]]:
    """Every problem (or, for a 271/277, every row) of ``run`` in file order, as CSV rows
    read a thousand at a time (the download of the full list; the page shows the first
    ones). Audited as an export: the rows name member IDs and claim numbers.

    :raise NotFound: rows asked of an 835 run (its claims are `remittances.claim_rows`).
    """
    if kind == ImportLineKind.ROW and run.kind == "835":
        raise NotFound(f"Import {run.id} is an 835: download its claims instead.")
    audit.record(session, actor, "export", "import_run", run.id, now=now,
                 context=f"{kind.value}s csv")
    return _line_rows(session, run.id, kind)


def _line_rows(session: Session, run_id: int, kind: ImportLineKind) -> Iterator[list[Any]]:
    lines = session.scalars(select(ImportLine).where(
        ImportLine.import_run_id == run_id, ImportLine.kind == kind)
        .order_by(ImportLine.id).execution_options(yield_per=1000))
    for line in lines:
        yield [line.segment, line.message] if kind == ImportLineKind.PROBLEM else \
            [line.segment, line.key, line.result, line.status, line.message]


def row_report(session: Session, run_id: int, actor: Actor, now: datetime) -> ImportRun:
    """The run of a 271/277 import for its page (rows and errors are on the run). Audited:
    the rows name member IDs and claim numbers from the file."""
    run = get_import_run(session, run_id)
    audit.record(session, actor, "view", "import_run", run.id, now=now)
    return run


# -- the row-by-row driver (271, 277) -----------------------------------------------------

@dataclass
class RowOutcome:
    """What an import did with one member (271) or claim (277).

    ``result``: ``applied``, ``already`` (applied before: nothing changed), ``stale`` (a
    later answer is on file: nothing changed) or ``error`` (not applied; ``message`` says
    why). ``key`` is the member ID or claim number from the file.
    """

    segment: int
    key: str
    result: str
    message: str = ""
    status: str = ""  # active / inactive / rejected (271); the STC category (277)
    patient_id: int | None = None
    record_id: int | None = None  # the coverage or claim
    items: list[int] = field(default_factory=list)  # work items moved or noted
    needs_action: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"segment": self.segment, "key": self.key, "result": self.result,
                "status": self.status, "message": self.message, "record_id": self.record_id,
                "items": self.items, "needs_action": self.needs_action}


@dataclass
class RowImportResult:
    """Outcome of one 271/277 file: counts of everything, and the first rows and problems
    (``report_rows`` of each; every one is in the run's ``import_lines``)."""

    kind: str
    sha256: str
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def already_imported(self) -> bool:
        """Nothing applied, and something because it was applied before (rows that cannot be
        applied stay errors however often the file comes)."""
        return self.counts.get("already", 0) > 0 and not self.counts.get("applied", 0)


class ReportLines:
    """The full report of one run, line by line: the first ``keep`` problems (and rows) for
    the run's page and the command's output, and every one written to ``import_lines``.

    Lines wait in a temporary file (in memory up to a megabyte, then on disk) until `write`,
    which the importer calls where no savepoint of its own is open — so that a payment or a
    row rolled back does not take report lines with it. Without a run (nothing is saved)
    only the first ``keep`` are kept.
    """

    BATCH = 500

    def __init__(self, session: Session, run: ImportRun | None, keep: int) -> None:
        self.session = session
        self.run_id = run.id if run is not None else None
        self.keep = keep
        self.problems: list[dict[str, Any]] = []
        self.rows: list[RowOutcome] = []
        self._waiting: IO[str] | None = None
        self._count = 0
        if self.run_id is not None:  # a restarted import writes its report again
            session.execute(delete(ImportLine).where(ImportLine.import_run_id == self.run_id))

    def problem(self, segment: int, message: str) -> None:
        if len(self.problems) < self.keep:
            self.problems.append({"segment": segment, "message": message})
        self._add({"kind": ImportLineKind.PROBLEM.value, "segment": segment,
                   "message": message[:500]})

    def row(self, outcome: RowOutcome) -> None:
        if len(self.rows) < self.keep:
            self.rows.append(outcome)
        self._add({"kind": ImportLineKind.ROW.value, "segment": outcome.segment,
                   "key": outcome.key[:80] or None, "result": outcome.result[:20],
                   "status": outcome.status[:40] or None, "message": outcome.message[:500]})

    @property
    def waiting(self) -> int:
        return self._count

    def _add(self, line: dict[str, Any]) -> None:
        if self.run_id is None:
            return
        if self._waiting is None:
            self._waiting = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+",
                                                          encoding="utf-8")
        self._waiting.write(json.dumps(line) + "\n")
        self._count += 1

    def write(self) -> None:
        """Insert every waiting line, a batch per statement."""
        waiting, self._waiting, self._count = self._waiting, None, 0
        if waiting is None:
            return
        with waiting:
            waiting.seek(0)
            lines = (dict(json.loads(text), import_run_id=self.run_id) for text in waiting)
            while batch := list(islice(lines, self.BATCH)):
                self.session.execute(insert(ImportLine), batch)


ROW_COUNT_KEYS = ("rows", "applied", "already", "stale", "errors", "problems", "items_moved",
                  "items_noted", "needs_action")


def import_rows(session: Session, stream: BinaryIO, now: datetime, *, kind: str,
                events: Callable[[BinaryIO, ImportLimits], Iterator[Any]],
                apply: Callable[[Any], RowOutcome], count: Callable[[RowOutcome, dict], None],
                progress: Progress | None = None, run: ImportRun | None = None,
                collect: bool = True, limits: ImportLimits = DEFAULT_LIMITS
                ) -> RowImportResult:
    """Apply every row ``events`` yields with ``apply`` (each in a savepoint); record the
    outcome on ``run`` (every row and problem in its ``import_lines``). The result holds the
    first ``limits.report_rows`` rows and problems (``collect`` is kept for callers: a report
    never holds more). Flushes; the caller commits (``progress`` may commit: every applied
    row is whole and applying it again changes nothing).

    :raise X12Error: the file cannot be read as X12 at all, or goes over ``limits`` (nothing
        was changed).
    """
    digest, size = check_envelope(stream, kind, limits)
    if run is not None:
        run.sha256, run.size_bytes = digest, size
    result = RowImportResult(kind, digest, counts=dict.fromkeys(ROW_COUNT_KEYS, 0))
    lines = ReportLines(session, run, limits.report_rows)
    result.rows, result.errors = lines.rows, lines.problems
    last_percent = 0
    for event in events(stream, limits):
        if lines.waiting >= lines.BATCH:
            lines.write()
        if isinstance(event, ParseIssue):
            result.counts["problems"] += 1
            lines.problem(event.segment, event.message)
            continue
        try:
            with session.begin_nested():
                outcome = apply(event)
        except (SQLAlchemyError, DomainError, ArithmeticError) as error:
            message = getattr(error, "message", None) or error.__class__.__name__
            outcome = RowOutcome(event.segment, _row_key(event), "error",
                                 f"not applied ({message})")
        result.counts["rows"] += 1
        result.counts[outcome.result] = result.counts.get(outcome.result, 0) + 1
        if outcome.needs_action and outcome.result == "applied":
            result.counts["needs_action"] += 1
        count(outcome, result.counts)
        if outcome.result == "error" and outcome.record_id is None:
            result.counts["unmatched"] = result.counts.get("unmatched", 0) + 1
        if outcome.result == "error":
            result.counts["problems"] += 1
            lines.problem(outcome.segment, outcome.message)
        lines.row(outcome)
        if progress is not None and size:
            percent = min(99, int(100 * stream_position(stream) / size))
            if percent > last_percent:
                last_percent = percent
                progress(percent)
    lines.write()
    if run is not None:
        result.run_id = run.id
        _record_run(run, result, now)
    session.flush()
    if progress is not None:
        progress(100)
    return result


class RowApplier:
    """What the 271 and 277 appliers share: the session, the importing actor (audit events
    name them), the system actor that moves any item (``actor`` need not be assigned to it)
    and the import's time; and the steps both take on the work items an answer touches."""

    def __init__(self, session: Session, actor: Actor, now: datetime) -> None:
        self.session = session
        self.actor = actor
        self.system = Actor(actor.user_id, None, actor.channel)  # acts on any item
        self.now = now

    def already_applied(self, outcome: RowOutcome, object_type: str, answer: str,
                        what: str) -> bool:
        """Whether this very ``answer`` was applied to the outcome's record before; if so the
        outcome says so (``already``: "<what> was applied on <when> UTC; nothing changed")."""
        assert outcome.record_id is not None
        earlier = applied_before(self.session, object_type, outcome.record_id,
                                 outcome.patient_id, answer)
        if earlier is None:
            return False
        outcome.result = "already"
        outcome.message = (f"{what} was applied on {earlier.at:%Y-%m-%d %H:%M} UTC; nothing "
                           "changed")
        return True

    def open_items(self, link: Any, kind: WorkItemKind) -> list[WorkItem]:
        """The open items of ``kind`` on one coverage or claim (``link``: the column test),
        oldest first, locked for the change."""
        return list(self.session.scalars(select(WorkItem).where(
            link, WorkItem.kind == kind, WorkItem.is_open).order_by(WorkItem.id)
            .with_for_update()))

    def bring_to_a_person(self, item: WorkItem, note: str) -> None:
        """The answer needs a person: the item comes back from pending and is due today."""
        return_pended_item(self.session, item, self.system, self.now, note)
        if item.due_on is None or item.due_on > self.now.date():
            item.due_on = self.now.date()


def match_payer(session: Session, identifier: str, name: str,
                cache: dict[tuple[str, str], Payer | None]) -> Payer | None:
    """The payer an X12 file names: by its EDI identifier (NM109), else by name.

    A name alone does not match a payer whose identifier on file differs from the file's:
    two plans may share a name, and a file from one must not be read as the other's.
    ``cache`` remembers up to PAYER_CACHE_SIZE answers (a crafted file could name a new payer
    in each of a million payments).
    """
    key = (identifier.strip(), name.strip().upper())
    if key not in cache:
        if len(cache) >= PAYER_CACHE_SIZE:
            cache.clear()
        payer = None
        if key[0]:
            payer = session.scalar(select(Payer).where(Payer.edi_payer_id == key[0])
                                   .order_by(Payer.id).limit(1))
        if payer is None and key[1]:
            payer = next((p for p in session.scalars(select(Payer).order_by(Payer.id))
                          if p.name.strip().upper() == key[1]
                          and not (key[0] and (p.edi_payer_id or "").strip())), None)
        cache[key] = payer
    return cache[key]


def applied_before(session: Session, object_type: str, object_id: int,
                   patient_id: int | None, context: str) -> AuditEvent | None:
    """The audit event an earlier import wrote when it applied this very answer (its
    ``context`` names the answer), or None. The audit row commits with the change it
    records, so it is a faithful "done" mark that needs no column of its own."""
    return session.scalar(select(AuditEvent).where(
        AuditEvent.patient_id == patient_id, AuditEvent.object_type == object_type,
        AuditEvent.object_id == str(object_id), AuditEvent.action == "import",
        AuditEvent.context == context[:200]).order_by(AuditEvent.id).limit(1))


def _row_key(event: Any) -> str:
    return getattr(event, "member_id", "") or getattr(event, "patient_account", "") or ""


def stream_position(stream: BinaryIO) -> int:
    """How far into ``stream`` the reader is, for progress (0 when it cannot say)."""
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def _record_run(run: ImportRun, result: RowImportResult, now: datetime) -> None:
    run.counts = dict(result.counts)
    run.payments = [row.as_dict() for row in result.rows]
    run.errors = list(result.errors)
    run.status = ImportRunStatus.DONE
    run.progress = 100
    run.finished_at = now
    if result.already_imported:
        run.message = "Already imported: everything in this file that could be applied " \
            "was applied before; nothing changed."


def _import_835(session: Session, stream: BinaryIO, actor: Actor, now: datetime,
                **options: Any) -> Any:
    from workqueue.services.remittances import import_remittance

    return import_remittance(session, stream, actor, now, **options)


def _import_271(session: Session, stream: BinaryIO, actor: Actor, now: datetime,
                **options: Any) -> RowImportResult:
    from workqueue.services.eligibility_responses import import_eligibility

    return import_eligibility(session, stream, actor, now, **options)


def _import_277(session: Session, stream: BinaryIO, actor: Actor, now: datetime,
                **options: Any) -> RowImportResult:
    from workqueue.services.claim_statuses import import_claim_statuses

    return import_claim_statuses(session, stream, actor, now, **options)


_IMPORTERS: dict[str, Callable[..., Any]] = {
    "835": _import_835,
    "271": _import_271,
    "277": _import_277,
}

