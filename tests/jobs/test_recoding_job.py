"""A drug-catalog edit in the admin screen, re-coded by a real RQ worker: the visit now billing
more units than its auth has left is flagged and shows under "coding errors only" in the
worklist, the visit of another drug is untouched, the catalog page shows the finished re-code;
editing back clears it. Plus `workqueue recode-visits` as the installed console script."""

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import AuthActions
from tests.factories import make_infusion_visit, make_queue, make_user, make_work_item
from tests.jobs.conftest import drain, scope
from workqueue.clock import utcnow
from workqueue.models import (
    AuditEvent,
    DrugCatalogEntry,
    InfusionVisit,
    JobRequest,
)
from workqueue.services.catalog import seed_drug_catalog
from workqueue.services.coding import code_stored_visit

SCRIPT = Path(sys.executable).with_name("workqueue")


def _visit(session, drug: str, dose: str, authorized_units: int, *, stop: bool = True) -> int:
    visit = make_infusion_visit(session, drug, dose, authorized_units=authorized_units,
                                stop=stop)
    code_stored_visit(session, visit)
    return visit.id


@pytest.fixture
def scene(jobs_app):
    """An admin, a coordinator's PA queue, a J1745 visit with exactly its 42 units left on the
    auth (clean), an item about it, and a J9312 visit whose stored flag is stale on purpose."""
    with scope(jobs_app) as session:
        seed_drug_catalog(session)
        admin = make_user(session, "admin")
        coordinator = make_user(session, "coordinator")
        make_queue(session, [coordinator], name="Prior auth", slug="pa", kinds=["prior_auth"])
        infliximab = _visit(session, "J1745", "415", 42)
        visit = session.get(InfusionVisit, infliximab)
        make_work_item(session, "prior_auth", title="Infliximab auth", visit_id=infliximab,
                       patient_id=visit.patient_id, now=utcnow())
        other = _visit(session, "J9312", "700", 500, stop=False)
        session.get(InfusionVisit, other).has_coding_errors = False
        entry_id = session.scalar(select(DrugCatalogEntry.id).where(
            DrugCatalogEntry.hcpcs == "J1745"))
        return {"admin": admin.username, "coordinator": coordinator.username,
                "visit": infliximab, "other": other, "entry": entry_id}


def _login(app, username):
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(username).status_code == 302
    return client, auth


def _save_unit_size(app, scene, unit_size: str) -> None:
    client, auth = _login(app, scene["admin"])
    url = f"/visits/catalog/{scene['entry']}/edit"
    response = client.post(url, data={
        "csrf_token": auth.csrf(url), "hcpcs": "J1745", "description": "infliximab",
        "unit_size": unit_size, "unit": "mg", "family": "therapeutic", "is_single_dose": "y",
        "is_active": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def _flags(app, scene) -> tuple[bool, bool]:
    with scope(app) as session:
        return (session.get(InfusionVisit, scene["visit"]).has_coding_errors,
                session.get(InfusionVisit, scene["other"]).has_coding_errors)


def _coding_errors_only(client) -> list[str]:
    html = client.get("/queues/pa?coding=y").get_data(as_text=True)
    return re.findall(r'class="item-title" href="/work-items/\d+">([^<]+)<', html)


def test_catalog_edit_is_recoded_by_a_worker_and_the_filter_follows(jobs_app, scene) -> None:
    coordinator, _auth = _login(jobs_app, scene["coordinator"])
    assert _coding_errors_only(coordinator) == []

    _save_unit_size(jobs_app, scene, "5")  # 415 mg is now 83 units; the auth has 42 left
    admin, _ = _login(jobs_app, scene["admin"])
    assert "waiting for a worker" in admin.get("/visits/catalog/recodes").get_data(as_text=True)
    assert _flags(jobs_app, scene) == (False, False)  # nothing happens before the job runs
    drain(jobs_app, "default")
    assert _flags(jobs_app, scene) == (True, False)
    assert _coding_errors_only(coordinator) == ["Infliximab auth"]
    page = admin.get("/visits/catalog").get_data(as_text=True)
    assert "Re-coded 1 open visits that use J1745" in page and "1 newly flagged" in page

    _save_unit_size(jobs_app, scene, "10")
    drain(jobs_app, "default")
    assert _flags(jobs_app, scene) == (False, False)
    assert _coding_errors_only(coordinator) == []
    with scope(jobs_app) as session:
        requests = session.scalars(select(JobRequest).where(
            JobRequest.function == "workqueue.jobs.recoding.recode_visits")).all()
        assert [r.status.value for r in requests] == ["done", "done"]
        # The job audits as the admin who edited the catalog, through the job channel.
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.object_type == "infusion_visit", AuditEvent.action == "update")).all()
        assert [(e.object_id, e.channel) for e in events] == [(str(scene["visit"]), "job")] * 2
        assert all(e.user_id is not None for e in events)


