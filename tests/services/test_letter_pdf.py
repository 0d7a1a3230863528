"""The letter PDF: long lines and words longer than a line wrap inside the page, nothing clipped.

The PDF is read back with pypdf: every printed line's start and width (measured with the same
bundled font) must end before the right edge of the page, and the text must all be there.
"""

import io
import re
from importlib import resources

from fpdf import FPDF
from pypdf import PdfReader

from workqueue.services.letters import build_pdf

LONG_URL = "https://payer.example.test/medical-policies/" + "infliximab-step-therapy-" * 6 + "END"
LONG_LINE = ("The infusion record shows the start and stop times, the dose given and the "
             "wasted amount for each of the three visits, ") * 4 + "LAST-WORD"


def _font(name: str) -> str:
    return str(resources.files("workqueue").joinpath("data", "fonts", name))


def printed_lines(pdf: bytes) -> list[tuple[str, bool]]:
    """Each line pypdf reads from the PDF, and whether it runs past the page's right edge."""
    measure = FPDF(unit="pt")
    measure.add_font("DejaVu", "", _font("DejaVuSans-LGC.ttf"))
    measure.add_font("DejaVu", "B", _font("DejaVuSans-LGC-Bold.ttf"))
    lines = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        right = float(page.mediabox.width)

        def visit(text, cm, tm, font, size, right=right):
            if not text.strip():
                return
            measure.set_font("DejaVu", "B" if "Bold" in str((font or {}).get("/BaseFont")) else "",
                             size)
            lines.append((text, tm[4] + measure.get_string_width(text) > right))

        page.extract_text(visitor_text=visit)
    return lines


def test_long_lines_and_long_words_wrap_inside_the_page():
    text = f"## Policy\nSee {LONG_URL} for the criteria.\n- {LONG_LINE}\n\n{LONG_LINE}\n"
    lines = printed_lines(build_pdf(text, title="Appeal"))
    assert [line for line, past_edge in lines if past_edge] == []
    printed = re.sub(r"\s+", "", "".join(line for line, _ in lines))
    assert re.sub(r"\s+", "", LONG_URL) in printed  # the whole URL, in pieces that fit
    assert printed.count(re.sub(r"\s+", "", LONG_LINE)) == 2
