"""Admin screens: role checks, users, skills, payer rule tables, queues, the audit log viewer."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from tests.factories import NOW, make_payer, make_queue, make_user, make_work_item
from workqueue.models import AuditEvent, Payer, PayerType, Queue, User
from workqueue.services.audit import Actor, record
from workqueue.services.users import user_by_token


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    for module in ("workqueue.views.admin", "workqueue.views.reports"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: NOW)


@pytest.fixture
def root(session, auth):
    user = make_user(session, "admin", username="root")
    auth.login("root")
    return user


def _post(client, auth, url, data, page=None):
    return client.post(url, data={**data, "csrf_token": auth.csrf(page or url)})


def _invalid(html: str, field_id: str) -> bool:
    tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{re.escape(field_id)}"[^>]*>', html)
    return bool(tag) and 'aria-invalid="true"' in tag.group(0) and "is-invalid" in tag.group(0) \
        and f'aria-describedby="{field_id}-error' in tag.group(0).replace(
            f'{field_id}-help ', "") and f'id="{field_id}-error"' in html


@pytest.mark.parametrize("role, url, status", [
    ("coordinator", "/admin/users", 403),
    ("supervisor", "/admin/users", 403),
    ("supervisor", "/admin/payers", 403),
    ("supervisor", "/admin/queues", 403),
    ("supervisor", "/admin/audit", 403),
    ("coordinator", "/admin/audit", 403),
])
def test_only_admins_reach_admin(session, client, auth, role, url, status):
    make_user(session, role, username=f"u_{role}")
    auth.login(f"u_{role}")
    assert client.get(url).status_code == status


def test_create_user_then_listed(session, client, auth, root):
    response = _post(client, auth, "/admin/users/new", {
        "username": "new.coordinator", "display_name": "Nia Coordinator",
        "email": "nia@example.org", "role": "coordinator",
        "password": "long-enough-1", "confirm": "long-enough-1"})
    assert response.status_code == 302
    assert "Nia Coordinator" in client.get("/admin/users").get_data(as_text=True)
    created = session.scalar(select(User).where(User.username == "new.coordinator"))
    event = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "user",
                                                     AuditEvent.action == "create")).one()
    assert event.object_id == str(created.id) and event.user_id == root.id


@pytest.mark.parametrize("overrides, field", [
    ({"username": "bad name!"}, "username"),
    ({"username": "root"}, "username"),  # taken: shown on the field
    ({"password": "short", "confirm": "short"}, "password"),
    ({"confirm": "different-password"}, "confirm"),
    ({"email": "not-an-email"}, "email"),
    ({"role": "superuser"}, "role"),
])
def test_create_user_invalid_shows_error_on_field_and_saves_nothing(
        session, client, auth, root, overrides, field):
    data = {"username": "fresh", "display_name": "Fresh", "email": "", "role": "coordinator",
            "password": "long-enough-1", "confirm": "long-enough-1"} | overrides
    before = session.scalar(select(func.count()).select_from(User))
    response = _post(client, auth, "/admin/users/new", data)
    assert response.status_code == 422
    assert _invalid(response.get_data(as_text=True), field)
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_edit_role_and_deactivate_is_audited(session, client, auth, root):
    user = make_user(session, "coordinator", display_name="Cora")
    response = _post(client, auth, f"/admin/users/{user.id}", {
        "display_name": "Cora Lee", "email": "", "role": "supervisor"})  # is_active unticked
    assert response.status_code == 302
    session.expire_all()
    user = session.get(User, user.id)
    assert (user.role, user.display_name, user.is_active) == ("supervisor", "Cora Lee", False)
    change = session.scalars(select(AuditEvent).where(
        AuditEvent.action == "permission_change")).one()
    assert "coordinator->supervisor" in change.context and "active 1->0" in change.context


def test_reset_password_short_is_refused_on_the_field(session, client, auth, root):
    user = make_user(session, "coordinator")
    old_hash = user.password_hash
    response = _post(client, auth, f"/admin/users/{user.id}/password",
                     {"password": "short", "confirm": "short"}, page=f"/admin/users/{user.id}")
    assert response.status_code == 422 and _invalid(response.get_data(as_text=True), "password")
    assert session.get(User, user.id).password_hash == old_hash
    response = _post(client, auth, f"/admin/users/{user.id}/password",
                     {"password": "a-new-password", "confirm": "a-new-password"},
                     page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, user.id).password_hash != old_hash


def test_api_token_shown_once_and_works(session, client, auth, root):
    user = make_user(session, "coordinator")
    response = _post(client, auth, f"/admin/users/{user.id}/token", {},
                     page=f"/admin/users/{user.id}")
    token = re.search(r'value="(wq_[^"]+)"', response.get_data(as_text=True)).group(1)
    assert user_by_token(session, token).id == user.id
    assert token not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)


def test_skills_saved_and_shown_ticked(session, client, auth, root):
    user = make_user(session, "denial_specialist")
    payer = make_payer(session, name="Skill Payer")
    response = _post(client, auth, f"/admin/users/{user.id}/skills", {
        "payers": [str(payer.id)], "denial_categories": ["coding", "authorization"],
        "drug_families": "biologic, chemo", "work_kinds": ["denial"]},
        page=f"/admin/users/{user.id}")
    assert response.status_code == 302
    session.expire_all()
    skills = {(str(s.kind), s.value) for s in session.get(User, user.id).skills}
    assert skills == {("payer", str(payer.id)), ("denial_category", "coding"),
                      ("denial_category", "authorization"), ("drug_family", "biologic"),
                      ("drug_family", "chemo"), ("work_kind", "denial")}
    html = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert re.search(rf'checked[^>]*value="{payer.id}"|value="{payer.id}"[^>]*checked', html)


def test_skills_unknown_category_refused(session, client, auth, root):
    user = make_user(session, "denial_specialist")
    response = _post(client, auth, f"/admin/users/{user.id}/skills",
                     {"denial_categories": ["astrology"]}, page=f"/admin/users/{user.id}")
    assert response.status_code == 422
    assert 'id="denial_categories-error"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).skills == []


def _payer_data(payer, **overrides):
    data = {"name": payer.name, "payer_type": "commercial", "edi_payer_id": "", "is_active": "y",
            "timely_filing_days": "90", "auth_lead_days": "14", "auth_turnaround_days": "7",
            "reverify_days": "30", "auth_units_warn_pct": "80", "ar_followup_days": "30",
            "levels-0-level": "1", "levels-0-name": "Reconsideration",
            "levels-0-window_days": "60", "levels-0-decision_days": "30",
            "levels-1-level": "2", "levels-1-name": "Second level",
            "levels-1-window_days": "60", "levels-1-decision_days": ""}
    return data | overrides


def test_payer_rules_saved_and_a_level_removed(session, client, auth, root):
    payer = make_payer(session)
    url = f"/admin/payers/{payer.id}"
    response = _post(client, auth, url, _payer_data(payer, **{"levels-1-remove": "y"}))
    assert response.status_code == 302
    session.expire_all()
    payer = session.get(Payer, payer.id)
    assert payer.timely_filing_days == 90
    assert [(lv.level, lv.window_days) for lv in payer.appeal_levels] == [(1, 60)]
    html = client.get("/admin/payers").get_data(as_text=True)
    assert "1. Reconsideration (60 d)" in html and "Second level" not in html


def test_payer_ndc_flag_is_a_checkbox_and_new_medicaid_payers_start_with_it(
        session, client, auth, root):
    payer = make_payer(session, payer_type=PayerType.MEDICAID, requires_ndc=True)
    html = client.get(f"/admin/payers/{payer.id}").get_data(as_text=True)
    assert 'id="requires_ndc"' in html and "Drug lines need their NDC" in html
    response = _post(client, auth, f"/admin/payers/{payer.id}",
                     _payer_data(payer, payer_type="medicaid"))  # box left unticked
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Payer, payer.id).requires_ndc is False
    response = _post(client, auth, "/admin/payers/new",
                     _payer_data(payer, name="State Medicaid Plan", payer_type="medicaid"),
                     page="/admin/payers/new")
    assert response.status_code == 302
    created = session.scalar(select(Payer).where(Payer.name == "State Medicaid Plan"))
    assert created.requires_ndc is True


def test_payer_add_level_button_adds_an_empty_row_without_saving(session, client, auth, root):
    payer = make_payer(session)
    url = f"/admin/payers/{payer.id}"
    response = _post(client, auth, url, _payer_data(payer, add_level="Add a level"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="levels-2-level"' in html
    assert session.get(Payer, payer.id).timely_filing_days == 365


def test_payer_add_level_stops_at_five_levels(session, client, auth, root):
    payer = make_payer(session, appeal_levels=[(i, f"L{i}", 60, None) for i in range(1, 6)])
    data = _payer_data(payer, add_level="Add a level")
    for i in range(5):
        data |= {f"levels-{i}-level": str(i + 1), f"levels-{i}-name": f"L{i + 1}",
                 f"levels-{i}-window_days": "60"}
    response = _post(client, auth, f"/admin/payers/{payer.id}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "at most 5 levels" in html
    assert 'id="levels-5-level"' not in html


@pytest.mark.parametrize("overrides, field", [
    ({"timely_filing_days": "0"}, "timely_filing_days"),
    ({"timely_filing_days": "abc"}, "timely_filing_days"),
    ({"auth_units_warn_pct": "150"}, "auth_units_warn_pct"),
    ({"auth_lead_days": "-3"}, "auth_lead_days"),
    ({"levels-0-window_days": "0"}, "levels-0-window_days"),
    ({"levels-1-level": "1"}, "levels-1-level"),
    ({"levels-0-level": "9"}, "levels-0-level"),
    ({"levels-0-name": ""}, "levels-0-name"),
])
def test_payer_rules_invalid_shows_field_error_and_saves_nothing(
        session, client, auth, root, overrides, field):
    payer = make_payer(session)
    response = _post(client, auth, f"/admin/payers/{payer.id}", _payer_data(payer, **overrides))
    assert response.status_code == 422
    assert _invalid(response.get_data(as_text=True), field)
    session.expire_all()
    payer = session.get(Payer, payer.id)
    assert payer.timely_filing_days == 365 and len(payer.appeal_levels) == 2


class _FormReader(HTMLParser):
    """What a browser would submit from the page's form: text inputs, ticked checkboxes,
    selected options (no buttons)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.data[name] = a.get("value") or ("y" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _page_form(client, url) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(client.get(url).get_data(as_text=True))
    return reader.data


def _payer_state(session, payer_id):
    session.expire_all()
    payer = session.get(Payer, payer_id)
    columns = {c.key: getattr(payer, c.key) for c in Payer.__table__.columns}
    return columns | {"levels": [(lv.level, lv.name, lv.window_days, lv.decision_days)
                                 for lv in payer.appeal_levels]}


@pytest.mark.parametrize("field, value, changes", [
    ("name", "Renamed Health", {"name": "Renamed Health"}),
    ("payer_type", "medicaid", {"payer_type": "medicaid"}),
    ("edi_payer_id", "RH123", {"edi_payer_id": "RH123"}),
    ("is_active", None, {"is_active": False}),
    ("timely_filing_days", "181", {"timely_filing_days": 181}),
    ("auth_lead_days", "21", {"auth_lead_days": 21}),
    ("auth_turnaround_days", "10", {"auth_turnaround_days": 10}),
    ("reverify_days", "45", {"reverify_days": 45}),
    ("auth_units_warn_pct", "90", {"auth_units_warn_pct": 90}),
    ("ar_followup_days", "40", {"ar_followup_days": 40}),
    ("levels-0-name", "Redetermination", {"levels": [(1, "Redetermination", 180, 30),
                                                     (2, "Second", 60, 30)]}),
    ("levels-1-window_days", "75", {"levels": [(1, "First level", 180, 30),
                                               (2, "Second", 75, 30)]}),
    ("levels-0-decision_days", "", {"levels": [(1, "First level", 180, None),
                                               (2, "Second", 60, 30)]}),
    ("levels-1-remove", "y", {"levels": [(1, "First level", 180, 30)]}),
])
def test_saving_the_payer_page_changes_only_the_field_edited(
        session, client, auth, root, field, value, changes):
    payer = make_payer(session, name="Edited Health", edi_payer_id="EH001",
                       timely_filing_days=180)
    url = f"/admin/payers/{payer.id}"
    before = _payer_state(session, payer.id)
    data = _page_form(client, url)
    assert data["levels-1-window_days"] == "60"  # the levels are on the page to be edited
    if value is None:
        data.pop(field)  # an unticked checkbox is not sent
    else:
        data[field] = value
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _payer_state(session, payer.id) == before | changes


def test_payer_page_lists_the_levels_on_file(session, client, auth, root):
    payer = make_payer(session, appeal_levels=[(1, "Redetermination", 120, 60),
                                               (2, "Reconsideration", 180, None)])
    html = client.get(f"/admin/payers/{payer.id}").get_data(as_text=True)
    assert "No appeal levels" not in html
    assert 'value="Redetermination"' in html and 'value="Reconsideration"' in html
    assert 'id="levels-0-window_days"' in html and 'value="120"' in html


def test_a_save_without_level_rows_keeps_the_levels(session, client, auth, root):
    payer = make_payer(session)
    data = {k: v for k, v in _payer_data(payer, timely_filing_days="181").items()
            if not k.startswith("levels-")}
    assert _post(client, auth, f"/admin/payers/{payer.id}", data).status_code == 302
    state = _payer_state(session, payer.id)
    assert state["timely_filing_days"] == 181
    assert state["levels"] == [(1, "First level", 180, 30), (2, "Second", 60, 30)]


def test_adding_a_level_from_the_page_saves_it(session, client, auth, root):
    payer = make_payer(session)
    url = f"/admin/payers/{payer.id}"
    data = _page_form(client, url)
    page = client.post(url, data=data | {"add_level": "Add a level"}).get_data(as_text=True)
    reader = _FormReader()
    reader.feed(page)
    data = reader.data | {"levels-2-level": "3", "levels-2-name": "External review",
                          "levels-2-window_days": "120", "levels-2-decision_days": "45"}
    assert client.post(url, data=data).status_code == 302
    assert _payer_state(session, payer.id)["levels"] == [
        (1, "First level", 180, 30), (2, "Second", 60, 30), (3, "External review", 120, 45)]


def test_a_gap_in_the_levels_is_refused_on_the_level(session, client, auth, root):
    payer = make_payer(session)
    response = _post(client, auth, f"/admin/payers/{payer.id}",
                     _payer_data(payer, **{"levels-1-level": "3"}))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _invalid(html, "levels-1-level")
    assert "Level 3 needs level 2 before it" in html
    assert _payer_state(session, payer.id)["levels"] == [(1, "First level", 180, 30),
                                                         (2, "Second", 60, 30)]


def test_payer_name_taken_is_shown_on_the_name(session, client, auth, root):
    make_payer(session, name="Taken Health")
    payer = make_payer(session)
    response = _post(client, auth, f"/admin/payers/{payer.id}",
                     _payer_data(payer, name="Taken Health"))
    assert response.status_code == 422 and _invalid(response.get_data(as_text=True), "name")


def test_create_queue_and_slug_conflict(session, client, auth, root):
    ann = make_user(session, "ar_specialist")
    data = {"name": "AR Big Balances", "slug": "ar-big", "kinds": ["ar_followup"],
            "member_ids": [str(ann.id)], "strategy": "least_loaded", "is_active": "y"}
    assert _post(client, auth, "/admin/queues/new", data).status_code == 302
    queue = session.scalar(select(Queue).where(Queue.slug == "ar-big"))
    assert queue.strategy == "least_loaded" and [m.id for m in queue.members] == [ann.id]
    assert make_work_item(session, auto_assign=True).assignee_id == ann.id
    again = _post(client, auth, "/admin/queues/new", data | {"name": "Another"})
    assert again.status_code == 422 and _invalid(again.get_data(as_text=True), "slug")
    assert session.scalar(select(func.count()).select_from(Queue)) == 1


def test_edit_queue_invalid_slug_saves_nothing(session, client, auth, root):
    queue = make_queue(session, slug="pa-onc", name="PA oncology")
    response = _post(client, auth, f"/admin/queues/{queue.id}",
                     {"name": "Renamed", "slug": "Bad Slug", "strategy": "manual"})
    assert response.status_code == 422 and _invalid(response.get_data(as_text=True), "slug")
    session.expire_all()
    assert session.get(Queue, queue.id).name == "PA oncology"


def test_audit_log_filters_pages_and_is_itself_audited(session, client, auth, root):
    other = make_user(session, "coordinator", username="watched")
    for i in range(3):
        record(session, Actor.for_user(other), "view", "patient", i, now=NOW, patient_id=None)
    record(session, Actor.for_user(root), "update", "queue", 1, now=NOW)
    session.flush()
    response = client.get(f"/admin/audit?user_id={other.id}&action=view")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "3 events" in html
    viewed = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "audit_log")).one()
    assert viewed.user_id == root.id and viewed.action == "view"
    bad = client.get("/admin/audit?date_from=2026-11-10&date_to=2026-11-01")
    assert bad.status_code == 422 and _invalid(bad.get_data(as_text=True), "date_to")


def test_audit_log_csv_export_is_audited(session, client, auth, root):
    other = make_user(session, "coordinator", username="watched")
    record(session, Actor.for_user(other), "view", "patient", 7, now=NOW)
    session.flush()
    response = client.get(f"/admin/audit.csv?user_id={other.id}")
    rows = response.get_data(as_text=True).splitlines()
    assert rows[0].startswith("At (UTC),User,Role,Action")
    assert len(rows) == 2 and ",watched,coordinator,view,patient,7," in rows[1]
    export = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert export.object_id == "audit-log" and export.user_id == root.id
