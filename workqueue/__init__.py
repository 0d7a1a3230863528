"""Infusion-center revenue-cycle work queues. ``create_app`` is the only entry point."""

from flask import Flask

from workqueue.config import PROJECT_ROOT, VAR_DIR, Config


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the Flask app; nothing runs at import time."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    from workqueue import clock, db, security
    from workqueue.views import register_blueprints

    if app.config.get("CLOCK"):
        clock.set_source(clock.from_setting(app.config["CLOCK"]))

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _local_secret_key()
    if app.config.get("PROXY_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    security.init_app(app)
    register_blueprints(app)
    return app


def _local_secret_key() -> str:
    """A per-install random session key for the laptop mode, kept across restarts.

    A fixed default key would let anyone forge a session cookie; deployments set SECRET_KEY.
    """
    import os
    import secrets

    path = VAR_DIR / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # exclusive create: processes starting together agree on the first key written
        with open(path, "x", opener=lambda p, flags: os.open(p, flags, 0o600)) as out:
            out.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return path.read_text().strip()
