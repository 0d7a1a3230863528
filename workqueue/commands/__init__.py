"""Subcommands of the `workqueue` CLI, one module per area.

Each module exposes a module-level list ``commands`` of click commands; ``workqueue.cli``
collects them, so adding an area never means editing a central file.
"""
