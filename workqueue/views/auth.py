"""Sign in and sign out, with failed attempts audited and accounts locked after repeats."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from workqueue.db import commit, get_session
from workqueue.forms import EmptyForm, LoginForm
from workqueue.security import current_actor, public, utcnow
from workqueue.services import audit
from workqueue.services.audit import Actor
from workqueue.services.users import authenticate

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home (no open redirects)."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


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
        origin = Actor(user.id if user else None, str(user.role) if user else None, "web",
                       request.remote_addr, request.user_agent.string[:200])
        if user is None:
            audit.record(db, origin, "login_failed", "user", None, now=now, outcome="denied",
                         context="bad credentials or locked")
            commit(db)
            form.password.errors.append("Wrong username or password, or the account is locked.")
        else:
            audit.record(db, origin, "login", "user", user.id, now=now)
            commit(db)
            session.clear()
            login_user(user)
            session["last_seen"] = now.timestamp()
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        db = get_session()
        audit.record(db, current_actor(), "logout", "user", current_user.id, now=utcnow())
        commit(db)
        logout_user()
        session.clear()
    return redirect(url_for("auth.login"))
