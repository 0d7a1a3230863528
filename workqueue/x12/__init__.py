"""X12 EDI (HIPAA 5010): a streaming envelope reader, the 835 remittance interpreter,
its JSON report and a synthetic 835 writer for tests, benchmarks and demo data."""
