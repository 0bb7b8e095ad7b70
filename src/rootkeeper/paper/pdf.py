"""Drawing a sheet: pages, banners, wrapped text, typed lines and QR codes (reportlab and segno).

The only module that imports them, inside functions. Everything a person may have to type is
set in Courier Bold, one of the PDF standard fonts every reader has, with a slash drawn through
each zero so that it is never taken for an O. QR codes are drawn as vector squares (one path),
never as a scaled bitmap that a viewer might blur.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

MM = 72 / 25.4
SANS, SANS_BOLD, MONO = "Helvetica", "Helvetica-Bold", "Courier-Bold"
MONO_ADVANCE = 0.6  # Courier's advance width, in ems
PAPERS = ["a4", "letter"]  # the first is the default


def page_size(paper: str) -> tuple[float, float]:
    from reportlab.lib.pagesizes import A4, LETTER

    return {"a4": A4, "letter": LETTER}[paper]


def qr_matrix(text: str, error: str = "m") -> list[bytes]:
    """The QR code of ``text`` as rows of modules (1 dark), without the quiet zone."""
    import segno

    code = segno.make_qr(text, error=error, boost_error=False)
    return [bytes(row) for row in code.matrix]


@dataclass
class Page:
    """One page being drawn: the reportlab canvas and its size."""

    canvas: object
    width: float
    height: float
    margin: float = 15 * MM


class Document:
    """A PDF written to memory (never to a temporary file)."""

    def __init__(self, paper: str, title: str, subject: str) -> None:
        from reportlab import rl_config
        from reportlab.pdfgen import canvas

        rl_config.useA85 = 0  # binary (deflated) streams: a third smaller than ASCII85, and faster
        self.buffer = io.BytesIO()
        self.width, self.height = page_size(paper)
        self.canvas = canvas.Canvas(self.buffer, pagesize=(self.width, self.height), pageCompression=1,
                                    invariant=1)
        self.canvas.setTitle(title)
        self.canvas.setSubject(subject)
        self.canvas.setAuthor("rootkeeper")
        self.canvas.setCreator("rootkeeper")

    def page(self) -> Page:
        return Page(self.canvas, self.width, self.height)

    def next_page(self) -> None:
        self.canvas.showPage()

    def finish(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()


def banner(page: Page, text: str, y: float) -> None:
    """A black band across the page with ``text`` in white capitals (a classification marking)."""
    c = page.canvas
    c.setFillGray(0)
    c.rect(page.margin, y, page.width - 2 * page.margin, 16, stroke=0, fill=1)
    c.setFillGray(1)
    c.setFont(SANS_BOLD, 10)
    c.drawCentredString(page.width / 2, y + 4.6, text.upper())
    c.setFillGray(0)


def text(page: Page, x: float, y: float, value: str, *, font: str = SANS, size: float = 9) -> None:
    page.canvas.setFont(font, size)
    page.canvas.drawString(x, y, value)


def mono(page: Page, x: float, y: float, value: str, size: float) -> None:
    """Courier Bold, with a slash through every 0."""
    c = page.canvas
    c.setFont(MONO, size)
    c.drawString(x, y, value)
    advance = MONO_ADVANCE * size
    c.setLineWidth(size * 0.1)
    for index, ch in enumerate(value):
        if ch == "0":  # a short stroke inside the counter: it fits whichever Courier the reader substitutes
            left = x + index * advance
            c.line(left + advance * 0.36, y + size * 0.14, left + advance * 0.64, y + size * 0.5)


def mono_width(chars: int, size: float) -> float:
    return chars * MONO_ADVANCE * size


def wrapped(page: Page, x: float, y: float, value: str, width: float, *, font: str = SANS, size: float = 9,
            leading: float | None = None) -> float:
    """Draw ``value`` wrapped to ``width``; returns the y below it."""
    from reportlab.lib.utils import simpleSplit

    leading = leading or size * 1.3
    page.canvas.setFont(font, size)
    for line in simpleSplit(value, font, size, width):
        page.canvas.drawString(x, y, line)
        y -= leading
    return y


def line_count(value: str, width: float, *, font: str = SANS, size: float = 9) -> int:
    """How many lines ``wrapped`` draws for ``value``."""
    from reportlab.lib.utils import simpleSplit

    return len(simpleSplit(value, font, size, width))


def blank(page: Page, x: float, y: float, width: float, label: str) -> float:
    """A labelled line to write on by hand; returns the y below it."""
    c = page.canvas
    c.setFont(SANS, 8)
    c.drawString(x, y + 2, label)
    label_width = c.stringWidth(label, SANS, 8) + 6
    c.setLineWidth(0.5)
    c.line(x + label_width, y, x + width, y)
    return y - 24


def qr(page: Page, x: float, y: float, size: float, text_value: str, error: str = "m") -> None:
    """The QR code of ``text_value`` with its lower-left corner at (x, y), ``size`` wide, quiet zone
    outside it (the caller leaves four modules of white around)."""
    matrix = qr_matrix(text_value, error)
    modules = len(matrix)
    c = page.canvas
    c.saveState()
    # one unit = one module, from the code's top-left corner
    c.translate(x, y + size)
    c.scale(size / modules, -size / modules)
    ops = []
    for r, row in enumerate(matrix):
        col = 0
        while col < modules:
            if row[col]:
                start = col
                while col < modules and row[col]:
                    col += 1
                ops.append(f"{start} {r} {col - start} 1.04 re")  # a hair taller: no seam between rows
            else:
                col += 1
    c.setFillGray(0)
    c.addLiteral("\n".join(ops) + "\nf")  # whole numbers, written as such: a short, fast path
    c.restoreState()

