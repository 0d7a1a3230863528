"""Administration screens: users (roles, passwords, API tokens, skills), payer rule tables,
queues, and the audit log viewer."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from workqueue import reports
from workqueue.audit_log import audit_lines
from workqueue.clock import utcnow
from workqueue.db import commit, get_session, rollback
from workqueue.domain.errors import DomainError, NotFound
from workqueue.domain.roles import Permission
from workqueue.forms import EmptyForm
from workqueue.forms.admin import (
    AuditFilterForm,
    PasswordResetForm,
    PayerForm,
    QueueForm,
    SkillsForm,
    UserCreateForm,
    UserEditForm,
    options,
    show_domain_error,
)
from workqueue.models import DenialCategory, Payer, Queue, SkillKind, User
from workqueue.security import current_actor, requires
from workqueue.services import admin as admin_service
from workqueue.services import audit, audit_seals
from workqueue.services import queues as queue_service
from workqueue.views.reports import csv_response

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _load(model, object_id: int):
    obj = get_session().get(model, object_id)
    if obj is None:
        raise NotFound(f"{model.__name__} {object_id} does not exist.")
    return obj


def _save(form, action, done_message: str, target: str):
    """Run ``action(db, actor, now)`` for a valid form; a service refusal lands on its field."""
    db = get_session()
    if not form.validate_on_submit():
        return False
    try:
        action(db, current_actor(), utcnow())
    except DomainError as error:
        rollback(db)
        show_domain_error(form, error)
        return False
    commit(db)
    flash(done_message, "success")
    return redirect(target)


@bp.route("/")
@requires(Permission.ADMINISTER)
def index():
    return redirect(url_for("admin.users"))


# --- users ----------------------------------------------------------------------------------


@bp.route("/users")
@requires(Permission.ADMINISTER)
def users():
    return render_template("admin/users.html", users=reports.all_users(get_session()))


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_new():
    form = UserCreateForm()
    created = {}

    def act(db, actor, now):
        created["user"] = admin_service.create_account(
            db, form.username.data, form.role.data, form.password.data,
            display_name=form.display_name.data, email=form.email.data, actor=actor, now=now,
            fast_hash=current_app.config.get("PASSWORD_HASH_FAST", False))

    done = _save(form, act, f"User {form.username.data} created.", url_for("admin.users"))
    if done:
        return redirect(url_for("admin.user_edit", user_id=created["user"].id))
    return render_template("admin/user_new.html", form=form), 422 if form.errors else 200


def _skills_form(user: User, submitted: bool = False) -> SkillsForm:
    if submitted:
        form = SkillsForm()
    else:
        by_kind: dict[str, list[str]] = {}
        for skill in user.skills:
            by_kind.setdefault(str(skill.kind), []).append(skill.value)
        form = SkillsForm(formdata=None, payers=by_kind.get(SkillKind.PAYER, []),
                          denial_categories=by_kind.get(SkillKind.DENIAL_CATEGORY, []),
                          drug_families=", ".join(by_kind.get(SkillKind.DRUG_FAMILY, [])),
                          work_kinds=by_kind.get(SkillKind.WORK_KIND, []))
    form.payers.choices = options((str(p.id), p.name) for p in reports.all_payers(get_session()))
    return form


def _user_page(user: User, status: int = 200, **forms):
    forms.setdefault("profile", UserEditForm(formdata=None, obj=user))
    forms.setdefault("password", PasswordResetForm(formdata=None))
    forms.setdefault("skills", _skills_form(user))
    return render_template("admin/user_edit.html", user=user, button=EmptyForm(),
                           **forms), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def user_edit(user_id: int):
    user = _load(User, user_id)
    form = UserEditForm(obj=user)
    done = _save(form, lambda db, actor, now: admin_service.update_account(
        db, user, display_name=form.display_name.data, email=form.email.data,
        role=form.role.data, is_active=form.is_active.data, actor=actor, now=now),
        f"{user.username} saved.", url_for("admin.user_edit", user_id=user_id))
    return done or _user_page(user, 422 if form.errors else 200,
                              **({"profile": form} if request.method == "POST" else {}))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires(Permission.ADMINISTER)
def user_password(user_id: int):
    user, form = _load(User, user_id), PasswordResetForm()
    done = _save(form, lambda db, actor, now: admin_service.reset_password(
        db, user, form.password.data, actor, now,
        current_app.config.get("PASSWORD_HASH_FAST", False)),
        f"New password set for {user.username}.", url_for("admin.user_edit", user_id=user_id))
    return done or _user_page(user, 422, password=form)


@bp.route("/users/<int:user_id>/skills", methods=["POST"])
@requires(Permission.ADMINISTER)
def user_skills(user_id: int):
    user = _load(User, user_id)
    form = _skills_form(user, submitted=True)
    done = _save(form, lambda db, actor, now: admin_service.set_user_skills(
        db, user, form.skill_pairs(), actor, now),
        f"Skills of {user.username} saved.", url_for("admin.user_edit", user_id=user_id))
    return done or _user_page(user, 422, skills=form)


@bp.route("/users/<int:user_id>/token", methods=["POST"])
@requires(Permission.ADMINISTER)
def user_token(user_id: int):
    user, db = _load(User, user_id), get_session()
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.user_edit", user_id=user_id))
    token = admin_service.issue_token(db, user, current_actor(), utcnow())
    commit(db)
    # Rendered, not redirected: the token is shown this once and never stored in clear.
    return render_template("admin/token.html", user=user, token=token)


@bp.route("/users/<int:user_id>/token/revoke", methods=["POST"])
@requires(Permission.ADMINISTER)
def user_token_revoke(user_id: int):
    return _user_button(user_id, admin_service.revoke_token, "API token of {} revoked: "
                        "requests with it are refused from now on.")


@bp.route("/users/<int:user_id>/sign-out", methods=["POST"])
@requires(Permission.ADMINISTER)
def user_sign_out(user_id: int):
    return _user_button(user_id, admin_service.sign_out_everywhere,
                        "{} is signed out on every device.")


@bp.route("/users/<int:user_id>/mfa-reset", methods=["POST"])
@requires(Permission.ADMINISTER)
def user_mfa_reset(user_id: int):
    return _user_button(user_id, admin_service.reset_mfa, "Two-factor authentication of {} "
                        "reset; they can set it up again.")


def _user_button(user_id: int, action, done: str):
    """A button of the user page: ``action(db, user, actor, now)``, then ``done`` (with the
    username) unless the action says it had nothing to do (False)."""
    user, db = _load(User, user_id), get_session()
    if EmptyForm().validate_on_submit() and \
            action(db, user, current_actor(), utcnow()) is not False:
        commit(db)
        flash(done.format(user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


# --- payers ---------------------------------------------------------------------------------


@bp.route("/payers")
@requires(Permission.ADMINISTER)
def payers():
    return render_template("admin/payers.html", payers=reports.all_payers(get_session()))


def _payer_form(payer: Payer | None) -> PayerForm:
    if request.method == "POST":
        return PayerForm()
    if payer is None:
        return PayerForm(formdata=None, data={f: Payer.__table__.c[f].default.arg
                                              for f in PayerForm.RULE_FIELDS})
    # The levels are named ``appeal_levels`` on the payer: given by hand, or the page would
    # show none and saving it would delete them.
    return PayerForm(formdata=None, obj=payer, levels=[
        {"level": lv.level, "name": lv.name, "window_days": lv.window_days,
         "decision_days": lv.decision_days} for lv in payer.appeal_levels])


@bp.route("/payers/new", methods=["GET", "POST"], defaults={"payer_id": None})
@bp.route("/payers/<int:payer_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def payer_edit(payer_id: int | None):
    payer = _load(Payer, payer_id) if payer_id else None
    form = _payer_form(payer)
    if form.add_level.data:  # "Add a level": the same form again with an empty row, unsaved
        if len(form.levels.entries) < form.levels.max_entries:
            form.levels.append_entry()
        else:
            form.form_errors.append(f"A payer has at most {form.levels.max_entries} levels.")
        return render_template("admin/payer_edit.html", form=form, payer=payer)
    saved = {}

    def act(db, actor, now):
        saved["payer"] = admin_service.save_payer(
            db, payer, name=form.name.data, payer_type=form.payer_type.data,
            edi_payer_id=form.edi_payer_id.data, is_active=form.is_active.data,
            requires_ndc=form.requires_ndc.data,
            rules={f: form[f].data for f in PayerForm.RULE_FIELDS},
            levels=_level_rows(form) if form.levels.entries else None, actor=actor, now=now)

    if _save(form, act, f"Payer {form.name.data} saved.", url_for("admin.payers")):
        return redirect(url_for("admin.payer_edit", payer_id=saved["payer"].id))
    return render_template("admin/payer_edit.html", form=form, payer=payer), (
        422 if form.errors else 200)


def _level_rows(form: PayerForm) -> list[admin_service.AppealLevelRow]:
    return [admin_service.AppealLevelRow(e.form.level.data, e.form.name.data,
                                         e.form.window_days.data, e.form.decision_days.data)
            for e in form.levels.entries if not e.form.remove.data]


# --- queues ---------------------------------------------------------------------------------


@bp.route("/queues")
@requires(Permission.ADMINISTER)
def queues():
    return render_template("admin/queues.html", queues=reports.all_queues(get_session()))


def _queue_form(queue: Queue | None) -> QueueForm:
    db = get_session()
    if request.method == "POST":
        form = QueueForm()
    elif queue is None:
        form = QueueForm(formdata=None)
    else:
        known = {c.value for c in DenialCategory}
        form = QueueForm(formdata=None, obj=queue,
                         member_ids=[m.id for m in queue.members],
                         categories=[c for c in queue.categories if c in known],
                         other_categories=", ".join(c for c in queue.categories
                                                    if c not in known))
    form.payer_ids.choices = options((p.id, p.name) for p in reports.all_payers(db))
    form.member_ids.choices = options((u.id, f"{u.display_name} ({u.role})")
                                      for u in reports.assignable_people(db))
    return form


@bp.route("/queues/new", methods=["GET", "POST"], defaults={"queue_id": None})
@bp.route("/queues/<int:queue_id>", methods=["GET", "POST"])
@requires(Permission.ADMINISTER)
def queue_edit(queue_id: int | None):
    queue = _load(Queue, queue_id) if queue_id else None
    form = _queue_form(queue)

    def act(db, actor, now):
        spec = queue_service.QueueSpec(
            name=form.name.data, slug=form.slug.data, description=form.description.data or "",
            kinds=tuple(form.kinds.data or ()), payer_ids=tuple(form.payer_ids.data or ()),
            categories=form.all_categories(), member_ids=tuple(form.member_ids.data or ()),
            strategy=form.strategy.data, is_skill_matched=form.is_skill_matched.data,
            is_active=form.is_active.data)
        if queue is None:
            queue_service.create_queue(db, spec, actor, now)
        else:
            queue_service.update_queue(db, queue, spec, actor, now)

    done = _save(form, act, f"Queue {form.name.data} saved.", url_for("admin.queues"))
    return done or (render_template("admin/queue_edit.html", form=form, queue=queue),
                    422 if form.errors else 200)


# --- audit log ------------------------------------------------------------------------------


def _audit_filter():
    db = get_session()
    form = AuditFilterForm(request.args)
    form.user_id.choices = options([("", "Anyone")] + [(str(u.id), u.username)
                                                       for u in reports.all_users(db)])
    form.action.choices = options([("", "Any action")]
                                  + [(a, a) for a in reports.audit_actions(db)])
    valid = form.validate()
    return form, reports.AuditFilter(
        user_id=int(form.user_id.data) if valid and form.user_id.data else None,
        patient_id=form.patient_id.data if valid else None,
        action=(form.action.data or None) if valid else None,
        date_from=form.date_from.data if valid else None,
        date_to=form.date_to.data if valid else None,
        page=(form.page.data or 1) if valid else 1)


@bp.route("/audit")
@requires(Permission.VIEW_AUDIT)
def audit_log():
    form, wanted = _audit_filter()
    db = get_session()
    page = reports.audit_events(db, wanted)
    # Reading the audit trail is itself audited (who looked at whose access history).
    audit.record(db, current_actor(), "view", "audit_log", None, now=utcnow(),
                 patient_id=wanted.patient_id, context=request.query_string.decode()[:200])
    seals = audit_seals.seal_status(db)
    lines = audit_lines(db, page.events)
    commit(db)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", form=form, page=page, lines=lines, args=args,
                           seals=seals, button=EmptyForm()), (422 if form.errors else 200)


@bp.route("/audit/verify", methods=["POST"])
@requires(Permission.VIEW_AUDIT)
def audit_verify():
    # A job, not the request: verification re-reads every sealed event (millions of rows).
    if EmptyForm().validate_on_submit():
        db = get_session()
        audit_seals.request_verification(db, current_actor(), utcnow())
        commit(db)
        flash("Verification of the audit chain started; its result shows here when done.",
              "success")
    return redirect(url_for("admin.audit_log"))


@bp.route("/audit.csv")
@requires(Permission.VIEW_AUDIT)
def audit_export():
    form, wanted = _audit_filter()
    if form.errors:  # never the whole log for a filter that could not be read
        fields = "; ".join(f"{form[name].label.text}: {' '.join(errors)}"
                           for name, errors in form.errors.items())
        return render_template("error.html", status=400,
                               message=f"The filter cannot be used ({fields})."), 400
    table = reports.audit_table(reports.audit_events(
        get_session(), reports.AuditFilter(**{**wanted.__dict__, "page": 1,
                                              "per_page": reports.AUDIT_EXPORT_LIMIT})))
    return csv_response(table, "audit-log")
