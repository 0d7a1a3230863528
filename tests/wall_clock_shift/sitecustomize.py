"""Moves the wall clock of every Python process of a test run ahead, for the calendar guard.

``.ci/run`` runs the suite a second time with ``PYTHONPATH`` naming this folder and
``WALL_CLOCK_SHIFT_DAYS`` set: Python imports this module at start-up in the test process and
in every worker or command it starts, and time-machine moves ``datetime.now``, ``date.today``
and ``time.time`` that many days ahead (ticking). The product reads only its own clock
(``workqueue/clock.py``), which the suite pins, so every test must still pass; a test or a
line of code that reads the wall clock on its own fails here instead of on some later date.
(Debian's ``faketime`` would do this for any program, but its 0.9.10 hangs threads that wait
with a timeout, which RQ's workers do.)
"""

import os

_DAYS = os.environ.get("WALL_CLOCK_SHIFT_DAYS")
if _DAYS:
    from datetime import UTC, datetime, timedelta

    import time_machine

    _real = datetime.now(UTC)  # wall-clock-ok: the instant the shift is measured from
    time_machine.travel(_real + timedelta(days=int(_DAYS)), tick=True).start()
