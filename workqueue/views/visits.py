"""Infusion visits: the list with coding flags, one visit's coding and auth warnings, completing
a visit, and the drug catalog admin (under /visits/catalog)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.errors import ValidationFailed
from workqueue.domain.roles import Permission, has_permission
from workqueue.forms import EmptyForm
from workqueue.forms.visits import DrugCatalogEntryForm
from workqueue.queries import visit_list
from workqueue.security import current_actor, requires
from workqueue.services import audit
from workqueue.services.auth_ledger import (
    check_scheduled_visit,
    complete_visit,
    get_visit,
    ledger_entries_for_visit,
)
from workqueue.services.catalog import (
    DrugEntryData,
    coding_rules,
    dose_units,
    get_drug_entry,
    list_drug_entries,
    save_drug_entry,
)
from workqueue.services.coding import coding_panel
from workqueue.services.recoding import is_working, recent_recodes

bp = Blueprint("visits", __name__, url_prefix="/visits")


@bp.route("/")
@requires(Permission.VIEW_WORK)
def index():
    db, now = get_session(), utcnow()
    visits = visit_list(db, now.date())
    audit.record(db, current_actor(), "view", "infusion_visit_list", None, now=now,
                 context=f"{len(visits)} visits")
    commit(db)
    return render_template("visits/index.html", visits=visits, today=now.date())


@bp.route("/<int:visit_id>")
@requires(Permission.VIEW_WORK)
def show(visit_id: int):
    db, now = get_session(), utcnow()
    visit = get_visit(db, visit_id)
    coding = coding_panel(db, visit)
    warnings = check_scheduled_visit(db, visit)
    audit.record(db, current_actor(), "view", "infusion_visit", visit.id, now=now,
                 patient_id=visit.patient_id)
    commit(db)
    return render_template(
        "visits/show.html", visit=visit, coding=coding, warnings=warnings,
        ledger=ledger_entries_for_visit(db, visit), form=EmptyForm(),
        can_complete=has_permission(current_user.role, Permission.WORK_ITEMS))


@bp.route("/<int:visit_id>/complete", methods=["POST"])
@requires(Permission.WORK_ITEMS)
def complete(visit_id: int):
    if EmptyForm().validate_on_submit():
        db = get_session()
        complete_visit(db, get_visit(db, visit_id), current_actor(), utcnow())
        commit(db)
        flash("Visit completed; its units were posted to the authorization.", "info")
    return redirect(url_for("visits.show", visit_id=visit_id), 303)


@bp.route("/catalog")
@requires(Permission.VIEW_WORK)
def catalog():
    can_edit = has_permission(current_user.role, Permission.ADMINISTER)
    db = get_session()
    return render_template("visits/catalog.html", entries=list_drug_entries(db),
                           can_edit=can_edit, unclassified=coding_rules().unclassified_drug_codes,
                           **_recodes(db))


@bp.route("/catalog/recodes")
@requires(Permission.VIEW_WORK)
def recode_progress():
    """The polled partial: codes and counts of re-coding runs (no patient data, no audit)."""
    return render_template("visits/_recodes.html", **_recodes(get_session()))


def _recodes(db) -> dict:
    """The latest re-coding runs, and whether any is still going (the page keeps polling)."""
    recodes = recent_recodes(db)
    return {"recodes": recodes, "working": any(is_working(run) for run in recodes)}


@bp.route("/catalog/new", methods=["GET", "POST"])
@bp.route("/catalog/<int:entry_id>/edit", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def edit_entry(entry_id: int | None = None):
    db = get_session()
    entry = get_drug_entry(db, entry_id) if entry_id is not None else None
    form = DrugCatalogEntryForm(obj=entry)
    form.set_units(dose_units())
    if form.validate_on_submit():
        data = DrugEntryData(**{name: form[name].data for name in DrugEntryData.__annotations__})
        try:
            saved = save_drug_entry(db, entry_id, data, current_actor(), utcnow())
        except ValidationFailed as error:
            db.rollback()
            for name, message in error.details.items():
                form[name].errors = [*form[name].errors, message]
        else:
            commit(db)
            flash(f"{saved.hcpcs} saved.", "info")
            return redirect(url_for("visits.catalog"), 303)
    status = 422 if form.errors else 200
    return render_template("visits/catalog_edit.html", form=form, entry=entry), status
