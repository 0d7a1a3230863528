"""File imports in the browser: upload an 835, 271 or 277, watch its progress, read the
per-claim (835) or per-member/per-claim (271/277) report;
and the CARC/RARC catalog admin (list, search, describe unknown codes)."""

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from workqueue.clock import utcnow
from workqueue.db import commit, get_session, rollback
from workqueue.domain.errors import ValidationFailed
from workqueue.domain.roles import Permission
from workqueue.forms.admin import show_domain_error
from workqueue.forms.imports import ImportUploadForm, ReasonCodeForm, ReasonCodeSearchForm
from workqueue.jobs.imports import import_directory
from workqueue.models import ImportRunStatus
from workqueue.reports import csv_lines
from workqueue.security import current_actor, requires
from workqueue.services import imports, reason_codes, remittances

bp = Blueprint("imports", __name__, url_prefix="/imports")
_WORKING = (ImportRunStatus.QUEUED, ImportRunStatus.RUNNING)


@bp.route("/", methods=["GET", "POST"])
@requires(Permission.IMPORT_FILES)
def index():
    db = get_session()
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        run = imports.start_import(db, upload.stream, upload.filename or "upload.x12",
                                   current_actor(), utcnow(), import_directory())
        commit(db)
        flash("File received; it is being imported in the background.", "success")
        return redirect(url_for(".show", run_id=run.id), 303)
    return render_template("imports/index.html", form=form,
                           runs=imports.recent_import_runs(db)), 422 if form.errors else 200


@bp.get("/<int:run_id>")
@requires(Permission.IMPORT_FILES)
def show(run_id: int):
    db = get_session()
    if imports.get_import_run(db, run_id).kind != "835":
        run = imports.row_report(db, run_id, current_actor(), utcnow())
        commit(db)
        return render_template("imports/show_rows.html", run=run, working=run.status in _WORKING)
    report = remittances.import_report(db, run_id, current_actor(), utcnow())
    commit(db)
    return render_template("imports/show.html", report=report, run=report.run,
                           working=report.run.status in _WORKING)


@bp.get("/<int:run_id>/progress")
@requires(Permission.IMPORT_FILES)
def progress(run_id: int):
    """The polled partial: status and percent only (no patient data, so no audit row)."""
    run = imports.get_import_run(get_session(), run_id)
    working = run.status in _WORKING
    headers = {} if working else {"HX-Refresh": "true"}  # done: reload to show the report
    return render_template("imports/_progress.html", run=run, working=working), 200, headers


@bp.get("/<int:run_id>/<any(problems, rows, claims):what>.csv")
@requires(Permission.IMPORT_FILES)
def download(run_id: int, what: str):
    """The full list behind a run's page (which shows the first ones), streamed as CSV."""
    db = get_session()
    run = imports.get_import_run(db, run_id)
    header, rows = imports.report_download(db, run, what, current_actor(), utcnow())
    commit(db)
    return Response(stream_with_context(csv_lines(header, rows)), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="import-{run.id}-{what}.csv"'})


# -- CARC/RARC catalog admin ------------------------------------------------------------------

@bp.get("/reason-codes")
@requires(Permission.ADMINISTER)
def reason_codes_index():
    form = ReasonCodeSearchForm(request.args)
    form.validate()  # errors are shown beside the fields; a bad filter is ignored
    code_type = form.code_type.data if not form.code_type.errors else ""
    rows = reason_codes.search_reason_codes(get_session(), (form.q.data or "")[:60],
                                            code_type or "", form.unknown.data)
    return render_template("imports/reason_codes.html", form=form, codes=rows)


@bp.route("/reason-codes/<int:code_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def reason_code_edit(code_id: int):
    db = get_session()
    code = reason_codes.get_reason_code(db, code_id)
    form = ReasonCodeForm(obj=code)
    if form.validate_on_submit():
        data = reason_codes.ReasonCodeInput(
            form.meaning.data.strip(), form.category.data, form.is_usually_preventable.data,
            form.default_action.data, form.letter_template.data)
        try:
            reason_codes.update_reason_code(db, code_id, data, current_actor(), utcnow())
        except ValidationFailed as error:
            rollback(db)
            show_domain_error(form, error)
        else:
            commit(db)
            flash(f"{code.code_type.upper()} {code.code} saved.", "success")
            return redirect(url_for(".reason_codes_index"), 303)
    return render_template("imports/reason_code_edit.html", form=form, code=code), \
        422 if form.errors or form.form_errors else 200
