"""Tamper evidence for the audit trail: seal settled audit events into a hash chain, verify it.

Audit inserts stay as they are (get-next writes its event inside one SQL statement); a periodic
job seals what has settled, and :func:`verify` re-reads the rows and the chain.

**Encoding (version 1).** A row is the JSON array of its columns in :data:`COLUMNS` order,
``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` plus ``"\\n"``, in UTF-8:
integers as JSON numbers, strings as JSON strings, NULL as ``null`` (so NULL and "" differ),
timestamps as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. ``rows_digest`` is the SHA-256 of the
rows of the range concatenated in id order. A seal's hash is the SHA-256 of
``"v1|<prev_hash>|<first_id>|<last_id>|<row_count>|<rows_digest>|<sealed_at>"``; the first
seal's ``prev_hash`` is :data:`GENESIS`.

**Ranges.** Seals tile the id space without gaps: a seal starts at the previous seal's
``last_id + 1`` (the first at 1) and ends at the id of a row that exists. Ids skipped by
rolled-back transactions simply are not there, and any row that appears later inside a sealed
range changes that seal's count and digest.

**The lag, and its limit.** A transaction may commit a low id after a higher one is visible,
and which ids uncommitted transactions hold cannot be read portably. So only rows whose ``at``
is older than :data:`SEAL_LAG` are sealed, and a range stops before the first younger row. An
audited transaction that commits more than the lag after its event's ``at`` (``at`` is the
caller's ``now``, e.g. the start of a long import) can still land inside a sealed range:
verify reports that as "inserted into a sealed range", which is what tampering looks like
too — a person has to look. Keep jobs that write audit events shorter than the lag.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workqueue.models import AuditEvent, AuditSeal

GENESIS = "0" * 64
ENCODING = 1
SEAL_LAG = timedelta(minutes=2)
MAX_ROWS_PER_SEAL = 10_000  # a finding names a range of at most this many rows
BATCH = 5_000  # rows read per query, in id order (never the whole table in memory)
_LOCK_KEY = 4_711_008  # pg advisory lock id of the sealer

# Every column of audit_events, in the order they are encoded. A new column must be added
# here with a new ENCODING version (tests fail until it is): old seals stay verifiable.
COLUMNS = ("id", "at", "user_id", "role", "action", "object_type", "object_id", "patient_id",
           "outcome", "ip", "user_agent", "channel", "context")
_TABLE = AuditEvent.__table__
_SELECT = [_TABLE.c[name] for name in COLUMNS]


# -- encoding --------------------------------------------------------------------------------

def encode_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_row(row) -> bytes:
    """One audit row in the version-1 canonical encoding (see the module docstring)."""
    values = [encode_timestamp(v) if isinstance(v, datetime) else v for v in row]
    return (json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def seal_hash(prev_hash: str, first_id: int, last_id: int, row_count: int, rows_digest: str,
              sealed_at: datetime) -> str:
    material = (f"v{ENCODING}|{prev_hash}|{first_id}|{last_id}|{row_count}|{rows_digest}|"
                f"{encode_timestamp(sealed_at)}")
    return hashlib.sha256(material.encode()).hexdigest()


def _rows(session: Session, after: int, through: int | None) -> Iterator:
    """Audit rows with ``after < id <= through`` in id order, read in batches (keyset)."""
    while True:
        query = select(*_SELECT).where(_TABLE.c.id > after).order_by(_TABLE.c.id).limit(BATCH)
        if through is not None:
            query = query.where(_TABLE.c.id <= through)
        batch = session.execute(query).all()
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


# -- sealing ---------------------------------------------------------------------------------

@dataclass
class SealResult:
    seals: int = 0
    events: int = 0
    last_id: int | None = None
    skipped: bool = False  # another sealer held the lock (PostgreSQL)
    lost_race: bool = False  # another sealer sealed this range first

    def summary(self) -> dict:
        return {"seals": self.seals, "events": self.events, "last_id": self.last_id,
                "skipped": self.skipped, "lost_race": self.lost_race}


def last_seal(session: Session) -> AuditSeal | None:
    return session.scalar(select(AuditSeal).order_by(AuditSeal.last_id.desc()).limit(1))


def _sealable_through(session: Session, start: int, cutoff: datetime) -> int | None:
    """The highest id to seal from ``start``: every row in ``[start, id]`` older than cutoff."""
    young = session.scalar(select(func.min(_TABLE.c.id))
                           .where(_TABLE.c.id >= start, _TABLE.c.at >= cutoff))
    query = select(func.max(_TABLE.c.id)).where(_TABLE.c.id >= start, _TABLE.c.at < cutoff)
    if young is not None:
        query = query.where(_TABLE.c.id < young)
    return session.scalar(query)


def seal_pending(session: Session, now: datetime, *, lag: timedelta = SEAL_LAG,
                 max_rows: int = MAX_ROWS_PER_SEAL, serialize: bool = True) -> SealResult:
    """Seal the audit events that have settled (``at`` older than ``lag``) since the last seal.

    Idempotent: nothing new to seal, no seal. Racing sealers make one chain: on PostgreSQL an
    advisory lock lets one of them work (``serialize``), and in any case the unique
    ``first_id`` refuses a second seal of the same range, so the loser seals nothing. Flushes;
    the caller commits.
    """
    result = SealResult()
    if serialize and session.get_bind().dialect.name == "postgresql" and not session.scalar(
            select(func.pg_try_advisory_xact_lock(_LOCK_KEY))):
        result.skipped = True
        return result
    previous = last_seal(session)
    prev_hash = previous.hash if previous else GENESIS
    start = previous.last_id + 1 if previous else 1
    through = _sealable_through(session, start, now - lag)
    if through is None:
        return result
    digest, count, row_id = hashlib.sha256(), 0, start - 1
    for row in _rows(session, start - 1, through):
        digest.update(encode_row(row))
        count += 1
        row_id = row[0]
        if count == max_rows or row_id == through:
            seal = _add_seal(session, start, row_id, count, digest.hexdigest(), prev_hash, now)
            if seal is None:
                result.lost_race = True
                return result
            result.seals += 1
            result.events += count
            result.last_id = row_id
            prev_hash, start = seal.hash, row_id + 1
            digest, count = hashlib.sha256(), 0
    return result


def _add_seal(session: Session, first_id: int, last_id: int, count: int, rows_digest: str,
              prev_hash: str, now: datetime) -> AuditSeal | None:
    seal = AuditSeal(first_id=first_id, last_id=last_id, row_count=count,
                     rows_digest=rows_digest, prev_hash=prev_hash, encoding=ENCODING,
                     sealed_at=now,
                     hash=seal_hash(prev_hash, first_id, last_id, count, rows_digest, now))
    try:
        with session.begin_nested():
            session.add(seal)
    except IntegrityError:  # another sealer committed a seal starting here first
        return None
    return seal


# -- verification ----------------------------------------------------------------------------

@dataclass
class Finding:
    seal_id: int | None
    first_id: int | None
    last_id: int | None
    problem: str  # rows_changed, rows_deleted, rows_inserted, seal_edited, chain_broken
    detail: str

    def __str__(self) -> str:
        where = (f"seal {self.seal_id} (audit events {self.first_id}-{self.last_id})"
                 if self.seal_id is not None else "before the first seal")
        return f"{where}: {self.problem.replace('_', ' ')}: {self.detail}"


@dataclass
class VerifyReport:
    seals: int = 0
    events: int = 0  # sealed rows read
    unsealed: int = 0  # rows after the last seal (not yet settled or not yet sealed)
    head_hash: str = GENESIS
    last_sealed_at: datetime | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> dict:
        """JSON-safe (stored on the sweep run the admin page shows). Ids only, no PHI."""
        return {"ok": self.ok, "seals": self.seals, "events": self.events,
                "unsealed": self.unsealed, "head_hash": self.head_hash,
                "finding": str(self.findings[0]) if self.findings else None,
                "problem": self.findings[0].problem if self.findings else None}


def _seals(session: Session) -> Iterator:
    """Seal rows (plain rows, not tracked objects) in chain order, read in batches."""
    seals = AuditSeal.__table__
    after = 0
    while True:
        batch = session.execute(select(seals).where(seals.c.first_id > after)
                                .order_by(seals.c.first_id).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].first_id


def verify(session: Session) -> VerifyReport:
    """Walk the chain in order and re-hash every sealed row, streaming in id order.

    Stops at the first broken seal and says why: the seal record was edited (its hash does
    not match its fields), the chain is broken (it does not point at the previous seal, or
    ranges overlap or leave a gap — a seal was removed), or its rows were changed, deleted,
    or added inside its range (tampering, or a transaction that committed after the lag).
    """
    report = VerifyReport()
    expected_prev, expected_first = GENESIS, 1
    early = session.scalar(select(func.count()).select_from(_TABLE).where(_TABLE.c.id < 1))
    if early:
        report.findings.append(Finding(None, None, 0, "rows_inserted",
                                       f"{early} audit events have ids below 1"))
        return report
    # One pass over the rows in id order across all seals (the seals tile the id space from
    # 1), not one query per seal: a five-minute seal holds few rows and there are many.
    rows = _Rows(_rows(session, 0, None))
    for seal in _seals(session):
        finding = _check_seal(seal, expected_prev, expected_first, rows)
        if finding is not None:
            report.findings.append(finding)
            return report
        report.seals += 1
        report.events += seal.row_count
        report.head_hash = seal.hash
        report.last_sealed_at = seal.sealed_at
        expected_prev, expected_first = seal.hash, seal.last_id + 1
    report.unsealed = session.scalar(select(func.count()).select_from(_TABLE)
                                     .where(_TABLE.c.id >= expected_first)) or 0
    return report


class _Rows:
    """An id-ordered row stream that can hand out the rows up to an id and keep the rest."""

    def __init__(self, rows: Iterator):
        self._rows = rows
        self._next = next(rows, None)

    def through(self, last_id: int) -> Iterator:
        while self._next is not None and self._next[0] <= last_id:
            row, self._next = self._next, next(self._rows, None)
            yield row


def _check_seal(seal, expected_prev: str, expected_first: int, rows: _Rows) -> Finding | None:
    def finding(problem: str, detail: str) -> Finding:
        return Finding(seal.id, seal.first_id, seal.last_id, problem, detail)

    recomputed = seal_hash(seal.prev_hash, seal.first_id, seal.last_id, seal.row_count,
                           seal.rows_digest, seal.sealed_at)
    if seal.encoding != ENCODING or recomputed != seal.hash:
        return finding("seal_edited", "the seal's stored hash does not match its own fields")
    if seal.prev_hash != expected_prev:
        return finding("chain_broken", "it does not carry the previous seal's hash "
                       "(a seal before it was changed, removed or replaced)")
    if seal.first_id != expected_first:
        return finding("chain_broken", f"it starts at {seal.first_id}, the previous seal ends "
                       f"at {expected_first - 1}")
    digest, count = hashlib.sha256(), 0
    for row in rows.through(seal.last_id):
        digest.update(encode_row(row))
        count += 1
    if count < seal.row_count:
        return finding("rows_deleted", f"{seal.row_count - count} of its {seal.row_count} "
                       "sealed events are missing")
    if count > seal.row_count:
        return finding("rows_inserted", f"{count - seal.row_count} events appeared inside the "
                       "sealed range after sealing (tampering, or a transaction that committed "
                       "later than the sealing lag)")
    if digest.hexdigest() != seal.rows_digest:
        return finding("rows_changed", "a sealed event was changed (same count, different "
                       "content)")
    return None


# -- status for the admin page ---------------------------------------------------------------

VERIFY_JOB_ID = "audit-verify"
SEAL_RUN = "audit_seal"  # the sweep-run rows the jobs keep (operations page)
VERIFY_RUN = "audit_verify"  # the last verification, which seal_status shows


@dataclass(frozen=True)
class SealStatus:
    last_sealed_at: datetime | None
    last_sealed_id: int | None
    unsealed: int  # events after the last seal
    verified_at: datetime | None  # when the last verification finished
    verification: dict | None  # its summary (VerifyReport.summary())
    verifying: bool  # a verification is queued or running


def seal_status(session: Session) -> SealStatus:
    """The last seal, how many events wait for one, and the last "verify now" result."""
    from workqueue.models import JobRequest, SweepRun
    from workqueue.services.outbox import UNFINISHED

    last = last_seal(session)
    after = last.last_id if last else 0
    unsealed = session.scalar(select(func.count()).select_from(_TABLE)
                              .where(_TABLE.c.id > after)) or 0
    run = session.get(SweepRun, VERIFY_RUN)
    request = session.scalar(select(JobRequest.status)
                             .where(JobRequest.job_id == VERIFY_JOB_ID))
    return SealStatus(last.sealed_at if last else None, after or None, unsealed,
                      run.last_finished_at if run else None, run.last_result if run else None,
                      request in UNFINISHED)


def request_verification(session: Session, actor, now: datetime) -> None:
    """Queue a verification of the whole chain (one at a time) and audit who asked for it."""
    from workqueue.jobs import defer
    from workqueue.jobs.audit_seals import verify_audit_chain
    from workqueue.services import audit

    defer(session, verify_audit_chain)
    audit.record(session, actor, "verify", "audit_log", None, now=now)
