"""Roles, what each may do, and which kinds of work each role works (deny by default)."""

from enum import StrEnum

from workqueue.domain.status import WorkItemKind


class Role(StrEnum):
    COORDINATOR = "coordinator"
    DENIAL_SPECIALIST = "denial_specialist"
    AR_SPECIALIST = "ar_specialist"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW_WORK = "view_work"  # see worklists, items and the patient data on them
    WORK_ITEMS = "work_items"  # claim, note, transition, pend the items one may work
    CREATE_ITEMS = "create_items"
    ASSIGN = "assign"  # assign/reassign to others, bulk actions, auto-assignment rules
    VIEW_REPORTS = "view_reports"  # dashboards, board, CSV export
    IMPORT_FILES = "import_files"
    OPERATE_JOBS = "operate_jobs"  # operations page, retry failed jobs
    ADMINISTER = "administer"  # users, payer rules, queues, templates, catalogs
    VIEW_AUDIT = "view_audit"


_WORKER = frozenset({Permission.VIEW_WORK, Permission.WORK_ITEMS, Permission.CREATE_ITEMS})

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.COORDINATOR: _WORKER,
    Role.DENIAL_SPECIALIST: _WORKER | {Permission.IMPORT_FILES},
    Role.AR_SPECIALIST: _WORKER | {Permission.IMPORT_FILES},
    Role.SUPERVISOR: _WORKER
    | {
        Permission.ASSIGN,
        Permission.VIEW_REPORTS,
        Permission.IMPORT_FILES,
        Permission.OPERATE_JOBS,
    },
    Role.ADMIN: frozenset(Permission),
}

# The kinds of work each role may claim and change; supervisors and admins may touch all.
WORKABLE_KINDS: dict[Role, frozenset[WorkItemKind]] = {
    Role.COORDINATOR: frozenset({WorkItemKind.PRIOR_AUTH, WorkItemKind.ELIGIBILITY}),
    Role.DENIAL_SPECIALIST: frozenset({WorkItemKind.DENIAL}),
    Role.AR_SPECIALIST: frozenset({WorkItemKind.AR_FOLLOWUP, WorkItemKind.DENIAL}),
    Role.SUPERVISOR: frozenset(WorkItemKind),
    Role.ADMIN: frozenset(WorkItemKind),
}


def works_every_queue(role: str) -> bool:
    """Supervisors and admins see and work every queue without being one of its members."""
    return role in (Role.SUPERVISOR, Role.ADMIN)


def has_permission(role: str, permission: Permission) -> bool:
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def can_work_kind(role: str, kind: str) -> bool:
    try:
        return WorkItemKind(kind) in WORKABLE_KINDS[Role(role)]
    except ValueError:
        return False
