"""The `workqueue` command: collects the subcommands that live in ``workqueue.commands``."""

import importlib
import pkgutil

import click

import workqueue.commands


@click.group()
def cli() -> None:
    """Infusion revenue-cycle work queues: operator commands."""


def _register_commands() -> None:
    for info in sorted(pkgutil.iter_modules(workqueue.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"workqueue.commands.{info.name}")
        for command in getattr(module, "commands", []):
            cli.add_command(command)


def main() -> None:
    _register_commands()
    cli(prog_name="workqueue")
