"""The letters API: 202 on request, status polling with a PDF link once final, the PDF."""

from sqlalchemy import select

from tests.jobs.conftest import drain, make_denial_case, scope
from workqueue.models import User
from workqueue.services.users import issue_api_token


def _headers(app, username):
    with scope(app) as session:
        token = issue_api_token(session.scalar(select(User).where(User.username == username)))
    return {"Authorization": f"Bearer {token}"}


def test_request_poll_and_download_a_letter(jobs_app):
    case = make_denial_case(jobs_app)
    client = jobs_app.test_client()
    headers = _headers(jobs_app, case.specialist)
    response = client.post(f"/api/v1/work-items/{case.item_id}/letters", headers=headers,
                           json={"finalize": True})
    assert response.status_code == 202
    letter = response.get_json()["letter"]
    assert letter["status"] == "requested"
    again = client.post(f"/api/v1/work-items/{case.item_id}/letters", headers=headers)
    assert again.status_code == 202 and again.get_json()["letter"]["id"] == letter["id"]
    polled = client.get(f"/api/v1/letters/{letter['id']}", headers=headers).get_json()["letter"]
    assert polled["links"]["pdf"] is None and polled["progress"] == 0
    drain(jobs_app, "letters")
    polled = client.get(f"/api/v1/letters/{letter['id']}", headers=headers).get_json()["letter"]
    assert polled["status"] == "final" and polled["pdf_sha256"]
    pdf = client.get(polled["links"]["pdf"], headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    conflict = client.post(f"/api/v1/work-items/{case.item_id}/letters", headers=headers)
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "conflict"


def test_letter_api_errors(jobs_app):
    case = make_denial_case(jobs_app)
    client = jobs_app.test_client()
    headers = _headers(jobs_app, case.specialist)
    assert client.get("/api/v1/letters/999999", headers=headers).status_code == 404
    assert client.post("/api/v1/work-items/999999/letters", headers=headers).status_code == 404
    bad = client.post(f"/api/v1/work-items/{case.item_id}/letters", headers=headers,
                      json={"finalize": "soon"})
    assert bad.status_code == 422
    assert client.get("/api/v1/letters/1").status_code == 401
    letter = client.post(f"/api/v1/work-items/{case.item_id}/letters", headers=headers,
                         json={}).get_json()["letter"]
    assert client.get(f"/api/v1/letters/{letter['id']}/pdf", headers=headers).status_code == 409
