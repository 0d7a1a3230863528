"""Hand-written 271 and 277 building blocks for the tests: envelopes with correct counts."""

from __future__ import annotations

from collections.abc import Sequence

from tests.x12.edi_samples import ISA_TEMPLATE

_GROUP = {"271": ("HB", "005010X279A1"), "277": ("HN", "005010X212"),
          "837": ("HC", "005010X222A1")}
PAYER_271 = ["BHT*0022*11*REF271*20261127*0815", "HL*1**20*1",
             "NM1*PR*2*NORTHWIND HEALTH PLAN*****PI*NWHP01", "HL*2*1*21*1",
             "NM1*1P*2*RIVERBEND INFUSION CENTER*****XX*1234567893"]
PAYER_277 = ["BHT*0010*08*REF277*20261127*1030*DG", "HL*1**20*1",
             "NM1*PR*2*NORTHWIND HEALTH PLAN*****PI*NWHP01", "HL*2*1*21*1",
             "NM1*41*2*RIVERBEND INFUSION CENTER*****46*RIV01", "HL*3*2*19*1",
             "NM1*1P*2*RIVERBEND INFUSION CENTER*****XX*1234567893"]


def envelope_27x(kind: str, transactions: Sequence[Sequence[str]], *, control: int = 1) -> str:
    """One interchange and group of ``kind`` (271, 277, or 837 for a wrong-kind file)."""
    functional, version = _GROUP[kind]
    out = [ISA_TEMPLATE.format(e="*", r="^", c=":", control=control),
           "*".join(["GS", functional, "PAYERSENDER", "RIVERBENDRCV", "20261127", "0930",
                     str(control), "X", version])]
    for index, body in enumerate(transactions, start=1):
        st = f"{index:04d}"
        out.append("*".join(["ST", kind, st, version]))
        out.extend(body)
        out.append("*".join(["SE", str(len(body) + 2), st]))
    out += [f"GE*{len(transactions)}*{control}", f"IEA*1*{control:09d}"]
    return "~\n".join(out) + "~\n"


def member_271(hl: int, member_id: str, body: Sequence[str], *, last: str = "SAMPLE",
               first: str = "ALEX", birth: str = "19600101") -> list[str]:
    """A 2000C subscriber loop: HL, NM1*IL, DMG, then ``body`` (DTP, EB, MSG, AAA...)."""
    return [f"HL*{hl}*2*22*0", f"NM1*IL*1*{last}*{first}****MI*{member_id}",
            f"DMG*D8*{birth}*F"] + list(body)


def file_271(*members: list[str], bht: str | None = None) -> str:
    header = list(PAYER_271)
    if bht is not None:
        header[0] = bht
    return envelope_27x("271", [header + [s for m in members for s in m]])


def claim_277(hl: int, claim_number: str | None, stc: str, *, trace: str = "T1",
              icn: str = "ICN277", extra: Sequence[str] = ()) -> list[str]:
    """A 2000D subscriber with one 2200D claim: TRN, STC, REF*1K, REF*EJ, DTP*472."""
    out = [f"HL*{hl}*3*22*0", "NM1*IL*1*SAMPLE*ALEX****MI*ZZ100200300", f"TRN*2*{trace}",
           stc, f"REF*1K*{icn}"]
    if claim_number is not None:
        out.append(f"REF*EJ*{claim_number}")
    return out + ["DTP*472*RD8*20261001-20261001"] + list(extra)


def file_277(*claims: list[str]) -> str:
    return envelope_27x("277", [list(PAYER_277) + [s for c in claims for s in c]])
