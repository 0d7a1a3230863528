"""X12 EDI (HIPAA 5010): a streaming envelope reader, the 835 remittance, 271 eligibility
and 277 claim status interpreters, the 835 JSON report and synthetic writers for tests,
benchmarks and demo data."""
