"""Synthetic 835 files: fake payers and patients, real infusion codes, balanced money.

Used by tests, the parsing benchmark and (later) the demo seed. Nothing here is real
PHI: names come from short made-up lists, member ids and claim numbers are generated.
Every file balances (line, claim and check rules of DOMAIN.md §4.2) and its envelope
counts are right, so a test that wants a broken file breaks one thing on purpose.

`write_835` streams segments to a text file so a 100 MB file costs no memory; it
returns a `SyntheticSummary` with the totals a reader must find.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TextIO

SCENARIOS = ("paid", "partial", "denied_claim", "denied_line", "reversal", "member_not_found")
_CENTS = Decimal("0.01")
_PAYERS = (("NORTHWIND HEALTH PLAN", "NWHP01"), ("BLUE HERON MUTUAL", "BHM552"),
           ("CASCADIA CARE INSURANCE", "CCI908"), ("MERIDIAN STATE MEDICAID", "MSM100"))
_PAYEE = ("RIVERBEND INFUSION CENTER", "1234567893")  # format-valid test NPI (DOMAIN §10.1)
_LAST = ("TESTPATIENT", "SAMPLE", "EXAMPLE", "DEMOSON", "FICTIVA", "MOCKLEY", "PLACEHOLD",
         "SYNTHE", "NOTREAL", "FAKEWOOD")
_FIRST = ("ALEX", "JORDAN", "CASEY", "RILEY", "MORGAN", "TAYLOR", "JAMIE", "AVERY", "QUINN",
          "DREW")
# (code, modifiers, units, unit price) — infusion encounters from DOMAIN.md §1.5.
_ENCOUNTERS: tuple[tuple[tuple[str, str, int, str], ...], ...] = (
    (("96413", "", 1, "310.00"), ("96415", "", 3, "68.00"), ("96375", "", 2, "55.00"),
     ("J9312", "JZ", 72, "98.40")),
    (("96365", "", 1, "215.00"), ("96366", "", 1, "62.00"), ("J1745", "JZ", 42, "121.15")),
    (("96365", "", 1, "215.00"), ("96366", "", 1, "62.00"), ("J1756", "JZ", 300, "0.85")),
    (("96372", "", 1, "48.00"), ("J0897", "JZ", 60, "33.75")),
    (("96377", "", 1, "90.00"), ("J2506", "", 12, "412.00")),
    (("96360", "", 1, "160.00"), ("96361", "", 1, "44.00")),
    (("96365", "", 1, "215.00"), ("J2350", "JZ", 600, "27.10")),
)
# (group, CARC, RARC or "") for whole-claim and single-line denials.
_CLAIM_DENIALS = (("CO", "197", "N54"), ("CO", "50", "N115"), ("CO", "16", "M127"),
                  ("CO", "29", ""), ("CO", "204", "N130"), ("CO", "B7", ""))
_LINE_DENIALS = (("CO", "97", "N122"), ("CO", "198", "N362"), ("CO", "151", "N640"),
                 ("CO", "4", "N657"), ("CO", "18", "N522"))


@dataclass(frozen=True, slots=True)
class SyntheticFormat:
    """Delimiters and line breaks of the file written."""

    element: str = "*"
    component: str = ":"
    segment: str = "~"
    repetition: str = "^"
    line_break: str = "\n"


@dataclass(slots=True)
class SyntheticSummary:
    """What a correct reader must find in the written file."""

    interchanges: int = 0
    transactions: int = 0
    claims: int = 0
    lines: int = 0
    total_charge: Decimal = Decimal(0)
    total_paid: Decimal = Decimal(0)
    total_payments: Decimal = Decimal(0)
    provider_adjustments: int = 0
    scenarios: dict[str, int] = field(default_factory=dict)


def build_835(**options: object) -> str:
    """Return a synthetic 835 as text; same options as `write_835`."""
    out = io.StringIO()
    write_835(out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def write_835(out: TextIO, *, claims: int = 10, scenarios: Sequence[str] = SCENARIOS,
              seed: int = 835, transactions: int = 1, interchanges: int = 1,
              plb: bool = False, fmt: SyntheticFormat = SyntheticFormat(),
              today: date = date(2026, 11, 27),
              claim_ids: Sequence[str] = (),
              payer: tuple[str, str] | None = None) -> SyntheticSummary:
    """Write a synthetic 835 file and return its totals.

    :param claims: CLP segments per transaction (a reversal scenario writes two: the
        reversal and its corrected claim).
    :param scenarios: cycled over the claims in order; see `SCENARIOS`.
    :param transactions: ST/SE sets per interchange (one GS per interchange).
    :param plb: add provider-level adjustments (interest paid, overpayment recovery).
    :param claim_ids: patient control numbers (CLP01) to use in order, so the file pays
        claims that exist in a database (the demo, screenshots); random ones after they run out.
    :param payer: ``(name, EDI id)`` of the payer sending every payment, named in N1*PR with
        its identifier (an import posts only the claims billed to it); default: a random
        payer of a fixed list per payment, by name only.
    """
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown or not scenarios:
        raise ValueError(f"unknown scenarios {sorted(unknown)}; use {SCENARIOS}")
    rng = random.Random(seed)
    summary = SyntheticSummary()
    ids = iter(claim_ids)
    for interchange in range(1, interchanges + 1):
        _write_interchange(out, rng, summary, interchange, claims, scenarios, transactions,
                           plb, fmt, today, ids, payer)
    return summary


def _write_interchange(out: TextIO, rng: random.Random, summary: SyntheticSummary,
                       number: int, claims: int, scenarios: Sequence[str], transactions: int,
                       plb: bool, fmt: SyntheticFormat, today: date,
                       ids: Iterator[str], payer: tuple[str, str] | None) -> None:
    e, end = fmt.element, fmt.segment + fmt.line_break
    control = f"{number:09d}"
    isa = e.join(["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "PAYERSENDER".ljust(15), "ZZ",
                  "RIVERBENDRCV".ljust(15), today.strftime("%y%m%d"), "0930", fmt.repetition,
                  "00501", control, "0", "T", fmt.component])
    out.write(isa + end)
    out.write(e.join(["GS", "HP", "PAYERSENDER", "RIVERBENDRCV", today.strftime("%Y%m%d"),
                      "0930", str(number), "X", "005010X221A1"]) + end)
    for index in range(1, transactions + 1):
        segments = list(_transaction(rng, summary, f"{index:04d}", claims, scenarios, plb, fmt,
                                     today, ids, payer))
        out.write(end.join(segments) + end)
        summary.transactions += 1
    out.write(e.join(["GE", str(transactions), str(number)]) + end)
    out.write(e.join(["IEA", "1", control]) + end)
    summary.interchanges += 1


def _money(value: Decimal) -> str:
    """X12 style: no trailing zeros beyond what is needed, e.g. 150, 150.5, 0."""
    text = f"{value.quantize(_CENTS):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _transaction(rng: random.Random, summary: SyntheticSummary, control: str, claims: int,
                 scenarios: Sequence[str], plb: bool, fmt: SyntheticFormat,
                 today: date, ids: Iterator[str],
                 payer: tuple[str, str] | None) -> Iterator[str]:
    e, c = fmt.element, fmt.component
    payer_name, payer_id = payer or rng.choice(_PAYERS)
    n1 = ["N1", "PR", payer_name] + (["XV", payer_id] if payer and payer_id else [])
    body: list[str] = []
    paid_total = Decimal(0)
    written = number = 0
    while written < claims:
        scenario = scenarios[number % len(scenarios)]
        if scenario == "reversal" and claims - written < 2:
            scenario = "paid"  # no room for the reversal and its corrected claim
        number += 1
        summary.scenarios[scenario] = summary.scenarios.get(scenario, 0) + 1
        body.append(e.join(["LX", str(number)]))
        for claim_segments, charge, paid, lines in _claims_for(rng, scenario, e, c, today,
                                                               ids):
            body.extend(claim_segments)
            paid_total += paid
            written += 1
            summary.claims += 1
            summary.lines += lines
            summary.total_charge += charge
            summary.total_paid += paid
    plb_segments: list[str] = []
    plb_total = Decimal(0)
    if plb:
        interest = Decimal(rng.randint(100, 2500)) / 100
        recovery = min(Decimal(rng.randint(1000, 9000)) / 100, paid_total / 2).quantize(_CENTS)
        pairs = [(f"L6{c}INT{control}", -interest)]
        if recovery > 0:
            pairs.append((f"WO{c}OVR{rng.randint(100000, 999999)}", recovery))
        fields = ["PLB", _PAYEE[1], f"{today.year}1231"]
        for reason, amount in pairs:
            fields += [reason, _money(amount)]
            plb_total += amount
            summary.provider_adjustments += 1
        plb_segments.append(e.join(fields))
    amount = paid_total - plb_total
    summary.total_payments += amount
    handling, method = ("I", "ACH") if amount > 0 else ("H", "NON")
    trace = f"{rng.randint(10**9, 10**10 - 1)}"
    pay_date = today - timedelta(days=rng.randint(0, 5))
    bpr = ["BPR", handling, _money(amount), "C", method]
    bpr += (["CCP", "01", "999999992", "DA", "123456", "1512345678", "", "01", "999988880",
             "DA", "98765"] if method == "ACH" else [""] * 11)
    bpr.append(pay_date.strftime("%Y%m%d"))
    header = [e.join(["ST", "835", control, "005010X221A1"]), e.join(bpr),
              e.join(["TRN", "1", trace, "1" + payer_id.ljust(9, "0")[:9]]),
              e.join(["DTM", "405", today.strftime("%Y%m%d")]),
              e.join(n1), e.join(["N3", "100 EXAMPLE WAY"]),
              e.join(["N4", "SPRINGFIELD", "IL", "62701"]),
              e.join(["PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"]),
              e.join(["N1", "PE", _PAYEE[0], "XX", _PAYEE[1]]),
              e.join(["REF", "TJ", "999999999"])]
    segments = header + body + plb_segments
    yield from segments
    yield e.join(["SE", str(len(segments) + 1), control])


def _claims_for(rng: random.Random, scenario: str, e: str, c: str, today: date,
                ids: Iterator[str]) -> Iterator[tuple[list[str], Decimal, Decimal, int]]:
    encounter = rng.choice(_ENCOUNTERS)
    claim_id = next(ids, f"RIV{rng.randint(10**7, 10**8 - 1)}")
    icn = f"{rng.randint(10**12, 10**13 - 1)}"
    patient = (rng.choice(_LAST), rng.choice(_FIRST), f"ZZ{rng.randint(10**8, 10**9 - 1)}")
    service = today - timedelta(days=rng.randint(20, 120))
    if scenario == "reversal":
        original = _claim(rng, "paid", encounter, claim_id, icn, patient, service, e, c,
                          negate=True)
        yield original
        corrected_icn = f"{rng.randint(10**12, 10**13 - 1)}"
        yield _claim(rng, "partial", encounter, claim_id, corrected_icn, patient, service, e,
                     c, negate=False)
        return
    yield _claim(rng, scenario, encounter, claim_id, icn, patient, service, e, c, negate=False)


def _claim(rng: random.Random, scenario: str,
           encounter: tuple[tuple[str, str, int, str], ...], claim_id: str, icn: str,
           patient: tuple[str, str, str], service: date, e: str, c: str,
           negate: bool) -> tuple[list[str], Decimal, Decimal, int]:
    sign = Decimal(-1) if negate else Decimal(1)
    claim_cas: list[str] = []
    line_segments: list[str] = []
    charge_total = paid_total = pr_total = Decimal(0)
    claim_denial = scenario in ("denied_claim", "member_not_found")
    denied_line = rng.randrange(len(encounter)) if scenario == "denied_line" else -1
    partial_line = len(encounter) - 1 if scenario == "partial" else -1
    claim_reason = rng.choice(_CLAIM_DENIALS)
    for index, (code, modifier, units, price) in enumerate(encounter):
        charge = (Decimal(price) * units).quantize(_CENTS)
        adjustments: list[tuple[str, str, Decimal, int | None]] = []
        remark = ""
        paid_units = units
        allowed: Decimal | None = None
        if scenario == "member_not_found":
            # The payer could not find the member: no line was adjudicated.
            charge_total += charge
            continue
        if claim_denial:
            group, reason, _ = claim_reason
            adjustments.append((group, reason, charge, None))
            paid = Decimal(0)
        elif index == denied_line:
            group, reason, remark = rng.choice(_LINE_DENIALS)
            adjustments.append((group, reason, charge, None))
            paid = Decimal(0)
        else:
            if index == partial_line and units > 1:
                paid_units = units - max(1, units // 4)
                cut = (Decimal(price) * (units - paid_units)).quantize(_CENTS)
                adjustments.append(("CO", "151", cut, units - paid_units))
                remark = "N362"
                billable = charge - cut
            else:
                billable = charge
            allowed = (billable * Decimal("0.62")).quantize(_CENTS, ROUND_HALF_UP)
            coinsurance = (allowed * Decimal("0.20")).quantize(_CENTS, ROUND_HALF_UP)
            adjustments.append(("CO", "45", billable - allowed, None))
            adjustments.append(("PR", "2", coinsurance, None))
            pr_total += coinsurance
            paid = allowed - coinsurance
        svc = ["SVC", c.join(["HC", code] + ([modifier] if modifier else [])),
               _money(sign * charge), _money(sign * paid), "", str(paid_units)]
        if paid_units != units:
            svc += ["", str(units)]
        line_segments.append(e.join(svc))
        line_segments.append(e.join(["DTM", "472", service.strftime("%Y%m%d")]))
        by_group: dict[str, list[str]] = {}
        for group, reason, amount, quantity in adjustments:
            by_group.setdefault(group, []).extend(
                [reason, _money(sign * amount), "" if quantity is None else str(quantity)])
        for group, triplets in by_group.items():
            while triplets and not triplets[-1]:
                triplets.pop()
            line_segments.append(e.join(["CAS", group] + triplets))
        line_segments.append(e.join(["REF", "6R", f"{claim_id}-{index + 1}"]))
        if allowed is not None:
            line_segments.append(e.join(["AMT", "B6", _money(sign * allowed)]))
        if remark:
            line_segments.append(e.join(["LQ", "HE", remark]))
        charge_total += charge
        paid_total += paid
    status = "1"
    moa: list[str] = []
    if scenario == "member_not_found":
        status = "4"
        claim_cas.append(e.join(["CAS", "CO", "31", _money(sign * charge_total)]))
    elif claim_denial and claim_reason[2]:
        moa = [e.join(["MOA", "", "", claim_reason[2]])]
    if negate:
        status = "22"
    clp = ["CLP", claim_id, status, _money(sign * charge_total), _money(sign * paid_total),
           _money(sign * pr_total) if pr_total else "", "12", icn, "11", "1"]
    while clp and not clp[-1]:
        clp.pop()
    segments = [e.join(clp)] + claim_cas + [
        e.join(["NM1", "QC", "1", patient[0], patient[1], "", "", "", "MI", patient[2]]),
        e.join(["NM1", "82", "2", "RIVERBEND INFUSION CENTER", "", "", "", "", "XX",
                _PAYEE[1]]),
    ] + moa + [e.join(["DTM", "050", (service + timedelta(days=3)).strftime("%Y%m%d")])]
    segments += line_segments
    lines = 0 if scenario == "member_not_found" else len(encounter)
    return segments, sign * charge_total, sign * paid_total, lines


# -- 271 eligibility responses and 277 claim status responses ----------------------------

ELIGIBILITY_SCENARIOS = ("active", "inactive", "not_found")
CLAIM_STATUS_SCENARIOS = ("accepted", "pending", "rejected", "paid", "denied", "info_requested")
# scenario -> (STC01 composite, action code)
_STC = {"accepted": ("A2:20:PR", "WQ"), "pending": ("P1:20:PR", ""),
        "rejected": ("A7:562:85", "U"), "paid": ("F1:65:PR", ""),
        "denied": ("F2:88:PR", ""), "info_requested": ("P3:294:1P", "")}


@dataclass(frozen=True, slots=True)
class SyntheticMember:
    """One member a 271 answers about (use the demo's or a test's coverage values)."""

    member_id: str
    last_name: str
    first_name: str
    birth_date: date = date(1958, 3, 14)


@dataclass(frozen=True, slots=True)
class SyntheticClaim:
    """One claim a 277 answers about: our claim number (REF*EJ) and its charge."""

    claim_number: str
    charge: Decimal = Decimal("1200.00")
    member_id: str = ""


def build_271(**options: object) -> str:
    """Return a synthetic 271 as text; same options as `write_271`."""
    out = io.StringIO()
    write_271(out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def write_271(out: TextIO, *, members: Sequence[SyntheticMember] = (), count: int = 5,
              scenarios: Sequence[str] = ELIGIBILITY_SCENARIOS, seed: int = 271,
              payer: tuple[str, str] = _PAYERS[0], fmt: SyntheticFormat = SyntheticFormat(),
              today: date = date(2026, 11, 27), control: int = 1) -> dict[str, int]:
    """Write a synthetic 271 (one transaction, one member per scenario in turn).

    :param members: who the payer answers about, in order; random members after them up to
        ``count`` in all.
    :param scenarios: cycled over the members: ``active`` (with deductible, out-of-pocket,
        coinsurance, copay and a PA-required infusion benefit), ``inactive`` (EB01 6) or
        ``not_found`` (AAA 75).
    Returns how many members of each scenario were written.
    """
    unknown = set(scenarios) - set(ELIGIBILITY_SCENARIOS)
    if unknown or not scenarios:
        raise ValueError(f"unknown scenarios {sorted(unknown)}; use {ELIGIBILITY_SCENARIOS}")
    rng = random.Random(seed)
    e, r = fmt.element, fmt.repetition
    people = list(members) + [
        SyntheticMember(f"ZZ{rng.randint(10**8, 10**9 - 1)}", rng.choice(_LAST),
                        rng.choice(_FIRST), date(rng.randint(1940, 2000), rng.randint(1, 12),
                                                 rng.randint(1, 28)))
        for _ in range(max(0, count - len(members)))]
    year = today.year
    body = [e.join(["BHT", "0022", "11", f"ELIG{seed}", today.strftime("%Y%m%d"), "0815"]),
            e.join(["HL", "1", "", "20", "1"]),
            e.join(["NM1", "PR", "2", payer[0], "", "", "", "", "PI", payer[1]]),
            e.join(["HL", "2", "1", "21", "1"]),
            e.join(["NM1", "1P", "2", _PAYEE[0], "", "", "", "", "XX", _PAYEE[1]])]
    written: dict[str, int] = {}
    for index, person in enumerate(people):
        scenario = scenarios[index % len(scenarios)]
        written[scenario] = written.get(scenario, 0) + 1
        body += [e.join(["HL", str(index + 3), "2", "22", "0"]),
                 e.join(["TRN", "2", f"{seed}-{index + 1}", "9RIVERBEND"]),
                 e.join(["NM1", "IL", "1", person.last_name, person.first_name, "", "", "",
                         "MI", person.member_id])]
        if scenario == "not_found":
            body.append(e.join(["AAA", "N", "", "75", "C"]))
            body.append(e.join(["DMG", "D8", person.birth_date.strftime("%Y%m%d")]))
            continue
        body += [e.join(["DMG", "D8", person.birth_date.strftime("%Y%m%d"),
                         rng.choice("FM")]),
                 e.join(["DTP", "346", "D8", f"{year}0101"])]
        if scenario == "inactive":
            body += [e.join(["DTP", "347", "D8", (today - timedelta(days=27)).strftime(
                "%Y%m%d")]),
                     e.join(["EB", "6", "", "30"]),
                     e.join(["MSG", "COVERAGE TERMINATED"])]
            continue
        deductible = Decimal(rng.choice((0, 150, 283, 500, 1250)))
        oop = Decimal(rng.choice((800, 2400, 3100, 5000)))
        body += [e.join(["EB", "1", "IND", r.join(["30", "1", "98"]), "PR", "PPO GOLD"]),
                 e.join(["EB", "C", "IND", "30", "", "", "23", _money(deductible * 2 + 500)]),
                 e.join(["EB", "C", "IND", "30", "", "", "29", _money(deductible), "", "", "",
                         "", "Y"]),
                 e.join(["EB", "G", "IND", "30", "", "", "29", _money(oop), "", "", "", "",
                         "Y"]),
                 e.join(["EB", "A", "IND", "98", "", "", "27", "", "0.2", "", "", "Y", "Y"]),
                 e.join(["MSG", "PRIOR AUTHORIZATION REQUIRED FOR INFUSED DRUGS"]),
                 e.join(["EB", "B", "IND", "98", "", "", "27", "35", "", "", "", "", "Y"]),
                 e.join(["EB", "A", "IND", "98", "", "", "27", "", "0.4", "", "", "", "N"])]
    _write_envelope(out, fmt, today, control, "HB", "271", "005010X279A1", body)
    return written


def build_277(**options: object) -> str:
    """Return a synthetic 277 as text; same options as `write_277`."""
    out = io.StringIO()
    write_277(out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def write_277(out: TextIO, *, claims: Sequence[SyntheticClaim] = (), count: int = 6,
              scenarios: Sequence[str] = CLAIM_STATUS_SCENARIOS, seed: int = 277,
              payer: tuple[str, str] = _PAYERS[0], fmt: SyntheticFormat = SyntheticFormat(),
              today: date = date(2026, 11, 27), control: int = 1) -> dict[str, int]:
    """Write a synthetic 277 (one transaction, one claim per scenario in turn).

    :param claims: the claims answered about (REF*EJ = our claim number), in order; random
        claim numbers after them up to ``count`` in all.
    :param scenarios: cycled over the claims; see `CLAIM_STATUS_SCENARIOS`.
    Returns how many claims of each scenario were written.
    """
    unknown = set(scenarios) - set(CLAIM_STATUS_SCENARIOS)
    if unknown or not scenarios:
        raise ValueError(f"unknown scenarios {sorted(unknown)}; use {CLAIM_STATUS_SCENARIOS}")
    rng = random.Random(seed)
    e = fmt.element
    items = list(claims) + [
        SyntheticClaim(f"RIV{rng.randint(10**7, 10**8 - 1)}",
                       Decimal(rng.randint(20000, 900000)) / 100)
        for _ in range(max(0, count - len(claims)))]
    body = [e.join(["BHT", "0010", "08", f"STAT{seed}", today.strftime("%Y%m%d"), "1030",
                    "DG"]),
            e.join(["HL", "1", "", "20", "1"]),
            e.join(["NM1", "PR", "2", payer[0], "", "", "", "", "PI", payer[1]]),
            e.join(["HL", "2", "1", "21", "1"]),
            e.join(["NM1", "41", "2", _PAYEE[0], "", "", "", "", "46", "RIVERBEND01"]),
            e.join(["HL", "3", "2", "19", "1"]),
            e.join(["NM1", "1P", "2", _PAYEE[0], "", "", "", "", "XX", _PAYEE[1]])]
    written: dict[str, int] = {}
    hl = 3
    for index, claim in enumerate(items):
        scenario = scenarios[index % len(scenarios)]
        written[scenario] = written.get(scenario, 0) + 1
        hl += 1
        composite, action = _STC[scenario]
        effective = today - timedelta(days=rng.randint(1, 6))
        service = today - timedelta(days=rng.randint(20, 90))
        paid = (claim.charge * Decimal("0.62")).quantize(_CENTS) if scenario == "paid" \
            else Decimal(0)
        stc = ["STC", composite.replace(":", fmt.component), effective.strftime("%Y%m%d"),
               action, _money(claim.charge), _money(paid)]
        if scenario in ("paid", "denied"):
            stc += [effective.strftime("%Y%m%d"), "", effective.strftime("%Y%m%d"),
                    f"{rng.randint(10**7, 10**8 - 1)}"]
        body += [e.join(["HL", str(hl), "3", "22", "0"]),
                 e.join(["NM1", "IL", "1", rng.choice(_LAST), rng.choice(_FIRST), "", "", "",
                         "MI", claim.member_id or f"ZZ{rng.randint(10**8, 10**9 - 1)}"]),
                 e.join(["TRN", "2", f"{seed}-{index + 1}"]),
                 e.join(stc),
                 e.join(["REF", "1K", f"{rng.randint(10**12, 10**13 - 1)}"]),
                 e.join(["REF", "EJ", claim.claim_number]),
                 e.join(["DTP", "472", "RD8", f"{service:%Y%m%d}-{service:%Y%m%d}"])]
    _write_envelope(out, fmt, today, control, "HN", "277", "005010X212", body)
    return written


def _write_envelope(out: TextIO, fmt: SyntheticFormat, today: date, number: int,
                    functional_id: str, code: str, version: str, body: list[str]) -> None:
    """One interchange, one group and one ST/SE around ``body``, counts right."""
    e, end = fmt.element, fmt.segment + fmt.line_break
    control = f"{number:09d}"
    isa = e.join(["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "PAYERSENDER".ljust(15), "ZZ",
                  "RIVERBENDRCV".ljust(15), today.strftime("%y%m%d"), "0930", fmt.repetition,
                  "00501", control, "0", "T", fmt.component])
    segments = [isa,
                e.join(["GS", functional_id, "PAYERSENDER", "RIVERBENDRCV",
                        today.strftime("%Y%m%d"), "0930", str(number), "X", version]),
                e.join(["ST", code, "0001", version]), *body,
                e.join(["SE", str(len(body) + 2), "0001"]),
                e.join(["GE", "1", str(number)]), e.join(["IEA", "1", control])]
    out.write(end.join(segments) + end)


# -- oversized files (the memory probe of issue 16) --------------------------------------------

OVERSIZED_SHAPES = {
    "835": ("cas", "claims", "problems"),
    "271": ("benefits", "members", "problems"),
    "277": ("statuses", "claims", "problems"),
}


def write_oversized(out: TextIO, kind: str, shape: str, size: int, *,
                    today: date = date(2026, 11, 27),
                    fmt: SyntheticFormat = SyntheticFormat(line_break="")) -> int:
    """Write a well-formed 835, 271 or 277 of about ``size`` characters made to exhaust a
    careless importer, streaming (it costs no memory); returns the number of segments.

    ``shape`` (`OVERSIZED_SHAPES`): one claim or member followed by the same segment over and
    over (835 ``cas`` — ``CAS*CO*45*0.01``, the 6.85 GB probe file; 271 ``benefits``; 277
    ``statuses``); a transaction of tiny claims or members (``claims``, ``members``); or of
    claims or members that cannot be read, one problem each (``problems``).
    """
    if shape not in OVERSIZED_SHAPES.get(kind, ()):
        raise ValueError(f"unknown {kind} shape {shape!r}; use {OVERSIZED_SHAPES.get(kind)}")
    e, c, end = fmt.element, fmt.component, fmt.segment + fmt.line_break
    payer_name, payer_id = _PAYERS[0]
    day = today.strftime("%Y%m%d")
    version = {"835": "005010X221A1", "271": "005010X279A1", "277": "005010X212"}[kind]
    head = [e.join(["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "PAYERSENDER".ljust(15),
                    "ZZ", "RIVERBENDRCV".ljust(15), today.strftime("%y%m%d"), "0930",
                    fmt.repetition, "00501", "000000001", "0", "T", c]),
            e.join(["GS", {"835": "HP", "271": "HB", "277": "HN"}[kind], "PAYERSENDER",
                    "RIVERBENDRCV", day, "0930", "1", "X", version]),
            e.join(["ST", kind, "0001", version])]
    if kind == "835":
        head += [e.join(["BPR", "H", "0", "C", "NON"] + [""] * 11 + [day]),
                 e.join(["TRN", "1", f"OVERSIZED-{shape.upper()}", "1" + payer_id]),
                 e.join(["N1", "PR", payer_name]),
                 e.join(["N1", "PE", _PAYEE[0], "XX", _PAYEE[1]])]
        if shape == "cas":
            head.append(e.join(["CLP", "OVERSIZED-1", "1", "0", "0", "", "12", "ICN1"]))
    else:
        head += [e.join(["BHT", "0022" if kind == "271" else "0010",
                         "11" if kind == "271" else "08", "OVERSIZED", day, "0930"]),
                 e.join(["HL", "1", "", "20", "1"]),
                 e.join(["NM1", "PR", "2", payer_name, "", "", "", "", "PI", payer_id]),
                 e.join(["HL", "2", "1", "21", "1"]),
                 e.join(["NM1", "1P", "2", _PAYEE[0], "", "", "", "", "XX", _PAYEE[1]])]
        if kind == "277" or shape == "benefits":
            head += [e.join(["HL", "3", "2", "22", "0"]),
                     e.join(["NM1", "IL", "1", "SAMPLE", "ALEX", "", "", "", "MI", "ZZ1"])]
        if shape == "statuses":
            head.append(e.join(["TRN", "2", "OVERSIZED-1"]))
    out.write(end.join(head) + end)
    written, segments = sum(len(s) + len(end) for s in head), len(head)
    number = 0
    while written < size:
        number += 1
        for segment in _oversized_unit(kind, shape, number, e, c):
            out.write(segment + end)
            written += len(segment) + len(end)
            segments += 1
    tail = [e.join(["SE", str(segments - 1), "0001"]), e.join(["GE", "1", "1"]),
            e.join(["IEA", "1", "000000001"])]
    out.write(end.join(tail) + end)
    return segments + 3


def _oversized_unit(kind: str, shape: str, number: int, e: str, c: str) -> list[str]:
    """What `write_oversized` repeats: one segment, or one tiny claim or member."""
    if shape == "cas":
        return [e.join(["CAS", "CO", "45", "0.01"])]
    if shape == "benefits":
        return [e.join(["EB", "1", "", "30"])]
    if shape == "statuses":
        return [e.join(["STC", c.join(["F1", "65"]), "20261120"])]
    if kind == "835":
        return [e.join(["CLP", f"PCN{number:08d}", "1", "100", "100", "", "12"])
                if shape == "claims" else e.join(["CLP", f"BAD{number:08d}", "1", "1X", "0"])]
    if kind == "271":
        return [e.join(["HL", str(number + 2), "2", "22", "0"]),
                e.join(["NM1", "IL", "1", "SAMPLE", "ALEX", "", "", "", "MI",
                        f"ZZ{number:08d}"]),
                e.join(["EB", "1" if shape == "members" else "ZZ", "", "30"])]
    return [e.join(["TRN", "2", f"T{number:08d}"]),
            e.join(["STC", c.join(["F1" if shape == "claims" else "ZZ", "65"]), "20261120"]),
            e.join(["REF", "EJ", f"PCN{number:08d}"])]
