"""`workqueue import-271 FILE` and `workqueue import-277 FILE`: apply an X12 271 eligibility
response or 277 claim status response and report, member by member or claim by claim.

Exit status: 0 when the file was read (even if some rows were reported as problems, or all
of it was imported before); 2 when the file could not be read at all, went over the import
limits, is another kind of transaction, the database could not be reached, or anything
unexpected happened — always with a message on stderr, never a traceback, and with nothing
saved. The report holds the first ``IMPORT_REPORT_MAX_ROWS`` rows and problems with totals
of everything; every row and problem is on the run (its page and CSV downloads).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from workqueue.domain.import_limits import ImportLimits
from workqueue.x12.reader import X12Error

UNREADABLE = 2
log = logging.getLogger(__name__)
_NOUNS = {"271": "member", "277": "claim"}


def import_limits(app=None) -> ImportLimits:
    """The import limits of ``app``'s settings, or of the environment's without an app (a dry
    run builds none)."""
    if app is not None:
        return ImportLimits.from_config(app.config)
    from workqueue.config import Config

    return ImportLimits.from_config({key: getattr(Config, key) for key in dir(Config)
                                     if key.isupper()})


def run_downloads(run_id: int | None, rows: str = "rows") -> dict[str, str]:
    """Where the full lists of an import are: its page, and its ``rows`` (or ``claims``) and
    problems as CSV (paths under the web app)."""
    return {"page": f"/imports/{run_id}", rows: f"/imports/{run_id}/{rows}.csv",
            "problems": f"/imports/{run_id}/problems.csv"}


def _fail(command: str, message: str) -> NoReturn:
    click.echo(f"{command}: {message}", err=True)
    raise click.exceptions.Exit(UNREADABLE)


@contextmanager
def reported_errors(command: str, file: Path, kind: str) -> Iterator[None]:
    """What every ``import-<kind>`` command does when an import cannot go on: one line on
    stderr naming the file and the reason, exit status 2, never a traceback."""
    from sqlalchemy.exc import OperationalError

    from workqueue.services.imports import UnsupportedFile

    try:
        yield
    except click.exceptions.Exit:
        raise
    except X12Error as error:
        _fail(command, f"{file}: not a readable {kind} file: {error}; nothing was imported")
    except UnsupportedFile as error:
        _fail(command, f"{file}: {error.message}; nothing was imported")
    except OSError as error:
        _fail(command, f"{file}: cannot open: {error.strerror or error}")
    except OperationalError as error:
        _fail(command, "the database could not be reached or refused the import "
              f"({error.__class__.__name__}); nothing was imported")
    except Exception as error:  # last resort: a message, never a traceback
        log.debug("%s failed", command, exc_info=True)
        _fail(command, f"the import stopped on an unexpected error "
              f"({error.__class__.__name__}); nothing was imported")


def _import_file(file: Path, kind: str):
    """Apply the file in one CLI transaction (each row in its own savepoint)."""
    from workqueue import create_app
    from workqueue.clock import utcnow
    from workqueue.db import session_scope
    from workqueue.services.audit import Actor
    from workqueue.services.imports import UnsupportedFile, detect_kind, import_now

    app = create_app()
    now = utcnow()
    actor = Actor.system("cli")
    with file.open("rb") as stream:
        found = detect_kind(stream)
        if found != kind:
            raise UnsupportedFile(f"this is a {found} file, not a {kind}; use "
                                  f"`workqueue import-{found}`")
        with app.app_context(), session_scope(app) as session:
            return import_now(session, stream, kind, file.name, actor, now, import_limits(app))


def _summary(result) -> str:
    c, noun = result.counts, _NOUNS[result.kind]
    rows = [f"import #{result.run_id} ({result.kind}): {c['applied']} of {c['rows']} "
            f"{noun}(s) applied, {c['already']} already imported, {c['stale']} older than "
            f"what is on file, {c.get('unmatched', 0)} unmatched, {c['problems']} problem(s)"]
    if result.kind == "271":
        rows.append(f"  active {c.get('active', 0)}, inactive {c.get('inactive', 0)}, "
                    f"rejected {c.get('rejected', 0)}; eligibility items moved: "
                    f"{c['items_moved']}; needing a person: {c['needs_action']}")
    else:
        rows.append(f"  AR follow-ups noted: {c['items_noted']}; needing a person: "
                    f"{c['needs_action']}")
    rows += [f"  segment {row.segment}  {row.key or '-'}  {row.result}: {row.message}"
             for row in result.rows if row.result != "error"]
    left_out = _left_out(result)
    if left_out["rows"]:
        rows.append(f"  … and {left_out['rows']:,} more {noun}(s)")
    rows += [f"  problem at segment {e['segment']}: {e['message']}" for e in result.errors]
    if left_out["errors"]:
        rows.append(f"  … and {left_out['errors']:,} more problem(s)")
    if left_out["rows"] or left_out["errors"]:
        rows.append(f"  every {noun} and problem is on the import's page "
                    f"({run_downloads(result.run_id)['page']})")
    if result.already_imported:
        rows.append("Nothing changed: this file was imported before.")
    return "\n".join(rows)


def _left_out(result) -> dict[str, Any]:
    return {"rows": result.counts["rows"] - len(result.rows),
            "errors": result.counts["problems"] - len(result.errors)}


def _run(kind: str, file: Path, as_json: bool) -> None:
    with reported_errors(f"import-{kind}", file, kind):
        result = _import_file(file, kind)
    if as_json:
        click.echo(json.dumps({"run": result.run_id, "kind": kind, "counts": result.counts,
                               "already_imported": result.already_imported,
                               "rows": [row.as_dict() for row in result.rows],
                               "errors": result.errors, "truncated": _left_out(result),
                               "downloads": run_downloads(result.run_id)}, indent=2))
    else:
        click.echo(_summary(result))


@click.command("import-271")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
def import_271(file: Path, as_json: bool) -> None:
    """Apply an X12 271 eligibility response FILE to coverages and eligibility items."""
    _run("271", file, as_json)


@click.command("import-277")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report on stdout.")
def import_277(file: Path, as_json: bool) -> None:
    """Apply an X12 277 claim status response FILE to claims and their AR follow-ups."""
    _run("277", file, as_json)


commands = [import_271, import_277]
