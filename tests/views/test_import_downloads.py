"""A run's page shows the first IMPORT_REPORT_MAX_ROWS problems and rows, and its downloads
stream every one (problems of any kind, claims of an 835, members or claims of a 271/277),
audited as exports; a crafted file of made-up reason codes cannot grow the catalog without
end."""

import csv
import io

from sqlalchemy import func, select

from tests.factories import NOW, make_user
from tests.x12.edi_samples import envelope, payment
from tests.x12.edi_samples_27x import file_271, member_271
from workqueue.domain.import_limits import ImportLimits
from workqueue.models import AuditEvent, ImportLine, ImportRun, ReasonCode
from workqueue.services.audit import Actor
from workqueue.services.imports import ReportLines, import_now
from workqueue.services.reason_codes import seed_reason_codes

ACTOR = Actor.system("cli")
SMALL = ImportLimits(report_rows=3)
BROKEN = [f"CLP*BAD-{n}*1*1X*0" for n in range(5)]
UNMATCHED = ["CLP*NOWHERE-1*1*100*80**12*ICN", "CAS*CO*45*20",
             "CLP*NOWHERE-2*1*100*80**12*ICN", "CAS*CO*45*20"]


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _signed_in(session, auth):
    auth.login(make_user(session, "ar_specialist").username)


def test_the_835_page_lists_the_first_problems_and_the_downloads_have_them_all(
        session, client, auth):
    seed_reason_codes(session)
    text = envelope([payment(BROKEN + UNMATCHED, amount="160")])
    result = import_now(session, io.BytesIO(text.encode()), "835", "remit.835", ACTOR, NOW,
                        SMALL)
    session.flush()
    assert result.counts["problems"] == 5 and len(result.errors) == 3
    _signed_in(session, auth)
    page = client.get(f"/imports/{result.run_id}").get_data(as_text=True)
    assert "Only the first 3 are listed" in page and "download all 5 (CSV)" in page
    problems = _csv(client.get(f"/imports/{result.run_id}/problems.csv"))
    assert problems[0] == ["Segment", "Problem"]
    assert [row[1] for row in problems[1:]] == [
        f"claim BAD-{n}: CLP03 '1X' is not an amount; claim not posted" for n in range(5)]
    claims = _csv(client.get(f"/imports/{result.run_id}/claims.csv"))
    assert [row[2] for row in claims[1:]] == ["NOWHERE-1", "NOWHERE-2"]
    assert {row[8] for row in claims[1:]} == {"unmatched"}
    assert client.get(f"/imports/{result.run_id}/rows.csv").status_code == 404
    exports = session.scalars(select(AuditEvent.context).where(
        AuditEvent.action == "export", AuditEvent.object_type == "import_run")).all()
    assert sorted(exports) == ["claims csv", "problems csv"]


def test_a_271_page_shows_the_first_members_and_the_download_has_them_all(session, client,
                                                                          auth):
    members = [member_271(3 + n, f"NOBODY{n}", ["EB*1**30"]) for n in range(5)]
    result = import_now(session, io.BytesIO(file_271(*members).encode()), "271", "elig.271",
                        ACTOR, NOW, SMALL)
    session.flush()
    assert result.counts["rows"] == 5 and len(result.rows) == 3
    _signed_in(session, auth)
    page = client.get(f"/imports/{result.run_id}").get_data(as_text=True)
    assert "Members (5, first 3 shown)" in page
    rows = _csv(client.get(f"/imports/{result.run_id}/rows.csv"))
    assert [row[1] for row in rows[1:]] == [f"NOBODY{n}" for n in range(5)]
    assert {row[2] for row in rows[1:]} == {"error"}
    assert client.get(f"/imports/{result.run_id}/claims.csv").status_code == 404


def test_an_import_run_again_writes_its_report_lines_once(session):
    text = envelope([payment(BROKEN, amount="0")])
    result = import_now(session, io.BytesIO(text.encode()), "835", "remit.835", ACTOR, NOW)
    run = session.get(ImportRun, result.run_id)
    lines = ReportLines(session, run, 10)  # a restarted job starts its report again
    lines.problem(1, "again")
    lines.write()
    assert session.scalar(select(func.count()).select_from(ImportLine)
                          .where(ImportLine.import_run_id == run.id)) == 1


def test_made_up_reason_codes_stop_growing_the_catalog_at_the_report_limit(session):
    seed_reason_codes(session)
    before = session.scalar(select(func.count()).select_from(ReasonCode))
    claims = [s for n in range(6) for s in (f"CLP*NOWHERE-{n}*1*100*80**12*ICN",
                                            f"CAS*CO*Z{n:02d}*20")]
    result = import_now(session, io.BytesIO(envelope([payment(claims, amount="480")])
                                            .encode()), "835", "remit.835", ACTOR, NOW, SMALL)
    assert session.scalar(select(func.count()).select_from(ReasonCode)) == before + 3
    assert result.counts["unknown_codes"] == 6  # each claim still lists its own code
    assert any("more than 3 different unknown reason codes" in e["message"]
               for e in result.errors)
