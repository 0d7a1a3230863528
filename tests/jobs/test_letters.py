"""Appeal letters through a real RQ worker: generation, edit, PDF, regeneration rules, retries."""

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.factories import NOW
from tests.jobs.conftest import drain, make_denial_case, scope
from workqueue.domain.errors import Conflict, StaleVersion
from workqueue.models import JobRequest, Letter, User, WorkItem
from workqueue.services import letters
from workqueue.services.audit import Actor


def _actor(session, username):
    user = session.scalar(select(User).where(User.username == username))
    return Actor.for_user(user)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_letter_end_to_end_produces_pdf_with_claim_number_and_denial_reason(jobs_app):
    case = make_denial_case(jobs_app, category="authorization", carc="197")
    with scope(jobs_app) as session:
        letter = letters.request_letter(session, case.item_id, _actor(session, case.specialist),
                                        NOW)
        letter_id = letter.id
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        letter = session.get(Letter, letter_id)
        assert letter.status == "generated" and letter.progress == 100
        assert case.claim_number in letter.draft and "MEMBER12345" in letter.draft
        assert [v.source for v in letter.versions] == ["generated"]
        letters.finalize_letter(session, letter_id, _actor(session, case.specialist), NOW,
                                expected_version=letter.version)
    with scope(jobs_app) as session:
        name, pdf = letters.letter_pdf(session, letter_id, _actor(session, case.specialist), NOW)
        text = _pdf_text(pdf)
        assert case.claim_number in text
        assert "ICN7700001" in text
        assert "Reason code 197" in text and "authorization" in text.lower()
        assert "14:00-15:40" in text  # infusion record with start and stop times
        assert str(case.claim_number) not in name  # no PHI in the file name
        row = session.scalar(select(JobRequest).where(JobRequest.job_id == f"letter-{letter_id}"))
        assert row.status == "done" and row.attempts == 1
        assert session.get(WorkItem, case.item_id).status == "appeal_drafting"


def test_editing_keeps_versions_and_refuses_a_stale_save(jobs_app):
    case = make_denial_case(jobs_app, category="medical_necessity", carc="50")
    with scope(jobs_app) as session:
        letter_id = letters.request_letter(session, case.item_id,
                                           _actor(session, case.specialist), NOW).id
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        actor = _actor(session, case.specialist)
        letter = session.get(Letter, letter_id)
        old_version = letter.version
        letters.save_draft(session, letter_id, letter.draft + "\nAdded paragraph.", actor, NOW,
                           expected_version=old_version)
    with scope(jobs_app) as session:
        actor = _actor(session, case.specialist)
        with pytest.raises(StaleVersion):
            letters.save_draft(session, letter_id, "Overwrite", actor, NOW,
                               expected_version=old_version)
    with scope(jobs_app) as session:
        letter = session.get(Letter, letter_id)
        assert [v.source for v in letter.versions] == ["generated", "edited"]
        assert letter.draft.rstrip().endswith("Added paragraph.")


def test_regenerating_never_makes_a_second_final_letter(jobs_app):
    case = make_denial_case(jobs_app)
    with scope(jobs_app) as session:
        actor = _actor(session, case.specialist)
        first = letters.request_letter(session, case.item_id, actor, NOW)
        # Asking again while it is being generated returns the same letter and job.
        assert letters.request_letter(session, case.item_id, actor, NOW).id == first.id
        letter_id = first.id
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        actor = _actor(session, case.specialist)
        letters.finalize_letter(session, letter_id, actor, NOW)
        letters.finalize_letter(session, letter_id, actor, NOW)  # double click: same letter
    with scope(jobs_app) as session:
        with pytest.raises(Conflict, match="final letter"):
            letters.request_letter(session, case.item_id, _actor(session, case.specialist), NOW)
    with scope(jobs_app) as session:
        assert session.scalar(select(func.count()).select_from(Letter)
                              .where(Letter.status == "final")) == 1
        assert session.scalar(select(func.count()).select_from(JobRequest)) == 1


def test_failure_marks_letter_failed_only_after_retries_are_exhausted(jobs_app, monkeypatch):
    case = make_denial_case(jobs_app)
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("renderer crashed for Patient Synthetic")  # message must not leak

    with scope(jobs_app) as session:
        letter_id = letters.request_letter(session, case.item_id,
                                           _actor(session, case.specialist), NOW).id
    monkeypatch.setattr(letters, "gather_facts", broken)
    seen = []
    real_record = letters.mark_letter_failed

    def spy(session, letter_id, *, error, now):
        seen.append(len(calls))
        real_record(session, letter_id, error=error, now=now)

    monkeypatch.setattr(letters, "mark_letter_failed", spy)
    drain(jobs_app, "letters")
    assert len(calls) == 4  # the first try and three retries
    assert seen == [4]  # the row was marked failed once, after the last one
    with scope(jobs_app) as session:
        letter = session.get(Letter, letter_id)
        assert letter.status == "failed" and "RuntimeError" in letter.error
        assert "Synthetic" not in letter.error
        row = session.scalar(select(JobRequest).where(JobRequest.job_id == f"letter-{letter_id}"))
        assert row.status == "failed" and row.attempts == 4 and "Synthetic" not in row.last_error
    # Retry from the letter panel once the cause is fixed.
    monkeypatch.undo()
    with scope(jobs_app) as session:
        letters.retry_letter(session, letter_id, _actor(session, case.specialist), NOW)
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        assert session.get(Letter, letter_id).status == "generated"


def test_unknown_category_without_generic_template_fails_without_retrying(jobs_app):
    case = make_denial_case(jobs_app)
    with scope(jobs_app) as session:
        from workqueue.models import LetterTemplate

        for template in session.scalars(select(LetterTemplate)):
            template.is_active = False
        letter_id = letters.request_letter(session, case.item_id,
                                           _actor(session, case.specialist), NOW).id
    drain(jobs_app, "letters")
    with scope(jobs_app) as session:
        letter = session.get(Letter, letter_id)
        assert letter.status == "failed" and "No active letter template" in letter.error
        row = session.scalar(select(JobRequest).where(JobRequest.job_id == f"letter-{letter_id}"))
        assert row.attempts == 1
