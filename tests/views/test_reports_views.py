"""Dashboards: who may see them, numbers that match the data, charts beside tables, CSV export."""

import csv
import io
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.factories import (
    NOW,
    make_claim,
    make_denial,
    make_payer,
    make_user,
    make_work_item,
)
from workqueue.models import AuditEvent
from workqueue.services.audit import Actor
from workqueue.services.work_items import CallLog, log_call, transition_work_item

REPORTS = ["overview", "queues", "aging", "sla", "denials", "productivity"]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr("workqueue.views.reports.utcnow", lambda: NOW)


@pytest.fixture
def boss(session, auth):
    user = make_user(session, "supervisor", username="boss", display_name="Boss")
    auth.login("boss")
    return user


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _chart(html: str, key: str) -> dict:
    block = re.search(rf'<script type="application/json" id="{key}-chart-data">(.*?)</script>',
                      html, re.S)
    return json.loads(block.group(1))


@pytest.mark.parametrize("name", REPORTS)
def test_coordinator_gets_403_on_every_report(session, client, auth, name):
    make_user(session, "coordinator", username="cora")
    auth.login("cora")
    assert client.get(f"/reports/{name}").status_code == 403


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_renders_empty_and_with_data(session, client, boss, name):
    assert client.get(f"/reports/{name}").status_code == 200
    payer = make_payer(session)
    claim = make_claim(session, payer=payer)
    make_denial(session, claim)
    make_work_item(session, payer_id=payer.id, due_on=NOW.date() - timedelta(days=1))
    html = client.get(f"/reports/{name}").get_data(as_text=True)
    assert "<table" in html and "Download CSV" in html
    assert "<script>" not in html and ' style="' not in html  # CSP: no inline script or style


def test_unknown_report_is_404(client, boss):
    assert client.get("/reports/payroll").status_code == 404
    assert client.get("/reports/aging/nope.csv").status_code == 404


def test_queue_depth_numbers_match_the_data(session, client, boss):
    ann = make_user(session, "ar_specialist")
    make_work_item(session, "denial", amount=Decimal("100"))
    make_work_item(session, "denial", amount=Decimal("250.50"), assignee_id=ann.id,
                   due_on=NOW.date() - timedelta(days=3))
    make_work_item(session, "prior_auth", amount=Decimal("5"))
    html = client.get("/reports/queues").get_data(as_text=True)
    row = re.search(r'<th scope="row">denial</th>(.*?)</tr>', html, re.S).group(1)
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == ["2", "1", "1", "0", "$350.50"]
    chart = _chart(html, "depth-by-kind")
    assert chart["labels"][2] == "denial" and chart["series"][0]["data"][2] == 2


def test_aging_csv_matches_and_export_is_audited(session, client, boss):
    payer = make_payer(session, name="Aging Health")
    make_claim(session, payer=payer, billed_amount="1000.00", service_from=date(2026, 11, 20))
    make_claim(session, payer=payer, billed_amount="250.00", service_from=date(2026, 9, 15))
    make_claim(session, payer=payer, billed_amount="99.00", service_from=date(2026, 5, 1),
               status="paid")
    response = client.get("/reports/aging/aging-dollars.csv")
    assert response.mimetype == "text/csv"
    assert 'filename="aging-aging-dollars.csv"' in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Payer", "0-30 days", "31-60 days", "61-90 days", "91-120 days",
                       "121+ days", "Total"]
    assert ["Aging Health", "1000.00", "0.00", "250.00", "0.00", "0.00", "1250.00"] in rows
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert (event.user_id, event.object_type, event.object_id) == (boss.id, "report",
                                                                   "aging-aging-dollars")


def test_sla_breaches_list_only_past_due_active_items(session, client, boss):
    late = make_work_item(session, "eligibility", due_on=NOW.date() - timedelta(days=4))
    make_work_item(session, "eligibility", due_on=NOW.date() + timedelta(days=1))
    rows = _csv(client.get("/reports/sla/breaches.csv"))
    assert len(rows) == 2 and rows[1][0] == str(late.id) and rows[1][6] == "4"
    kinds = dict(r for r in _csv(client.get("/reports/sla/breaches-by-kind.csv"))[1:])
    assert kinds["eligibility"] == "1" and kinds["Total"] == "1"


def test_denial_kpis_match_the_data(session, client, boss):
    claim = make_claim(session, submitted_on=date(2026, 10, 1))
    make_claim(session, submitted_on=date(2026, 10, 2))
    make_claim(session, submitted_on=date(2026, 10, 3))
    make_claim(session, submitted_on=date(2026, 10, 4))
    make_denial(session, claim, category="authorization", is_preventable=True,
                outcome="overturned", recovered_amount=Decimal("900"), denied_on=date(2026, 11, 3))
    make_denial(session, claim, category="coding", outcome="upheld",
                denied_on=date(2026, 11, 17))
    html = client.get("/reports/overview").get_data(as_text=True)
    kpis = dict(re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", html, re.S))
    assert kpis["Denial rate (claims)"].strip() == "25.0%"
    assert kpis["Appeal overturn rate"].strip() == "50.0%"
    assert kpis["Recovered on appeal"].strip() == "$900.00"
    assert kpis["Preventable denials"].strip() == "50.0%"
    weekly = _csv(client.get("/reports/denials/denials-weekly.csv"))
    header = weekly[0]
    auth_row = next(r for r in weekly if r[0] == "authorization")
    assert auth_row[header.index("Week of 2026-11-02")] == "1" and auth_row[-1] == "1"


def test_productivity_counts_closed_changes_and_calls(session, client, boss):
    ann = make_user(session, "ar_specialist", display_name="Ann Arlo")
    item = make_work_item(session, assignee_id=ann.id)
    actor = Actor.for_user(ann)
    log_call(session, item, CallLog(party="Payer rep", outcome="Claim in process"), actor, NOW)
    for status in ("in_progress", "resolved_paid", "closed"):
        transition_work_item(session, item, status, actor, NOW)
    rows = _csv(client.get("/reports/productivity/productivity.csv"))
    assert rows[0][:5] == ["Person", "Items closed", "Status changes", "Calls logged", "Notes"]
    assert next(r for r in rows if r[0] == "Ann Arlo")[1:5] == ["1", "3", "1", "0"]
    daily = _csv(client.get("/reports/productivity/productivity-daily.csv"))
    assert daily[-1] == [NOW.date().isoformat(), "1", "3", "1"]
