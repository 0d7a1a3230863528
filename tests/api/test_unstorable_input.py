"""The API answers input no database can store like any other bad request, in JSON: a NUL
character in a query parameter is a 400, an id beyond 32 bits in the path a 404."""

HUGE = "99999999999999999999"


def test_the_api_answers_the_same_cases_in_json(api_as):
    api = api_as("supervisor")
    nul = api.get("/api/v1/work-items?kind=%00")
    assert nul.status_code == 400 and nul.get_json()["error"]["code"] == "bad_request"
    huge = api.get(f"/api/v1/work-items/{HUGE}")
    assert huge.status_code == 404 and huge.get_json()["error"]["code"] == "not_found"
