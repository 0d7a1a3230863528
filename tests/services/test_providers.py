"""Providers are only created with an NPI that passes the check-digit test."""

import pytest
from sqlalchemy import func, select

from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.models import Provider
from workqueue.services.providers import create_provider


def test_provider_with_a_valid_npi_is_created(session):
    provider = create_provider(session, "1234567893", "Dr. Ada Synthetic", specialty="Oncology")
    assert session.get(Provider, provider.id).npi == "1234567893"


def test_bad_check_digit_is_refused_with_the_field_named(session):
    with pytest.raises(ValidationFailed) as error:
        create_provider(session, "1234567890", "Dr. Ada Synthetic")
    assert "check digit" in error.value.details["npi"]
    assert session.scalar(select(func.count()).select_from(Provider)) == 0


def test_missing_name_and_short_npi_are_both_reported(session):
    with pytest.raises(ValidationFailed) as error:
        create_provider(session, "12345", " ")
    assert set(error.value.details) == {"npi", "name"}


def test_duplicate_npi_is_a_conflict(session):
    create_provider(session, "1558598797", "Dr. One")
    with pytest.raises(Conflict):
        create_provider(session, "1558-598-797", "Dr. Two")
