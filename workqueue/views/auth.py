"""Sign in and sign out, with failed attempts audited and accounts locked after repeats; the
TOTP second factor (sign-in code, recovery codes, enrolment from the account page).

After a correct password an enrolled user (or one whose role must enrol, MFA_REQUIRED_ROLES) is
only *half* signed in: the session holds ``mfa_pending`` (user id, start time, where to go
next) and no Flask-Login user, so every page with a permission still sends them to the login
page. Only the code, recovery-code and forced-enrolment pages read that state, for 5 minutes.
"""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup

from workqueue.clock import utcnow
from workqueue.db import commit, get_session
from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.domain.roles import Permission
from workqueue.forms import EmptyForm, LoginForm
from workqueue.forms.mfa import RecoveryCodeForm, TotpCodeForm
from workqueue.models import User
from workqueue.security import bind_session, current_actor, public, requires
from workqueue.services import admin as admin_service
from workqueue.services import audit
from workqueue.services import users as user_service
from workqueue.services.audit import Actor
from workqueue.services.users import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")

_PENDING = "mfa_pending"
PENDING_SECONDS = 5 * 60
TOTP_ISSUER = "workqueue"


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home (no open redirects)."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


def _origin(user: User | None) -> Actor:
    return Actor(user.id if user else None, str(user.role) if user else None, "web",
                 request.remote_addr, request.user_agent.string[:200])


def _sign_in(user: User, now) -> None:
    session.clear()  # a fresh session: nothing from before the sign-in carries over
    login_user(user)
    bind_session(user)
    session["last_seen"] = now.timestamp()
    session.permanent = True


def _required_roles() -> tuple:
    """The roles that must use a second factor (MFA_REQUIRED_ROLES)."""
    return current_app.config.get("MFA_REQUIRED_ROLES", ())


def _no_store(body, status: int = 200):
    """Pages showing a secret or recovery codes stay out of every cache, signed in or not."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if request.args.get("expired"):
        flash("You were signed out after a period of inactivity.", "info")
    if form.validate_on_submit():
        db = get_session()
        now = utcnow()
        user = authenticate(db, form.username.data, form.password.data, now)
        if user is None:
            audit.record(db, _origin(None), "login_failed", "user", None, now=now,
                         outcome="denied", context="bad credentials or locked")
            commit(db)
            form.password.errors.append("Wrong username or password, or the account is locked.")
        elif user.has_mfa or user_service.mfa_required(
                user, _required_roles()):
            commit(db)
            target = _safe_next(request.args.get("next"))
            session.clear()
            session[_PENDING] = {"uid": user.id, "at": now.timestamp(), "next": target,
                                 "epoch": user.session_epoch}
            return redirect(url_for("auth.login_code" if user.has_mfa else "auth.login_enrol"))
        else:
            audit.record(db, _origin(user), "login", "user", user.id, now=now)
            commit(db)
            _sign_in(user, now)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


def _pending_user(now) -> tuple[User, str]:
    """The half-signed-in user and where they were going; else back to the login page."""
    pending = session.get(_PENDING)
    if not pending:
        abort(redirect(url_for("auth.login")))
    # Locked for the rest of a POST: two requests racing with one code cannot both pass the
    # replay check on PostgreSQL (SQLite transactions are already serialized, see db.py).
    user = get_session().get(User, pending["uid"], with_for_update=request.method == "POST")
    if now.timestamp() - float(pending["at"]) > PENDING_SECONDS:
        session.pop(_PENDING, None)
        flash("The sign-in took longer than 5 minutes. Please sign in again.", "info")
        abort(redirect(url_for("auth.login")))
    if user is None or not user.is_active or pending.get("epoch") != user.session_epoch:
        # Gone, or its sessions were ended (new password, MFA reset) since the password step.
        session.pop(_PENDING, None)
        abort(redirect(url_for("auth.login")))
    return user, pending["next"]


def _second_factor(template: str, form, recovery: bool):
    """The code or recovery-code step of a sign-in; wrong codes count toward the lock-out."""
    now = utcnow()
    user, target = _pending_user(now)
    if not user.has_mfa:  # reset by an admin meanwhile: start again
        session.pop(_PENDING, None)
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        db = get_session()
        kind = "recovery code" if recovery else "totp"
        if user_service.verify_second_factor(db, user, form.code.data, now, recovery=recovery):
            user_service.complete_login(user, now)
            audit.record(db, _origin(user), "mfa_recovery_used" if recovery else "mfa_code_ok",
                         "user", user.id, now=now)
            audit.record(db, _origin(user), "login", "user", user.id, now=now, context="mfa")
            left = user_service.recovery_codes_left(db, user)
            commit(db)
            _sign_in(user, now)
            if recovery:
                flash(f"You signed in with a recovery code; {left} left. Set up a new device "
                      "from your account page if you lost yours.", "warning")
            return redirect(target)
        audit.record(db, _origin(user), "mfa_code_refused", "user", user.id, now=now,
                     outcome="denied", context=kind)
        commit(db)
        if user_service.is_locked(user, now):
            session.pop(_PENDING, None)
            flash("Too many wrong codes: the account is locked for a while. Try again later or "
                  "ask an administrator.", "danger")
            return redirect(url_for("auth.login"))
        form.code.errors.append("That code is not right, or it was already used.")
    return render_template(template, form=form), 422 if form.errors else 200


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    return _second_factor("auth/code.html", TotpCodeForm(), recovery=False)


@bp.route("/login/recovery", methods=["GET", "POST"])
@public
def login_recovery():
    return _second_factor("auth/recovery.html", RecoveryCodeForm(), recovery=True)


def _enrolment(user: User, form, cancel_url: str) -> dict:
    """What the enrolment page shows: the QR code and the key typed by hand."""
    secret = user_service.begin_totp_enrolment(user)
    return {
        "form": form,
        "qr_svg": Markup(user_service.totp_qr_svg(user, secret, TOTP_ISSUER)),
        "secret_groups": [secret[i:i + 4] for i in range(0, len(secret), 4)],
        "cancel_url": cancel_url,
    }


def _enrol(user: User, origin: Actor, after_login: bool):
    """Show the QR code, then confirm it with a code; the recovery codes are shown once."""
    db, now = get_session(), utcnow()
    form = TotpCodeForm()
    if form.validate_on_submit():
        try:
            codes = user_service.confirm_totp_enrolment(
                db, user, form.code.data, now, current_app.config.get("PASSWORD_HASH_FAST", False))
        except (ValidationFailed, Conflict) as error:
            form.code.errors.append(error.message)
        else:
            audit.record(db, origin, "mfa_enrol", "user", user.id, now=now)
            if after_login:
                user_service.complete_login(user, now)
                audit.record(db, origin, "login", "user", user.id, now=now, context="mfa enrolled")
            commit(db)
            return codes
    cancel = url_for("auth.login") if after_login else url_for("auth.account")
    page = _enrolment(user, form, cancel)
    commit(db)  # keeps a new pending secret, so the QR code stays the same on reload
    return _no_store(render_template("auth/enrol.html", forced=after_login, **page),
                     422 if form.errors else 200)


@bp.route("/login/enrol", methods=["GET", "POST"])
@public
def login_enrol():
    """Forced enrolment: the user's role must use MFA and they have not set it up yet."""
    user, target = _pending_user(utcnow())
    if user.has_mfa:
        return redirect(url_for("auth.login_code"))
    result = _enrol(user, _origin(user), after_login=True)
    if not isinstance(result, list):
        return result
    _sign_in(user, utcnow())
    return _no_store(render_template("auth/recovery_codes.html", codes=result, next_url=target))


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        db = get_session()
        # Every copy of this session's cookie ends with it (and the user's other sessions).
        user_service.end_sessions(current_user)
        audit.record(db, current_actor(), "logout", "user", current_user.id, now=utcnow())
        commit(db)
        logout_user()
        session.clear()
    return redirect(url_for("auth.login"))


