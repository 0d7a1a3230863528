"""`workqueue create-user`: accounts for people and API clients."""

import click

from workqueue import create_app
from workqueue.db import session_scope
from workqueue.domain.errors import DomainError
from workqueue.domain.roles import Role
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


commands = [create_user_command]
