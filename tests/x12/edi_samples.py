"""Hand-written 835 building blocks for the X12 tests: envelopes with correct counts."""

from __future__ import annotations

from collections.abc import Sequence

ISA_TEMPLATE = ("ISA{e}00{e}          {e}00{e}          {e}ZZ{e}PAYERSENDER    {e}ZZ{e}"
                "RIVERBENDRCV   {e}261127{e}0930{e}{r}{e}00501{e}{control:09d}{e}0{e}T{e}{c}")

PAYMENT_HEADER = [
    "BPR*I*{amount}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20261120",
    "TRN*1*{trace}*1NWHP00001",
    "DTM*405*20261120",
    "N1*PR*NORTHWIND HEALTH PLAN",
    "N1*PE*RIVERBEND INFUSION CENTER*XX*1234567893",
]


def envelope(transactions: Sequence[Sequence[str]], *, control: int = 1, element: str = "*",
             component: str = ":", segment: str = "~", repetition: str = "^",
             line_break: str = "\n") -> str:
    """One interchange, one group, one ST/SE per body; bodies use '*' and ':' and are
    translated to the requested delimiters."""
    end = segment + line_break
    out = [ISA_TEMPLATE.format(e=element, r=repetition, c=component, control=control)]
    out.append(element.join(["GS", "HP", "PAYERSENDER", "RIVERBENDRCV", "20261127", "0930",
                             str(control), "X", "005010X221A1"]))
    for index, body in enumerate(transactions, start=1):
        st_control = f"{index:04d}"
        out.append(element.join(["ST", "835", st_control, "005010X221A1"]))
        out.extend(s.replace("*", element).replace(":", component) for s in body)
        out.append(element.join(["SE", str(len(body) + 2), st_control]))
    out.append(element.join(["GE", str(len(transactions)), str(control)]))
    out.append(element.join(["IEA", "1", f"{control:09d}"]))
    return end.join(out) + end


def payment(claims: Sequence[str], *, amount: str, trace: str = "EFT0001",
            plb: Sequence[str] = ()) -> list[str]:
    header = [s.format(amount=amount, trace=trace) for s in PAYMENT_HEADER]
    return header + list(claims) + list(plb)

