"""`workqueue create-user`, `revoke-token` and `sign-out-everywhere`: accounts for people and
API clients, and taking their access back from the command line (audited as the CLI)."""

from collections.abc import Callable

import click
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from workqueue import create_app
from workqueue.clock import utcnow
from workqueue.db import session_scope
from workqueue.domain.errors import DomainError
from workqueue.domain.roles import Role
from workqueue.models import User
from workqueue.services import admin as admin_service
from workqueue.services.audit import Actor
from workqueue.services.users import create_user, issue_api_token


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--display-name", default=None)
@click.option("--email", default=None)
@click.option("--token", is_flag=True, help="Also issue an API token (printed on the last line).")
def create_user_command(username, role, password, display_name, email, token) -> None:
    """Create a user with a role; with --token, print a new API bearer token last."""
    app = create_app()
    api_token = None
    try:
        with session_scope(app) as session:
            user = create_user(session, username, role, password, display_name=display_name,
                               email=email)
            if token:
                api_token = issue_api_token(user)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created user {user.username} ({role})")
    if api_token:
        click.echo(api_token)


def _on_user(username: str, act: Callable) -> object:
    """Run ``act(session, user, actor, now)`` on USERNAME in one transaction; an unknown user
    is a message on stderr and exit 1."""
    app = create_app()
    try:
        with session_scope(app) as session:
            user = session.scalar(select(User).where(User.username == username.strip().lower()))
            if user is None:
                raise click.ClickException(f"there is no user {username!r}")
            return act(session, user, Actor.system("cli"), utcnow())
    except OperationalError as error:
        raise click.ClickException("the database could not be reached "
                                   f"({error.__class__.__name__}); nothing changed") from None


@click.command("revoke-token")
@click.argument("username")
def revoke_token_command(username: str) -> None:
    """Revoke USERNAME's API token: every request with it gets 401 from now on (audited)."""
    if _on_user(username, admin_service.revoke_token):
        click.echo(f"API token of {username} revoked")
    else:
        click.echo(f"{username} had no API token; nothing changed")


@click.command("sign-out-everywhere")
@click.argument("username")
def sign_out_everywhere_command(username: str) -> None:
    """End every browser session of USERNAME, wherever its cookie is (audited)."""
    _on_user(username, admin_service.sign_out_everywhere)
    click.echo(f"every session of {username} ended")


commands = [create_user_command, revoke_token_command, sign_out_everywhere_command]
