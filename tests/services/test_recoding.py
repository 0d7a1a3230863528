"""Re-coding open visits after a drug-catalog edit: the edit queues a job for the visits of the
edited code, the re-code flips exactly their stored coding flags (and so what the "coding errors
only" worklist shows), leaves other drugs' and closed visits alone, and a second run changes
nothing."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import (
    NOW,
    make_claim,
    make_infusion_visit,
    make_user,
    make_work_item,
)
from workqueue.domain.errors import NotFound, ValidationFailed
from workqueue.models import (
    AuditEvent,
    ClaimStatus,
    DrugCatalogEntry,
    InfusionVisit,
    JobRequest,
    SweepRun,
    VisitStatus,
)
from workqueue.queries import WorklistFilter, worklist
from workqueue.services.audit import Actor
from workqueue.services.catalog import DrugEntryData, save_drug_entry, seed_drug_catalog
from workqueue.services.coding import code_stored_visit
from workqueue.services.recoding import (
    mark_recode_failed,
    recode_open_visits,
    require_known_code,
)


@dataclass
class Scene:
    admin_actor: Actor
    infliximab: InfusionVisit  # J1745 415 mg: 42 units at 10 mg, exactly what the auth has left
    item_id: int  # an open work item about that visit
    other_drug: InfusionVisit  # J9312 with no stop time, stored flag deliberately stale (False)
    cancelled: InfusionVisit  # J1745 but cancelled: not open
    billed: InfusionVisit  # J1745, completed, claim sent, no open item: not open


@pytest.fixture
def scene(session) -> Scene:
    seed_drug_catalog(session)
    admin = make_user(session, "admin")
    infliximab = make_infusion_visit(session, "J1745", "415", authorized_units=42)
    code_stored_visit(session, infliximab)
    assert infliximab.has_coding_errors is False
    item = make_work_item(session, "prior_auth", title="Infliximab auth", visit_id=infliximab.id,
                          patient_id=infliximab.patient_id, now=NOW)
    other = make_infusion_visit(session, "J9312", "700", authorized_units=500, stop=False)
    cancelled = make_infusion_visit(session, "J1745", "415", authorized_units=42,
                                    status=VisitStatus.CANCELLED)
    billed = make_infusion_visit(session, "J1745", "415", authorized_units=42,
                                 status=VisitStatus.COMPLETED)
    make_claim(session, visit_id=billed.id, status=ClaimStatus.PAID)
    for visit in (other, cancelled, billed):
        visit.has_coding_errors = False
    session.flush()
    return Scene(Actor.for_user(admin), infliximab, item.id, other, cancelled, billed)


def _entry(session, hcpcs: str) -> DrugCatalogEntry:
    return session.scalar(select(DrugCatalogEntry).where(DrugCatalogEntry.hcpcs == hcpcs))


def _edit(session, actor: Actor, code: str = "J1745", **changes) -> DrugCatalogEntry:
    entry = _entry(session, code)
    data = DrugEntryData(hcpcs=entry.hcpcs, description=entry.description,
                         unit_size=entry.unit_size, unit=entry.unit, family=str(entry.family),
                         is_single_dose=entry.is_single_dose, is_hormonal=entry.is_hormonal,
                         is_active=entry.is_active)
    return save_drug_entry(session, entry.id, DrugEntryData(**(vars(data) | changes)), actor,
                           NOW)


def _recode_requests(session) -> list[JobRequest]:
    return list(session.scalars(select(JobRequest).where(
        JobRequest.function == "workqueue.jobs.recoding.recode_visits").order_by(JobRequest.id)))


def _flagged_titles(session) -> list[str]:
    page = worklist(session, WorklistFilter(has_coding_errors=True), NOW.date())
    return [item.title for item in page.items]


def _visit_updates(session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "update", AuditEvent.object_type == "infusion_visit"))


def test_unit_size_edit_queues_a_recode_of_the_open_visits_of_that_code(session, scene) -> None:
    _edit(session, scene.admin_actor, unit_size=Decimal("5"))
    change = session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == "drug_catalog_entry", AuditEvent.action == "update"))
    [request] = _recode_requests(session)
    assert request.args == ["J1745", change.id]
    assert request.job_id == f"recode-J1745-{change.id}"
    progress = session.get(SweepRun, "recode-visits-J1745").last_result
    assert (progress["state"], progress["visits"], progress["recoded"]) == ("queued", 1, 0)
    # Nothing is re-coded before the job runs: the stored flag is still the old answer.
    assert scene.infliximab.has_coding_errors is False


def test_a_description_only_edit_queues_nothing(session, scene) -> None:
    _edit(session, scene.admin_actor, description="infliximab (renamed label only)")
    assert _recode_requests(session) == []


def test_a_package_edit_queues_a_recode_but_price_and_source_do_not(session, scene) -> None:
    _edit(session, scene.admin_actor, price=Decimal("12.50"), unit_source="checked twice",
          is_unit_verified=True)
    assert _recode_requests(session) == []
    _edit(session, scene.admin_actor, ndc="0002-7597-01", package_amount=Decimal(100),
          package_quantity=Decimal(1), package_unit="UN")
    [request] = _recode_requests(session)
    assert request.args[0] == "J1745"


def test_recode_flips_the_flag_and_the_coding_errors_filter_follows(session, scene) -> None:
    assert _flagged_titles(session) == []
    _edit(session, scene.admin_actor, unit_size=Decimal("5"))  # 415 mg -> 83 units > 42 left
    result = recode_open_visits(session, "J1745", scene.admin_actor, NOW)
    assert (result.recoded, result.flags_set, result.flags_cleared) == (1, 1, 0)
    assert scene.infliximab.has_coding_errors is True
    assert _flagged_titles(session) == ["Infliximab auth"]
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "infusion_visit"))
    assert (event.action, event.object_id, event.patient_id, event.user_id) == (
        "update", str(scene.infliximab.id), scene.infliximab.patient_id,
        scene.admin_actor.user_id)

    _edit(session, scene.admin_actor, unit_size=Decimal("10"))
    result = recode_open_visits(session, "J1745", scene.admin_actor, NOW)
    assert (result.flags_set, result.flags_cleared) == (0, 1)
    assert scene.infliximab.has_coding_errors is False
    assert _flagged_titles(session) == []


def test_other_drugs_and_closed_visits_are_untouched(session, scene) -> None:
    _edit(session, scene.admin_actor, unit_size=Decimal("5"))
    recode_open_visits(session, "J1745", scene.admin_actor, NOW)
    # Each of these would code with errors now; their stored flags show they were not re-coded.
    for visit in (scene.other_drug, scene.cancelled, scene.billed):
        session.refresh(visit)
        assert visit.has_coding_errors is False
    assert _visit_updates(session) == 1


def test_running_the_recode_twice_changes_nothing(session, scene) -> None:
    _edit(session, scene.admin_actor, unit_size=Decimal("5"))
    recode_open_visits(session, "J1745", scene.admin_actor, NOW)
    flags = {v.id: v.has_coding_errors for v in session.scalars(select(InfusionVisit))}
    updates = _visit_updates(session)
    again = recode_open_visits(session, "J1745", scene.admin_actor, NOW + timedelta(minutes=5))
    assert (again.recoded, again.flags_changed) == (1, 0)
    assert {v.id: v.has_coding_errors for v in session.scalars(select(InfusionVisit))} == flags
    assert _visit_updates(session) == updates
    done = session.get(SweepRun, "recode-visits-J1745")
    assert done.last_result["state"] == "done" and done.runs == 2


def test_batches_cover_every_visit_and_checkpoint_after_each(session, scene) -> None:
    second = make_infusion_visit(session, "J1745", "415", authorized_units=42)
    code_stored_visit(session, second)
    _edit(session, scene.admin_actor, unit_size=Decimal("5"))
    checkpoints = []
    result = recode_open_visits(session, "J1745", scene.admin_actor, NOW, batch_size=1,
                                checkpoint=lambda: checkpoints.append(1))
    assert (result.visits, result.recoded, result.flags_set) == (2, 2, 2)
    assert len(checkpoints) == 3  # the start, then one per batch
    assert second.has_coding_errors is True


def test_renaming_a_code_recodes_the_old_and_the_new_code(session, scene) -> None:
    _edit(session, scene.admin_actor, hcpcs="J1746")
    assert [r.args[0] for r in _recode_requests(session)] == ["J1745", "J1746"]
    recode_open_visits(session, "J1745", scene.admin_actor, NOW)
    assert scene.infliximab.has_coding_errors is True  # J1745 is no longer in the catalog


def test_first_entry_of_an_empty_catalog_recodes_every_open_visit(session) -> None:
    admin = make_user(session, "admin")
    save_drug_entry(session, None, DrugEntryData(
        hcpcs="J9998", description="synthetic biologic", unit_size=Decimal("5"), unit="mg",
        family="therapeutic", is_single_dose=True), Actor.for_user(admin), NOW)
    assert [r.args[0] for r in _recode_requests(session)] == ["all"]


def test_only_known_codes_can_be_recoded(session, scene) -> None:
    assert require_known_code(session, " j1745 ") == "J1745"
    with pytest.raises(NotFound, match="J0001 is not in the drug catalog"):
        require_known_code(session, "J0001")
    with pytest.raises(ValidationFailed):
        require_known_code(session, "96413")


def test_a_recode_whose_retries_failed_shows_on_the_catalog_page(session, client, auth,
                                                                 scene) -> None:
    _edit(session, scene.admin_actor, unit_size=Decimal("5"))
    page = client.get("/visits/catalog")  # not signed in yet: just to be sure it is protected
    assert page.status_code in (302, 401, 403)
    auth.login(make_user(session, "supervisor").username)
    assert "Re-coding 1 open visits that use J1745: waiting for a worker" in client.get(
        "/visits/catalog").get_data(as_text=True)
    mark_recode_failed(session, "J1745", "OperationalError", NOW)
    html = client.get("/visits/catalog/recodes").get_data(as_text=True)
    assert "failed (OperationalError)" in html and "recode-visits --code J1745" in html
    assert "hx-get" not in html  # nothing left to poll for
