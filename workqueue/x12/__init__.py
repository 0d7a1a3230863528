"""X12 EDI (HIPAA 5010): a streaming envelope reader, the 835 remittance, 271 eligibility
and 277 claim status interpreters (what they share: element readers in ``elements``, the
segment dispatch and the 271/277 transaction handling in ``transactions``), the 835 JSON
report and synthetic writers for tests, benchmarks and demo data."""
