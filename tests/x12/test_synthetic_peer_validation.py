"""The synthetic 835 writer checked by a peer: pyx12 validates its files against the
005010X221A1 map (skipped when pyx12, an optional `bench` dependency, is not installed)."""

from __future__ import annotations

import io

import pytest

from workqueue.x12.synthetic import build_835

pyx12_context = pytest.importorskip("pyx12.x12context")
pyx12_errors = pytest.importorskip("pyx12.error_handler")
pyx12_params = pytest.importorskip("pyx12.params")


def test_pyx12_finds_no_errors_in_a_synthetic_835_with_every_scenario() -> None:
    # pyx12 reads one interchange per file, so several transactions in one interchange.
    text = build_835(claims=30, transactions=2, plb=True, seed=5)
    errors = pyx12_errors.err_handler()
    reader = pyx12_context.X12ContextReader(pyx12_params.params(), errors, io.StringIO(text))
    claims = sum(1 for node in reader.iter_segments("2100") if node.id == "2100")
    assert claims == 60
    assert errors.get_error_count() == 0
