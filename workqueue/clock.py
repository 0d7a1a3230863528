"""The product's one clock: every "now" and "today" in views, jobs, commands and the demo.

Nothing else in ``workqueue`` reads the wall clock. Services take ``now`` as a parameter; the
edges (a view, the job envelope, a CLI command) read it here once and pass it down, so a test
or a demo can put the whole product at any moment:

- :func:`travel` moves the clock to an instant (ticking on from there, or frozen) for a block;
- ``WORKQUEUE_CLOCK`` in the environment does the same for a whole process (a worker or a CLI
  command started by a test, a demo of another day): an ISO instant such as
  ``2026-11-27T15:00:00+00:00`` (ticking on from there; a trailing ``!`` freezes it), or a
  shift from the wall clock in seconds such as ``-3600.5s`` (what :func:`setting_for_children`
  writes, so that a child process reads the same time as its parent).

Times are timezone-aware UTC. "Today" is the UTC date: every stored date (due dates, deadlines,
service dates) is compared with it.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

Source = Callable[[], datetime]


def _wall() -> datetime:
    return datetime.now(UTC)


_source: Source = _wall


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return _source()


def today() -> date:
    """The current date (UTC), the day every due date and deadline is compared with."""
    return _source().date()


def shifted(by: timedelta) -> Source:
    """A clock ``by`` ahead of (or, negative, behind) the wall clock."""
    return lambda: _wall() + by


def ticking_from(at: datetime) -> Source:
    """A clock that reads ``at`` now and moves on at the wall clock's pace."""
    if at.tzinfo is None:
        raise ValueError("the clock takes timezone-aware instants")
    return shifted(at - _wall())


def frozen_at(at: datetime) -> Source:
    """A clock that always reads ``at``."""
    if at.tzinfo is None:
        raise ValueError("the clock takes timezone-aware instants")
    at = at.astimezone(UTC)
    return lambda: at


def set_source(source: Source | None) -> Source:
    """Make ``source`` the product's clock (None: the wall clock); returns the previous one."""
    global _source
    previous, _source = _source, source or _wall
    return previous


@contextmanager
def travel(at: datetime, *, tick: bool = True) -> Iterator[None]:
    """Within the block the product's clock reads ``at`` (moving on from it unless frozen)."""
    previous = set_source(ticking_from(at) if tick else frozen_at(at))
    try:
        yield
    finally:
        set_source(previous)


def from_setting(value: str) -> Source | None:
    """The clock a ``WORKQUEUE_CLOCK`` value names: ``ISO-INSTANT`` ticks from that instant,
    ``ISO-INSTANT!`` is frozen there, ``SECONDSs`` is shifted from the wall clock, empty is the
    wall clock.

    :raise ValueError: for a value that is none of these (an instant needs its time zone).
    """
    value = value.strip()
    if not value:
        return None
    if value.endswith("s") and value[:1] in "+-":
        return shifted(timedelta(seconds=float(value[:-1])))
    frozen = value.endswith("!")
    at = datetime.fromisoformat(value.rstrip("!"))
    return frozen_at(at) if frozen else ticking_from(at)


def setting_for_children() -> str:
    """The ``WORKQUEUE_CLOCK`` value under which a child process reads this process's time."""
    return f"{(utcnow() - _wall()).total_seconds():+.6f}s"
