"""How much one import may read and hold: the one place for the limits every file import
shares (X12 835/271/277 here; the CSV intake reads the same settings).

Why limits: the upload limit is 200 MB, and one crafted file (a claim of millions of CAS
segments, a file of hundreds of thousands of tiny claims) used to take an import worker to
several gigabytes. With these limits an import's memory does not grow with the file:

* ``max_segments`` (``IMPORT_MAX_SEGMENTS``): segments (CSV: rows) in one file. A file with
  more is refused before anything is changed, naming the limit and the position.
* ``max_segments_per_claim`` (``IMPORT_MAX_SEGMENTS_PER_CLAIM``): segments in one loop the
  importer holds in memory while it reads it — an 835 claim (CLP to the next CLP, LX, PLB or
  SE), a 271 member or a 277 claim (HL or TRN to the next), and the part of a transaction
  outside them (header and PLB provider adjustments). A real claim with 999 service lines has
  about 8,000; more is refused like a file that is too big.
* ``report_rows`` (``IMPORT_REPORT_MAX_ROWS``): how many problems, claims, members or payments
  a report holds and prints. Totals always count everything; the full lists are stored row by
  row (the run's downloads) or streamed to a report file, never held whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SEGMENTS_SETTING = "IMPORT_MAX_SEGMENTS"
SEGMENTS_PER_CLAIM_SETTING = "IMPORT_MAX_SEGMENTS_PER_CLAIM"
REPORT_ROWS_SETTING = "IMPORT_REPORT_MAX_ROWS"


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """The limits of one import; the defaults are those of the settings."""

    max_segments: int = 10_000_000
    max_segments_per_claim: int = 20_000
    report_rows: int = 1_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ImportLimits:
        """The limits an app is configured with (``app.config``)."""
        default = cls()
        return cls(int(config.get(SEGMENTS_SETTING, default.max_segments)),
                   int(config.get(SEGMENTS_PER_CLAIM_SETTING, default.max_segments_per_claim)),
                   int(config.get(REPORT_ROWS_SETTING, default.report_rows)))


DEFAULT_LIMITS = ImportLimits()
