"""Missed deadlines (pure): the rule, where missed and met deadlines rank, the words on cards,
and which decisions the status table allows."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import NOW
from workqueue.domain.deadlines import (
    DEADLINE_BINDS,
    MissedDecision,
    binding_deadline,
    decision_walk,
    decisions_for,
    is_deadline_missed,
)
from workqueue.domain.rules import deadline_phrase, priority_parts, priority_score
from workqueue.domain.status import TRANSITIONS, WorkItemKind, check_transition

TODAY = NOW.date()
D = MissedDecision


@pytest.mark.parametrize(("days", "status", "missed"), [
    (-260, "new", True),
    (-1, "triaged", True),
    (0, "triaged", False),  # due today is still ahead
    (20, "new", False),
    (-260, "appeal_submitted", False),  # filed in time: nothing left to miss
    (-30, "write_off", False),
])
def test_missed_means_deadline_before_today_while_it_binds(days, status, missed):
    deadline = TODAY + timedelta(days=days)
    assert is_deadline_missed("denial", status, deadline, TODAY) is missed


def test_no_deadline_is_never_missed():
    assert not is_deadline_missed("prior_auth", "new", None, TODAY)


def test_a_deadline_passed_260_days_ago_ranks_below_a_77380_appeal_due_in_20_days():
    created = TODAY - timedelta(days=400)
    dead = priority_score(Decimal("90000"), TODAY - timedelta(days=260), created, missed=True)
    submitted = priority_score(Decimal("90000"),
                               binding_deadline("denial", "appeal_submitted",
                                                TODAY - timedelta(days=260)), created)
    live = priority_score(Decimal("77380"), TODAY + timedelta(days=20), TODAY - timedelta(days=3))
    far = priority_score(Decimal("10"), TODAY + timedelta(days=700), TODAY)
    assert live > far > submitted > dead
    # among missed items, more dollars first
    assert priority_score(500, TODAY, created, missed=True) < dead


@pytest.mark.parametrize(("days", "kind", "words"), [
    (-260, "appeal", "appeal deadline passed 260 days ago"),
    (-1, "timely_filing", "filing limit passed 1 day ago"),
    (-3, "auth_expiry", "auth expired 3 days ago"),
    (0, "appeal", "appeal due today"),
    (20, "appeal", "appeal due in 20 days"),
    (14, "late_appeal", "late appeal due in 14 days"),
])
def test_cards_never_show_negative_days(days, kind, words):
    assert deadline_phrase(TODAY + timedelta(days=days), kind, TODAY) == words
    parts = priority_parts(Decimal("77380"), TODAY + timedelta(days=days), kind,
                           TODAY - timedelta(days=300), TODAY)
    assert parts == ["$77,380", words, "300 d old"]
    assert not any("-" in part for part in parts)


@pytest.mark.parametrize(("kind", "status", "offered"), [
    ("denial", "new", [D.LATE_APPEAL, D.WRITE_OFF]),
    ("denial", "triaged", [D.LATE_APPEAL, D.WRITE_OFF]),
    ("denial", "appeal_drafting", [D.LATE_APPEAL]),
    ("denial", "upheld", [D.LATE_APPEAL, D.WRITE_OFF, D.CLOSE]),
    ("ar_followup", "in_progress", [D.LATE_APPEAL, D.WRITE_OFF]),
    ("prior_auth", "new", [D.CLOSE]),
    ("prior_auth", "denied", [D.LATE_APPEAL, D.CLOSE]),
    ("eligibility", "verifying", [D.CLOSE]),
])
def test_only_the_decisions_the_status_table_allows_are_offered(kind, status, offered):
    assert decisions_for(kind, status) == offered


def test_a_late_appeal_on_a_new_denial_walks_through_triage():
    assert decision_walk("denial", "new", D.LATE_APPEAL) == ("triaged", "appeal_drafting")
    assert decision_walk("denial", "appeal_drafting", D.LATE_APPEAL) == ()
    assert decision_walk("prior_auth", "new", D.CLOSE) == ("cancelled",)


@pytest.mark.parametrize(("kind", "status"), [
    (kind, status) for kind, statuses in DEADLINE_BINDS.items() for status in statuses])
def test_every_missed_item_has_a_way_out_and_every_walk_follows_the_status_table(kind, status):
    assert decisions_for(kind, status)  # the page hides "Move to": a decision must exist
    for decision in decisions_for(kind, status):
        current = status
        for step in decision_walk(kind, status, decision):
            current = check_transition(kind, current, step)  # raises if the table refuses
        assert current in TRANSITIONS[WorkItemKind(kind)]