# --- the user's own account -------------------------------------------------------------------


def _account_page(disable_form=None, status: int = 200):
    db = get_session()
    user = current_user._get_current_object()
    return render_template(
        "auth/account.html", user=user,
        codes_left=user_service.recovery_codes_left(db, user) if user.has_mfa else 0,
        required=user_service.mfa_required(user, _required_roles()),
        disable_form=disable_form or TotpCodeForm(formdata=None), button=EmptyForm(),
    ), status


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@requires(Permission.VIEW_WORK)
def account_sign_out_everywhere():
    """End every session of the signed-in user, this one included (a laptop left signed in
    somewhere, a cookie that may have been copied)."""
    if EmptyForm().validate_on_submit():
        db = get_session()
        admin_service.sign_out_everywhere(db, current_user._get_current_object(),
                                          current_actor(), utcnow())
        commit(db)
        logout_user()
        session.clear()
        flash("You were signed out on every device and browser. Sign in again here.", "success")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.account"))


@bp.route("/account/token/revoke", methods=["POST"])
@requires(Permission.VIEW_WORK)
def account_token_revoke():
    """Revoke the API token issued to the signed-in user (only an administrator issues one)."""
    if EmptyForm().validate_on_submit():
        db = get_session()
        if admin_service.revoke_token(db, current_user._get_current_object(), current_actor(),
                                      utcnow()):
            flash("Your API token is revoked: programs using it are refused from now on.",
                  "success")
        commit(db)
    return redirect(url_for("auth.account"))


@bp.route("/account")
@requires(Permission.VIEW_WORK)
def account():
    return _account_page()


@bp.route("/account/mfa", methods=["GET", "POST"])
@requires(Permission.VIEW_WORK)
def account_mfa():
    user = current_user._get_current_object()
    if user.has_mfa:
        flash("Two-factor authentication is already on.", "info")
        return redirect(url_for("auth.account"))
    result = _enrol(user, current_actor(), after_login=False)
    if not isinstance(result, list):
        return result
    bind_session(user)  # enrolling ended the user's other sessions; this one goes on
    return _no_store(render_template("auth/recovery_codes.html", codes=result,
                                     next_url=url_for("auth.account")))


@bp.route("/account/mfa/disable", methods=["POST"])
@requires(Permission.VIEW_WORK)
def account_mfa_disable():
    db, now = get_session(), utcnow()
    user = current_user._get_current_object()
    form = TotpCodeForm()
    if form.validate_on_submit() and user.has_mfa:
        try:
            user_service.disable_totp(db, user, form.code.data, now, _required_roles())
        except Conflict as error:
            flash(error.message, "danger")
            return redirect(url_for("auth.account"))
        except ValidationFailed as error:
            audit.record(db, current_actor(), "mfa_code_refused", "user", user.id, now=now,
                         outcome="denied", context="turning mfa off")
            commit(db)  # the failure counts toward the lock-out
            form.code.errors.append(error.message)
        else:
            audit.record(db, current_actor(), "mfa_disable", "user", user.id, now=now)
            commit(db)
            bind_session(user)  # the user's other sessions ended; this one goes on
            flash("Two-factor authentication is off.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(form, 422)
