"""Infusion coding check: admin CPT codes, HCPCS drug lines and denial findings for one visit.

Pure domain code (no Flask, database or Redis): the drug catalog and the coding rules are
passed in as data, so the same function serves the CLI, the visit page and the auth ledger.
"""

from workqueue.domain.coding.model import (
    Access,
    Administration,
    Authorization,
    CodingResult,
    CodingRules,
    Device,
    DrugCatalog,
    DrugEntry,
    Family,
    Finding,
    InvalidVisit,
    Line,
    Route,
    Service,
    Setting,
    Severity,
    Visit,
)
from workqueue.domain.coding.serialization import parse_visit, result_to_dict
from workqueue.domain.coding.tables import load_default_tables
from workqueue.domain.coding.visit import code_visit

__all__ = [
    "Access",
    "Administration",
    "Authorization",
    "CodingResult",
    "CodingRules",
    "Device",
    "DrugCatalog",
    "DrugEntry",
    "Family",
    "Finding",
    "InvalidVisit",
    "Line",
    "Route",
    "Service",
    "Setting",
    "Severity",
    "Visit",
    "code_visit",
    "load_default_tables",
    "parse_visit",
    "result_to_dict",
]
