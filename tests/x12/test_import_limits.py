"""The reader's import limits: a file with too many segments, a claim or member with too many,
or a transaction with too many of its own (header, PLB) is refused at the segment that goes
over, naming the limit and where the loop began; envelopes, LX groups and many normal claims
are not counted against one claim."""

import io

import pytest

from tests.x12.edi_samples import envelope, payment
from tests.x12.edi_samples_27x import claim_277, file_271, file_277, member_271
from workqueue.domain.import_limits import ImportLimits
from workqueue.x12.elig271 import parse_eligibility
from workqueue.x12.reader import X12Error
from workqueue.x12.remit835 import parse_remittance
from workqueue.x12.status277 import parse_claim_statuses

TIGHT = ImportLimits(max_segments=1000, max_segments_per_claim=10, report_rows=5)
CLAIM = ["CLP*PCN-1*1*100*80**12*ICN", "CAS*CO*45*20"]


def _835(text: str, limits: ImportLimits = TIGHT):
    return parse_remittance(io.StringIO(text), limits=limits)


def test_a_claim_of_more_segments_than_the_limit_is_refused_where_it_goes_over():
    text = envelope([payment(["CLP*PCN-1*1*100*80**12*ICN"] + ["CAS*CO*45*2"] * 10,
                             amount="80")])
    with pytest.raises(X12Error) as error:
        _835(text)
    # ISA GS ST BPR TRN DTM N1 N1 = 8 segments, CLP at 9, its 11th segment at 19.
    assert error.value.segment == 19
    assert error.value.message == (
        "the claim that begins at segment 9 (CLP) has more than 10 segments, the most one "
        "claim or member may have (setting IMPORT_MAX_SEGMENTS_PER_CLAIM)")
    assert _835(text, ImportLimits(max_segments_per_claim=11)).payments[0].claim_count == 1


def test_many_claims_and_lx_groups_are_each_counted_on_their_own():
    claims = [s for n in range(40) for s in (f"LX*{n + 1}", f"CLP*PCN-{n}*1*100*80**12*ICN",
                                                    "CAS*CO*45*20")]
    remittance = _835(envelope([payment(claims, amount="3200")]))
    assert remittance.payments[0].claim_count == 40 and remittance.errors == []


def test_provider_adjustments_count_with_the_transactions_own_segments():
    plb = ["PLB*1234567893*20261231*L6:INT*-1"] * 4
    text = envelope([payment(CLAIM + ["CLP*PCN-2*1*100*80**12*ICN"], amount="164", plb=plb)])
    assert _835(text).payments[0].claim_count == 2  # ST, 5 header segments, 4 PLB: 10
    with pytest.raises(X12Error) as error:
        _835(envelope([payment(CLAIM, amount="87", plb=plb * 2)]))
    assert "the transaction that begins at segment 3 (ST) has more than 10 segments outside " \
        "its claims or members" in str(error.value)


def test_a_file_of_more_segments_than_the_limit_is_refused():
    claims = [s for n in range(600) for s in (f"CLP*PCN-{n}*1*100*80**12*ICN", "CAS*CO*45*20")]
    with pytest.raises(X12Error) as error:
        _835(envelope([payment(claims, amount="48000")]))
    assert error.value.segment == 1001
    assert error.value.message == ("the file has more than 1,000 segments, the most one "
                                   "import may read (setting IMPORT_MAX_SEGMENTS); split the "
                                   "file")


def test_a_271_member_and_a_277_claim_are_held_to_the_same_limit():
    member = member_271(3, "MEMLIMIT", ["EB*1**30"] * 9)
    with pytest.raises(X12Error) as error:
        parse_eligibility(io.StringIO(file_271(member)), limits=TIGHT)
    assert "the HL loop that begins at segment" in str(error.value)
    assert len(parse_eligibility(io.StringIO(file_271(member_271(3, "M1", ["EB*1**30"] * 5))),
                                 limits=TIGHT).results) == 1
    claim = claim_277(3, "PCN-1", "STC*F1:65*20261120", extra=["STC*F1:65*20261120"] * 8)
    with pytest.raises(X12Error) as error:
        parse_claim_statuses(io.StringIO(file_277(claim)), limits=TIGHT)
    assert "the claim that begins at segment" in str(error.value) and "(TRN)" in str(error.value)


def test_a_payers_rejections_do_not_pile_up_on_the_next_payers_members():
    text = file_271(member_271(3, "M1", ["EB*1**30"]))
    second_payer = ["HL*4**20*1", "NM1*PR*2*BLUE HERON MUTUAL*****PI*BHM552", "AAA*Y**42*R",
                    "HL*5*4*21*1", "NM1*1P*2*RIVERBEND INFUSION CENTER*****XX*1234567893",
                    *member_271(6, "M2", ["EB*1**30"])]
    third_payer = ["HL*7**20*1", "NM1*PR*2*CASCADIA CARE INSURANCE*****PI*CCI908",
                   "HL*8*7*21*1", "NM1*1P*2*RIVERBEND INFUSION CENTER*****XX*1234567893",
                   *member_271(9, "M3", ["EB*1**30"])]
    lines = text.split("~\n")
    se = next(i for i, line in enumerate(lines) if line.startswith("SE*"))
    body = second_payer + third_payer
    lines[se:se + 1] = body + [f"SE*{int(lines[se].split('*')[1]) + len(body)}*0001"]
    members = parse_eligibility(io.StringIO("~\n".join(lines))).results
    assert [len(m.rejections) for m in members] == [0, 1, 0]
