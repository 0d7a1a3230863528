"""The infusion visit pages: coding lines and findings, auth warnings, the visit list flag,
completing a visit, the drug catalog admin, and the coding partials for work items."""

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import render_template
from sqlalchemy import select

from tests.factories import (
    NOW,
    make_authorization,
    make_claim,
    make_coverage,
    make_denial,
    make_user,
    make_work_item,
)
from workqueue.models import (
    Administration,
    AuditEvent,
    CareSetting,
    ClaimLine,
    DrugCatalogEntry,
    InfusionVisit,
    WorkItem,
)
from workqueue.services.catalog import seed_drug_catalog
from workqueue.services.coding import coding_view_for_item

TODAY = NOW.date()  # the product clock is pinned at NOW (tests/conftest.py)


def _visit(session, *, stop=True, day=None, **auth_overrides) -> InfusionVisit:
    day = day or TODAY
    auth = make_authorization(session, make_coverage(session), **auth_overrides)
    visit = InfusionVisit(patient_id=auth.patient_id, authorization_id=auth.id,
                          scheduled_date=day, setting=CareSetting.OFFICE)
    visit.administrations.append(Administration(
        label="a1", kind="therapeutic", route="iv_infusion", drug_code="J1745",
        dose=Decimal("415"), dose_unit="mg", discarded=Decimal("85"),
        start_at=datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC),
        stop_at=datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC) if stop else None))
    session.add(visit)
    session.flush()
    return visit


def _login(session, auth, role="coordinator"):
    user = make_user(session, role)
    auth.login(user.username)
    return user


