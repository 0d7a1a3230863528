"""Providers: created only with a valid NPI, so no claim carries one a payer rejects."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from workqueue.domain.errors import Conflict, ValidationFailed
from workqueue.domain.identifiers import npi_problem
from workqueue.models import Provider


def create_provider(
    session: Session, npi: str, name: str, *, specialty: str | None = None
) -> Provider:
    """Add an ordering/rendering provider.

    The NPI is checked for shape and check digit only; enrollment is NPPES's business.

    :raise ValidationFailed: a bad NPI or an empty name.
    :raise Conflict: a provider with this NPI already exists.
    """
    npi = (npi or "").strip().replace(" ", "").replace("-", "")
    errors = {}
    problem = npi_problem(npi)
    if problem:
        errors["npi"] = problem
    if not name or not name.strip():
        errors["name"] = "A provider name is required."
    if errors:
        raise ValidationFailed(" ".join(errors.values()), errors)
    if session.scalar(select(Provider.id).where(Provider.npi == npi)) is not None:
        raise Conflict(f"A provider with NPI {npi} already exists.", {"npi": "taken"})
    provider = Provider(npi=npi, name=name.strip()[:120],
                        specialty=(specialty or "").strip()[:80] or None)
    session.add(provider)
    session.flush()
    return provider
