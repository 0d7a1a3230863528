"""Pure domain rules: no Flask, no database session, no Redis, no RQ."""