def test_visit_page_shows_administrations_lines_and_findings(session, client, auth) -> None:
    user = _login(session, auth)
    visit = _visit(session, stop=False)
    page = client.get(f"/visits/{visit.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "415 mg" in html and "85 mg" in html and "<td>J1745</td><td>42</td>" in html
    assert "missing_stop_time" in html and "Needs fixing before billing" in html
    event = session.scalar(select(AuditEvent).where(AuditEvent.object_type == "infusion_visit"))
    assert (event.action, event.user_id, event.patient_id) == ("view", user.id, visit.patient_id)


def test_clean_visit_is_ready_and_lists_its_lines(session, client, auth) -> None:
    _login(session, auth)
    visit = _visit(session, authorized_units=500)
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Ready to bill" in html and "No findings." in html
    assert "<td>J1745</td><td>8</td><td>JW</td>" in html


def test_visit_page_shows_auth_warnings(session, client, auth) -> None:
    _login(session, auth)
    visit = _visit(session, start_date=date(2020, 1, 1), end_date=date(2020, 6, 30))
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "outside_auth_span" in html and "outside the authorization" in html


def test_visit_list_flags_visits_with_coding_errors(session, client, auth) -> None:
    _login(session, auth)
    bad = _visit(session, stop=False)
    good = _visit(session, authorized_units=500)
    client.get(f"/visits/{bad.id}")
    client.get(f"/visits/{good.id}")
    html = client.get("/visits/").get_data(as_text=True)
    assert html.count("Needs fixing before billing") == 1
    row = html.split(f'/visits/{bad.id}"')[1].split("</tr>")[0]
    assert "Needs fixing before billing" in row


def test_unknown_visit_is_404(session, client, auth) -> None:
    _login(session, auth)
    assert client.get("/visits/999999").status_code == 404


def test_completing_posts_units_to_the_authorization(session, client, auth) -> None:
    _login(session, auth)
    visit = _visit(session, authorized_units=500)
    token = auth.csrf(f"/visits/{visit.id}")
    response = client.post(f"/visits/{visit.id}/complete", data={"csrf_token": token})
    assert response.status_code == 303
    session.expire_all()
    assert visit.authorization.units_used == 50
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Posted to the authorization" in html and "J1745: 50 units" in html


# --- drug catalog admin ----------------------------------------------------------------------


def _form(**overrides) -> dict:
    return {"hcpcs": "J9998", "description": "synthetic test biologic", "unit_size": "5",
            "unit": "mg", "family": "therapeutic", "is_single_dose": "y", "is_active": "y"
            } | overrides


def test_catalog_edits_need_the_admin_role(session, client, auth) -> None:
    _login(session, auth, "supervisor")
    assert client.get("/visits/catalog").status_code == 200
    assert client.get("/visits/catalog/new").status_code == 403
    token = auth.csrf("/visits/catalog")
    response = client.post("/visits/catalog/new", data=_form(csrf_token=token))
    assert response.status_code == 403
    assert session.scalar(select(DrugCatalogEntry).where(DrugCatalogEntry.hcpcs == "J9998")) is None


def test_admin_adds_a_code(session, client, auth) -> None:
    _login(session, auth, "admin")
    token = auth.csrf("/visits/catalog/new")
    response = client.post("/visits/catalog/new", data=_form(csrf_token=token))
    assert response.status_code == 303
    entry = session.scalar(select(DrugCatalogEntry).where(DrugCatalogEntry.hcpcs == "J9998"))
    assert entry.unit_size == Decimal("5") and entry.is_single_dose
    assert "J9998" in client.get("/visits/catalog").get_data(as_text=True)


def test_invalid_entry_shows_errors_next_to_fields_and_saves_nothing(session, client,
                                                                     auth) -> None:
    _login(session, auth, "admin")
    token = auth.csrf("/visits/catalog/new")
    response = client.post("/visits/catalog/new",
                           data=_form(csrf_token=token, hcpcs="96413", unit_size="0"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="hcpcs-error"' in html and "A letter A-V then four digits" in html
    assert 'id="unit_size-error"' in html and "more than zero" in html
    assert session.scalar(select(DrugCatalogEntry)) is None


def test_duplicate_code_error_is_shown_on_the_code_field(session, client, auth) -> None:
    seed_drug_catalog(session)
    _login(session, auth, "admin")
    token = auth.csrf("/visits/catalog/new")
    response = client.post("/visits/catalog/new", data=_form(csrf_token=token, hcpcs="J1745"))
    assert response.status_code == 422
    assert "already in the catalog" in response.get_data(as_text=True).split('id="hcpcs-error"')[1]


def test_admin_edit_changes_the_units_on_the_visit_page(session, client, auth) -> None:
    seed_drug_catalog(session)
    _login(session, auth, "admin")
    visit = _visit(session, authorized_units=500)
    entry = session.scalar(select(DrugCatalogEntry).where(DrugCatalogEntry.hcpcs == "J1745"))
    url = f"/visits/catalog/{entry.id}/edit"
    token = auth.csrf(url)
    response = client.post(url, data=_form(csrf_token=token, hcpcs="J1745", unit_size="100"))
    assert response.status_code == 303
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "<td>J1745</td><td>5</td><td></td>" in html or "<td>J1745</td><td>5</td>" in html
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "update",
                                                    AuditEvent.object_type == "drug_catalog_entry"))
    assert event.object_id == str(entry.id)


def _catalog_row(html: str, hcpcs: str) -> str:
    return html.split(f"<td>{hcpcs}</td>", 1)[1].split("</tr>", 1)[0]


def test_catalog_page_flags_unit_sizes_nobody_checked(session, client, auth) -> None:
    seed_drug_catalog(session)
    _login(session, auth)
    html = client.get("/visits/catalog").get_data(as_text=True)
    assert "Unverified" not in _catalog_row(html, "J1559")  # checked against the descriptor
    xembify = _catalog_row(html, "J1558")
    assert "Unverified" in xembify and "not checked" in xembify
    ocrevus = _catalog_row(html, "J2350")
    assert "50242-0150-01" in ocrevus and "300 mg = 10 ML" in ocrevus
    assert "one per line, with a narrative" in _catalog_row(html, "J3490")


def test_ambiguous_ndc_is_refused_next_to_its_field(session, client, auth) -> None:
    _login(session, auth, "admin")
    token = auth.csrf("/visits/catalog/new")
    response = client.post("/visits/catalog/new", data=_form(
        csrf_token=token, ndc="0002759701", package_amount="100", package_quantity="5",
        package_unit="ML"))
    assert response.status_code == 422
    assert "ambiguous" in response.get_data(as_text=True).split('id="ndc-error"')[1]
    assert session.scalar(select(DrugCatalogEntry)) is None


def test_admin_sets_the_package_and_the_visit_page_shows_the_ndc(session, client, auth) -> None:
    seed_drug_catalog(session)
    _login(session, auth, "admin")
    visit = _visit(session, authorized_units=500)
    entry = session.scalar(select(DrugCatalogEntry).where(DrugCatalogEntry.hcpcs == "J1745"))
    url = f"/visits/catalog/{entry.id}/edit"
    response = client.post(url, data=_form(
        csrf_token=auth.csrf(url), hcpcs="J1745", unit_size="10", ndc="0002-7597-01",
        package_amount="100", package_quantity="1", package_unit="UN", price="118.00",
        unit_source="checked against the descriptor", is_unit_verified="y"))
    assert response.status_code == 303
    session.refresh(entry)
    assert (entry.ndc, entry.package_unit, entry.price) == ("00002759701", "UN", Decimal("118"))
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    # 415 mg given and 85 mg discarded from 100 mg vials billed each
    assert "00002-7597-01 · 4.15 UN" in html and "00002-7597-01 · 0.85 UN" in html


# --- partials for the work-item page ----------------------------------------------------------


def test_prior_auth_item_gets_the_visit_panel(session, app) -> None:
    visit = _visit(session, stop=False)
    item = make_work_item(session, "prior_auth", visit_id=visit.id, patient_id=visit.patient_id)
    view = coding_view_for_item(session, item)
    assert view.compare is None and view.panel.has_errors
    with app.test_request_context():
        html = render_template("visits/_coding_panel.html", coding=view.panel)
    assert "missing_stop_time" in html


def test_coding_denial_item_compares_billed_and_recomputed_lines(session, app) -> None:
    visit = _visit(session, authorized_units=500)
    claim = make_claim(session, visit_id=visit.id)
    claim.lines.append(ClaimLine(line_number=2, procedure_code="J1745", units=Decimal(50),
                                 charge=Decimal("100"), service_date=TODAY))
    session.flush()
    denial = make_denial(session, claim, category="coding", claim_line_id=claim.lines[1].id)
    item = make_work_item(session, "denial", denial_id=denial.id, claim_id=claim.id,
                          category="coding")
    compare = coding_view_for_item(session, item).compare
    by_billed = {row.billed.line_number: row for row in compare.rows if row.billed}
    assert by_billed[1].differences == frozenset({"code"})  # 96413 billed, 96365 recomputed
    assert by_billed[2].differences == frozenset({"units"})  # billed 50, recomputed 42
    missing = {(row.recomputed.code, row.recomputed.units, row.recomputed.modifiers)
               for row in compare.rows if row.billed is None}
    assert missing == {("96365", 1, ()), ("96366", 1, ()), ("J1745", 8, ("JW",))}
    assert compare.has_differences
    with app.test_request_context():
        html = render_template("visits/_coding_compare.html", compare=compare)
    assert "<mark>96413</mark>" in html and "denied" in html


def test_other_denials_get_no_coding_view(session) -> None:
    item = make_work_item(session, "denial", denial_id=make_denial(session).id,
                          category="authorization")
    assert coding_view_for_item(session, item) is None


def test_worklist_condition_finds_items_of_visits_with_coding_errors(session) -> None:
    from workqueue.queries import coding_error_conditions
    from workqueue.services.coding import code_stored_visit

    bad, good = _visit(session, stop=False), _visit(session, authorized_units=500)
    for visit in (bad, good):
        code_stored_visit(session, visit)
    flagged = make_work_item(session, "prior_auth", visit_id=bad.id)
    make_work_item(session, "prior_auth", visit_id=good.id)
    make_work_item(session, "prior_auth")
    found = session.scalars(select(WorkItem.id).where(*coding_error_conditions())).all()
    assert found == [flagged.id]


def test_uncodable_record_says_why_instead_of_failing(session, client, auth) -> None:
    _login(session, auth)
    visit = _visit(session)
    visit.administrations[0].start_at = None
    session.flush()
    page = client.get(f"/visits/{visit.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "cannot be coded" in html and '"start" is required' in html.replace("&#34;", '"')
    token = auth.csrf(f"/visits/{visit.id}")
    refused = client.post(f"/visits/{visit.id}/complete", data={"csrf_token": token},
                          headers={"Referer": f"http://localhost/visits/{visit.id}"})
    assert refused.status_code == 303
    session.expire_all()
    assert visit.status == "scheduled" and visit.authorization.units_used == 0


# --- wired into the worklist and the work-item page -------------------------------------------


def test_item_page_shows_the_visit_coding_panel(session, client, auth) -> None:
    _login(session, auth)
    visit = _visit(session, stop=False)
    item = make_work_item(session, "prior_auth", visit_id=visit.id, patient_id=visit.patient_id)
    html = client.get(f"/work-items/{item.id}").get_data(as_text=True)
    assert "Coding check" in html and "missing_stop_time" in html
    assert f"/visits/{visit.id}" in html


def test_worklist_flags_and_filters_items_with_coding_errors(session, client, auth) -> None:
    from tests.factories import make_queue
    from workqueue.services.coding import code_stored_visit

    user = _login(session, auth, "supervisor")
    bad, good = _visit(session, stop=False), _visit(session, authorized_units=500)
    for visit in (bad, good):
        code_stored_visit(session, visit)
    flagged = make_work_item(session, "prior_auth", visit_id=bad.id, title="Needs a stop time")
    make_work_item(session, "prior_auth", visit_id=good.id, title="Clean visit item")
    queue = make_queue(session, [user], kinds=["prior_auth"], slug="pa-coding")
    html = client.get(f"/queues/{queue.slug}").get_data(as_text=True)
    assert html.count("coding errors</span>") == 1
    only = client.get(f"/queues/{queue.slug}?coding=y").get_data(as_text=True)
    assert "Needs a stop time" in only and "Clean visit item" not in only
    assert f"/work-items/{flagged.id}" in only


def test_item_about_a_claim_carries_the_claims_visit_and_its_coding_panel(session) -> None:
    visit = _visit(session, stop=False)
    claim = make_claim(session, visit_id=visit.id)
    item = make_work_item(session, "ar_followup", claim_id=claim.id)
    assert item.visit_id == visit.id
    view = coding_view_for_item(session, item)
    assert view.compare is None and view.panel.has_errors


# --- the coding check holds the claim to the record (issue 10 item 10) -------------------------


def _bill(session, visit, *lines):
    """A claim on the visit with these (code, units, modifiers) lines."""
    claim = make_claim(session, visit_id=visit.id)
    claim.lines.clear()
    session.flush()
    claim.lines = [ClaimLine(line_number=i, procedure_code=code, units=Decimal(units),
                             modifiers=modifiers, charge=Decimal("100"), service_date=TODAY)
                   for i, (code, units, modifiers) in enumerate(lines, start=1)]
    session.flush()
    return claim


RECOMPUTED = (("96365", 1, ""), ("96366", 1, ""), ("J1745", 42, ""), ("J1745", 8, "JW"))


def test_an_ar_item_whose_claim_bills_other_units_shows_the_difference(
        session, client, auth) -> None:
    _login(session, auth, "ar_specialist")
    visit = _visit(session, authorized_units=500)
    claim = _bill(session, visit, *RECOMPUTED[:2], ("J1745", 4, ""), RECOMPUTED[3])
    item = make_work_item(session, "ar_followup", claim_id=claim.id, title="Follow up")
    html = client.get(f"/work-items/{item.id}").get_data(as_text=True)
    assert "Ready to bill" not in html and "No findings." not in html
    assert "The claim differs from the infusion record" in html
    assert "billed_lines_differ" in html
    assert (f"Claim {claim.claim_number} line 3 bills J1745 × 4; the infusion record supports "
            "J1745 × 42.") in html
    session.refresh(visit)
    assert visit.has_coding_errors  # the worklist's "coding errors" flag agrees


def test_the_visit_page_names_lines_billed_or_not_billed_against_the_record(
        session, client, auth) -> None:
    _login(session, auth)
    visit = _visit(session, authorized_units=500)
    claim = _bill(session, visit, RECOMPUTED[0], ("96413", 1, ""), RECOMPUTED[2],
                  ("J1745", 8, "JZ"))
    html = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    number = claim.claim_number
    assert f"Claim {number} line 2 bills 96413 × 1, which the infusion record does not " \
           "support." in html
    assert f"The infusion record supports 96366 × 1, which claim {number} does not bill." in html
    assert f"Claim {number} line 4 bills J1745 × 8 (JZ); the infusion record supports " \
           "J1745 × 8 (JW)." in html


def test_a_claim_that_bills_what_the_record_supports_is_ready(session, client, auth) -> None:
    _login(session, auth, "ar_specialist")
    visit = _visit(session, authorized_units=500)
    claim = _bill(session, visit, *RECOMPUTED)
    item = make_work_item(session, "ar_followup", claim_id=claim.id, title="Follow up")
    html = client.get(f"/work-items/{item.id}").get_data(as_text=True)
    assert "Ready to bill" in html and "No findings." in html


def test_a_coding_denial_states_its_own_claims_differences_once(session) -> None:
    visit = _visit(session, authorized_units=500)
    claim = _bill(session, visit, *RECOMPUTED[:2], ("J1745", 4, ""), RECOMPUTED[3])
    denial = make_denial(session, claim, category="coding")
    item = make_work_item(session, "denial", denial_id=denial.id, claim_id=claim.id,
                          category="coding")
    compare = coding_view_for_item(session, item).compare
    assert compare.has_differences
    assert [f.code for f in compare.findings] == []  # the table says it; no finding repeats it