def _run(app, tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env |= {"DATABASE_URL": app.config["DATABASE_URL"],
            "WORKQUEUE_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run([str(SCRIPT), "recode-visits", *args], capture_output=True,
                          text=True, timeout=120, check=False, env=env)


def test_cli_recodes_a_code_then_changes_nothing_and_rejects_an_unknown_code(
        jobs_app, scene, tmp_path) -> None:
    with scope(jobs_app) as session:  # an edit made behind the admin screen's back
        session.get(DrugCatalogEntry, scene["entry"]).unit_size = Decimal("5")

    first = _run(jobs_app, tmp_path, "--code", "j1745")
    assert first.returncode == 0, first.stderr
    assert "open visits using J1745: 1 re-coded; 1 now flagged" in first.stdout
    assert _flags(jobs_app, scene) == (True, False)
    again = _run(jobs_app, tmp_path, "--code", "J1745")
    assert again.returncode == 0, again.stderr
    assert "0 now flagged with coding errors, 0 cleared, 1 unchanged" in again.stdout

    unknown = _run(jobs_app, tmp_path, "--code", "J0001")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.startswith("recode-visits: J0001 is not in the drug catalog")
    assert "Traceback" not in unknown.stderr
    bad = _run(jobs_app, tmp_path, "--code", "96413")
    assert bad.returncode == 2 and "not a HCPCS Level II code" in bad.stderr

    everything = _run(jobs_app, tmp_path)  # every open visit: the stale J9312 flag is fixed
    assert everything.returncode == 0, everything.stderr
    assert "open visits: 2 re-coded; 1 now flagged" in everything.stdout
    assert _flags(jobs_app, scene) == (True, True)
    with scope(jobs_app) as session:
        summaries = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "recode", AuditEvent.channel == "cli"))
        assert summaries == 3


def test_cli_seed_catalog_adds_the_release_codes_once(jobs_app, tmp_path) -> None:
    with scope(jobs_app) as session:  # an install whose admin entered one code by hand
        session.add(DrugCatalogEntry(hcpcs="J1745", description="infliximab",
                                     unit_size=Decimal(10), unit="mg", family="therapeutic",
                                     is_single_dose=True))
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env |= {"DATABASE_URL": jobs_app.config["DATABASE_URL"],
            "WORKQUEUE_VAR_DIR": str(tmp_path / "var")}
    first = subprocess.run([str(SCRIPT), "seed-catalog"], capture_output=True, text=True,
                           timeout=120, check=False, env=env)
    assert first.returncode == 0, first.stderr
    assert re.match(r"\d+ drug codes added: ", first.stdout) and "J1559" in first.stdout
    again = subprocess.run([str(SCRIPT), "seed-catalog"], capture_output=True, text=True,
                           timeout=120, check=False, env=env)
    assert again.stdout.strip() == "The catalog already has every seed code; nothing was added."
    with scope(jobs_app) as session:
        hizentra = session.scalar(select(DrugCatalogEntry).where(
            DrugCatalogEntry.hcpcs == "J1559"))
        assert (hizentra.unit_size, hizentra.is_unit_verified) == (Decimal(100), True)
        [request] = session.scalars(select(JobRequest).where(
            JobRequest.function == "workqueue.jobs.recoding.recode_visits")).all()
        assert request.args[0] == "all"
