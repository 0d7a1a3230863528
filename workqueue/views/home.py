"""The signed-in user's landing page (My work)."""

from flask import Blueprint, render_template

from workqueue.domain.roles import Permission
from workqueue.security import requires

bp = Blueprint("home", __name__)


@bp.route("/")
@requires(Permission.VIEW_WORK)
def index():
    return render_template("home/index.html")
