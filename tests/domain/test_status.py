"""The transition table, tested whole: every allowed pair passes, every other pair is refused."""

import pytest

from workqueue.domain.status import (
    TRANSITIONS,
    InvalidTransition,
    WorkItemKind,
    WorkItemStatus,
    check_transition,
    is_terminal,
)

ALLOWED = [
    (kind, src, dst)
    for kind, table in TRANSITIONS.items()
    for src, targets in table.items()
    for dst in targets
]
REFUSED = [
    (kind, src, dst)
    for kind, table in TRANSITIONS.items()
    for src, targets in table.items()
    for dst in WorkItemStatus
    if dst not in targets
]


@pytest.mark.parametrize(("kind", "src", "dst"), ALLOWED)
def test_allowed_transition_passes(kind, src, dst):
    assert check_transition(kind, src, dst.value) is dst


@pytest.mark.parametrize(("kind", "src", "dst"), REFUSED)
def test_other_transitions_are_refused_with_the_allowed_list(kind, src, dst):
    with pytest.raises(InvalidTransition) as caught:
        check_transition(kind, src, dst.value)
    assert caught.value.allowed == sorted(t.value for t in TRANSITIONS[kind][src])


def test_unknown_target_is_refused_not_crashing():
    with pytest.raises(InvalidTransition):
        check_transition(WorkItemKind.DENIAL, WorkItemStatus.NEW, "banana")


@pytest.mark.parametrize("kind", list(WorkItemKind))
def test_every_target_is_a_status_of_the_same_kind(kind):
    statuses = set(TRANSITIONS[kind])
    for targets in TRANSITIONS[kind].values():
        assert targets <= statuses


@pytest.mark.parametrize("kind", list(WorkItemKind))
def test_every_status_is_reachable_from_new_and_can_finish(kind):
    table = TRANSITIONS[kind]
    seen, frontier = {WorkItemStatus.NEW}, [WorkItemStatus.NEW]
    while frontier:
        for nxt in table[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(table)
    assert any(is_terminal(kind, s) for s in table)
