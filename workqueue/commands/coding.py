"""`workqueue code-visit`: run the infusion coding check on one visit from a JSON file or stdin.

Works without a database: the drug catalog and rules come from the seed files in
``workqueue/data``. Exit status 0 means the input was valid (findings or not); 2 means it was
not, with the reasons on stderr.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn, TextIO

import click

from workqueue.domain.coding import (
    CodingResult,
    InvalidVisit,
    Line,
    load_default_tables,
    parse_visit,
    result_to_dict,
)
from workqueue.domain.coding import (
    code_visit as code_one_visit,
)

INVALID_INPUT = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"code-visit: {message}", err=True)
    raise click.exceptions.Exit(INVALID_INPUT)


def _read_json(file: TextIO) -> Any:
    try:
        return json.load(file)
    except json.JSONDecodeError as error:
        _fail(f"{file.name}: not valid JSON: {error.msg} (line {error.lineno}, "
              f"column {error.colno})")
    except UnicodeDecodeError:
        _fail(f"{file.name}: not valid JSON: the file is not UTF-8 text")


def _ndc_text(line: Line) -> str:
    if line.ndc is None:
        return ""
    quantity = (f" {line.ndc_unit}{line.ndc_quantity.normalize():f}"
                if line.ndc_unit and line.ndc_quantity is not None else "")
    return f"N4{line.ndc}{quantity}"


def _format_table(result: CodingResult) -> str:
    rows = ["Lines", f"  {'code':<8} {'units':>5}  {'modifiers':<9}  NDC"]
    rows += [
        f"  {line.code:<8} {line.units:>5}  {' '.join(line.modifiers) or '-':<9}  "
        f"{_ndc_text(line)}".rstrip()
        + (f"\n  {'':<8} {'':>5}  narrative: {line.narrative}" if line.narrative else "")
        for line in result.lines
    ] or ["  (none)"]
    rows += ["", "Findings"]
    rows += [
        f"  {finding.severity.upper():<7} {finding.code:<38} "
        f"{finding.administration or '(visit)':<8} {finding.message}"
        for finding in result.findings
    ] or ["  (none)"]
    return "\n".join(rows)


@click.command("code-visit")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def code_visit(file: TextIO, as_json: bool) -> None:
    """Compute admin CPT codes, drug lines and findings for the visit in FILE ('-' = stdin)."""
    raw = _read_json(file)
    try:
        visit = parse_visit(raw)
    except InvalidVisit as error:
        _fail("invalid visit:\n  " + "\n  ".join(error.errors))
    catalog, rules = load_default_tables()
    result = code_one_visit(visit, catalog, rules)
    if as_json:
        click.echo(json.dumps(result_to_dict(result), indent=2))
    else:
        click.echo(_format_table(result))


commands = [code_visit]
