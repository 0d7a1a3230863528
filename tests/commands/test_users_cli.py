"""`workqueue revoke-token USERNAME` and `workqueue sign-out-everywhere USERNAME` as the
installed console script, on a committed database: the token gets 401 afterwards, the session
cookie is refused, both are audited as the CLI, and an unknown user is a message on stderr."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from tests.conftest import AuthActions
from tests.factories import make_user
from tests.jobs.conftest import scope
from workqueue.models import AuditEvent
from workqueue.services.users import issue_api_token

SCRIPT = Path(sys.executable).with_name("workqueue")


def _run(tmp_path, database_url, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env |= {"DATABASE_URL": database_url, "WORKQUEUE_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=120,
                          check=False, env=env)


def test_revoke_token_from_the_command_line(committed_app, tmp_path):
    with scope(committed_app) as session:
        user = make_user(session, "supervisor")
        token, username, user_id = issue_api_token(user), user.username, user.id
    api = committed_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/queues", headers=headers).status_code == 200
    url = committed_app.config["DATABASE_URL"]
    done = _run(tmp_path, url, "revoke-token", username)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"API token of {username} revoked"
    assert api.get("/api/v1/queues", headers=headers).status_code == 401
    again = _run(tmp_path, url, "revoke-token", username)
    assert again.returncode == 0 and "had no API token; nothing changed" in again.stdout
    with scope(committed_app) as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.object_id == str(user_id), AuditEvent.context == "api token revoked")
        ).one()
        assert (event.channel, event.user_id) == ("cli", None)


def test_sign_out_everywhere_from_the_command_line(committed_app, tmp_path):
    with scope(committed_app) as session:
        username = make_user(session, "coordinator").username
    browser = committed_app.test_client()
    assert AuthActions(browser).login(username).status_code == 302
    assert browser.get("/").status_code == 200
    done = _run(tmp_path, committed_app.config["DATABASE_URL"], "sign-out-everywhere", username)
    assert done.returncode == 0, done.stderr
    assert browser.get("/").status_code == 302


def test_an_unknown_user_is_a_message_not_a_traceback(committed_app, tmp_path):
    done = _run(tmp_path, committed_app.config["DATABASE_URL"], "revoke-token", "nobody")
    assert done.returncode == 1
    assert "there is no user 'nobody'" in done.stderr and "Traceback" not in done.stderr
