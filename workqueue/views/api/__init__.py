"""The JSON API under /api/v1: bearer-token auth, JSON errors, and the route modules.

Route modules attach their views to ``bp`` and describe them in ``openapi_paths()``; to add
one, create ``workqueue/views/api/<name>.py`` and name it in ``_ROUTE_MODULES`` (see
``openapi.py`` for the steps).
"""

import importlib

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_ROUTE_MODULES = ("queues", "work_items", "work_item_actions", "letters", "openapi")

from workqueue.views.api.auth import register_authentication  # noqa: E402
from workqueue.views.api.errors import register_error_handlers  # noqa: E402

register_authentication(bp)
register_error_handlers(bp)
for _name in _ROUTE_MODULES:
    importlib.import_module(f"{__name__}.{_name}")


def register(app: Flask) -> None:
    """Register the blueprint; the API authenticates by token, so CSRF does not apply."""
    from workqueue.security import csrf

    csrf.exempt(bp)
    app.register_blueprint(bp)
