"""Appeal letters in the browser: request, watch progress, edit the draft, finalize, download,
retry, mark the appeal submitted; and the template admin pages."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from workqueue.clock import utcnow
from workqueue.db import commit, get_session, rollback
from workqueue.domain.errors import Conflict, StaleVersion, ValidationFailed
from workqueue.domain.roles import Permission
from workqueue.forms import EmptyForm
from workqueue.forms.letters import (
    DraftForm,
    LetterRequestForm,
    LetterTemplateForm,
    payer_choices,
)
from workqueue.models import LetterStatus, LetterTemplate, Payer
from workqueue.security import current_actor, requires
from workqueue.services import letters
from workqueue.services.work_items import get_work_item

bp = Blueprint("letters", __name__, url_prefix="/letters")
_WORKING = (LetterStatus.REQUESTED, LetterStatus.GENERATING)


@bp.post("/for-item/<int:item_id>")
@requires(Permission.WORK_ITEMS)
def create(item_id: int):
    form = LetterRequestForm()
    if not form.validate_on_submit():
        abort(400)
    db = get_session()
    try:
        letter = letters.request_letter(db, item_id, current_actor(), utcnow(),
                                        finalize=form.finalize.data)
        commit(db)
    except Conflict as error:  # said on the item's page, not on an error page
        rollback(db)
        flash(error.message, "error")
        return redirect(url_for("work_items.show", item_id=item_id), 303)
    flash("Letter requested; it is being written in the background.", "success")
    return redirect(url_for(".show", letter_id=letter.id), 303)


@bp.get("/<int:letter_id>")
@requires(Permission.VIEW_WORK)
def show(letter_id: int, draft_form: DraftForm | None = None, status: int = 200):
    db = get_session()
    letter = letters.view_letter(db, letter_id, current_actor(), utcnow())
    commit(db)
    draft_form = draft_form or DraftForm(formdata=None, body=letter.draft)
    draft_form.version.data = str(letter.version)
    return render_template("letters/show.html", letter=letter, job=_job(letter.id),
                           draft_form=draft_form, working=letter.status in _WORKING), status


@bp.get("/<int:letter_id>/progress")
@requires(Permission.VIEW_WORK)
def progress(letter_id: int):
    """The polled partial: status and percent only (no patient data, so no audit row)."""
    letter = letters.get_letter(get_session(), letter_id)
    working = letter.status in _WORKING
    headers = {} if working else {"HX-Refresh": "true"}  # done: reload to show the draft
    return render_template("letters/_progress.html", letter=letter, job=_job(letter.id),
                           working=working), 200, headers


@bp.post("/<int:letter_id>/draft")
@requires(Permission.WORK_ITEMS)
def save(letter_id: int):
    form = DraftForm()
    if not form.validate_on_submit():
        return show(letter_id, draft_form=form, status=422)
    return _act(letter_id, lambda db: letters.save_draft(
        db, letter_id, form.body.data, current_actor(), utcnow(),
        expected_version=int(form.version.data)), "Draft saved as a new version.", form)


@bp.post("/<int:letter_id>/finalize")
@requires(Permission.WORK_ITEMS)
def finalize(letter_id: int):
    """Save what is in the editor (if it changed) and freeze it to PDF, in one action."""
    form = DraftForm()
    if not form.validate_on_submit():
        return show(letter_id, draft_form=form, status=422)
    return _act(letter_id, lambda db: letters.finalize_letter(
        db, letter_id, current_actor(), utcnow(), body=form.body.data,
        expected_version=int(form.version.data)), "Letter finalized; the PDF is ready.", form)


@bp.post("/<int:letter_id>/retry")
@requires(Permission.WORK_ITEMS)
def retry(letter_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _act(letter_id, lambda db: letters.retry_letter(db, letter_id, current_actor(),
                                                           utcnow()), "Generation restarted.")


@bp.post("/<int:letter_id>/submitted")
@requires(Permission.WORK_ITEMS)
def submitted(letter_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _act(letter_id, lambda db: letters.mark_appeal_submitted(
        db, letter_id, current_actor(), utcnow()), "Appeal marked as submitted.")


def _act(letter_id: int, action, message: str, draft_form: DraftForm | None = None):
    db = get_session()
    try:
        action(db)
        commit(db)
    except (StaleVersion, StaleDataError) as error:
        rollback(db)
        flash(getattr(error, "message", "Someone changed this letter first; reload it."),
              "error")
        return show(letter_id, draft_form=draft_form, status=409)
    except ValidationFailed as error:
        rollback(db)
        flash(error.message, "error")
        return show(letter_id, draft_form=draft_form, status=422)
    except Conflict as error:
        rollback(db)
        flash(error.message, "error")
        return show(letter_id, draft_form=draft_form, status=409)
    flash(message, "success")
    return redirect(url_for(".show", letter_id=letter_id), 303)


@bp.get("/<int:letter_id>/pdf")
@requires(Permission.VIEW_WORK)
def download(letter_id: int):
    db = get_session()
    name, pdf = letters.letter_pdf(db, letter_id, current_actor(), utcnow())
    commit(db)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/item/<int:item_id>/panel")
@requires(Permission.VIEW_WORK)
def panel(item_id: int):
    """The letters of one item (status, progress, retry), for the work-item page to load."""
    db = get_session()
    item = get_work_item(db, item_id)
    rows = letters.letters_for_item(db, item_id)
    return render_template("letters/_panel.html", item_id=item_id, letters=rows,
                           jobs=letters.letter_jobs(db, [r.id for r in rows]),
                           refusal=letters.letter_refusal(item, letters.current_letter(db, item)),
                           request_form=LetterRequestForm(formdata=None), form=EmptyForm())


def _job(letter_id: int):
    return letters.letter_jobs(get_session(), [letter_id]).get(letter_id)


# -- template admin ---------------------------------------------------------------------------

@bp.get("/templates")
@requires(Permission.ADMINISTER)
def templates():
    rows = letters.list_templates(get_session())
    return render_template("letters/templates.html", templates=rows,
                           labels=letters.CATEGORY_LABELS)


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def edit_template(template_id: int | None = None):
    db = get_session()
    template = db.get(LetterTemplate, template_id) if template_id else None
    if template_id and template is None:
        abort(404)
    form = LetterTemplateForm(obj=template)
    form.payer_id.choices = payer_choices(db.scalars(select(Payer).order_by(Payer.name)))
    if form.validate_on_submit():
        data = letters.TemplateInput(form.category.data, form.name.data.strip(), form.body.data,
                                     form.payer_id.data, form.appeal_level.data,
                                     form.is_active.data)
        saved = letters.save_template(db, data, current_actor(), utcnow(), template_id)
        commit(db)
        flash(f"Template “{saved.name}” saved.", "success")
        return redirect(url_for(".templates"), 303)
    return render_template("letters/template_edit.html", form=form, template=template), \
        422 if form.errors else 200
