"""Born-digital test documents of the kinds the dev sets show badly, with their truth.

    python -m bench.synth_forms OUT_DIR

writes `<doc>.pdf` beside `<doc>.json` (the scorer's shape, see ../shared/bench/README.md):

- `side-by-side-*`: two ruled tables next to each other, a narrow gutter between them;
- `form-grid-*`: a form of ruled boxes, each a label over a value, some boxes spanning columns;
- `watermark-*`: one ruled table running over three pages under a diagonal watermark (text,
  or a grey picture), its heading repeated on every page (one truth table per page);
- `lift-chart-*`: 12 ruled columns under a two-level heading (groups of three spanned);
- `invoice-*`: an address block, then a ruled line-items table, then the totals.

Variants change the font size and the rules (a full grid, or horizontal rules only where the
kind allows), so that nothing is tuned to one drawing. Everything is drawn with PyMuPDF.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

Box = tuple[float, float, float, float]


@dataclass
class TruthTable:
    page: int
    cells: list[dict] = field(default_factory=list)

    def add(self, row: int, col: int, text: str, box: Box, row_span: int = 1, col_span: int = 1) -> None:
        self.cells.append(
            {"row": row, "col": col, "row_span": row_span, "col_span": col_span, "text": text,
             "bbox": [round(v, 2) for v in box]}
        )

    def as_json(self) -> dict:
        x0 = min(c["bbox"][0] for c in self.cells)
        y0 = min(c["bbox"][1] for c in self.cells)
        x1 = max(c["bbox"][2] for c in self.cells)
        y1 = max(c["bbox"][3] for c in self.cells)
        return {"page": self.page, "bbox": [x0, y0, x1, y1], "cells": self.cells}


def _text(page: pymupdf.Page, box: Box, text: str, size: float, align: str = "left", bold: bool = False) -> None:
    """One line of text set inside a cell box, vertically centred, padded."""
    font = "hebo" if bold else "helv"
    width = pymupdf.get_text_length(text, fontname=font, fontsize=size)
    pad = 0.3 * size
    if align == "right":
        x = box[2] - pad - width
    elif align == "center":
        x = (box[0] + box[2] - width) / 2
    else:
        x = box[0] + pad
    y = (box[1] + box[3]) / 2 + 0.35 * size
    page.insert_text((x, y), text, fontsize=size, fontname=font)


def _hline(page: pymupdf.Page, y: float, x0: float, x1: float, width: float = 0.6) -> None:
    page.draw_line((x0, y), (x1, y), color=(0, 0, 0), width=width)


def _vline(page: pymupdf.Page, x: float, y0: float, y1: float, width: float = 0.6) -> None:
    page.draw_line((x, y0), (x, y1), color=(0, 0, 0), width=width)


def _grid_table(
    page: pymupdf.Page,
    page_no: int,
    x0: float,
    y0: float,
    widths: list[float],
    rows: list[list[str]],
    size: float,
    row_height: float,
    vertical: bool = True,
    header_rows: int = 1,
) -> TruthTable:
    """A plain ruled table (every row and, if `vertical`, every column ruled)."""
    truth = TruthTable(page_no)
    xs = [x0]
    for w in widths:
        xs.append(xs[-1] + w)
    ys = [y0 + k * row_height for k in range(len(rows) + 1)]
    for y in ys:
        _hline(page, y, xs[0], xs[-1])
    for x in xs if vertical else (xs[0], xs[-1]):
        _vline(page, x, ys[0], ys[-1])
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            box = (xs[c], ys[r], xs[c + 1], ys[r + 1])
            if text:
                numeric = any(ch.isdigit() for ch in text) and c > 0
                _text(page, box, text, size, "right" if numeric else "left", bold=r < header_rows)
            truth.add(r, c, text, box)
    return truth


_WORDS = ["Alpha", "Beta", "Gamma", "Delta", "North", "South", "East", "West", "Total", "Other",
          "Grant", "Fees", "Wages", "Rent", "Travel", "Supplies", "Office", "Services", "Misc", "Tax"]


def _name(rng: random.Random, n: int = 1) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _amount(rng: random.Random) -> str:
    return f"{rng.randint(1, 99999):,}.{rng.randint(0, 99):02d}"


def side_by_side(
    rng: random.Random, size: float, gutter: float, shorter: int = 0
) -> tuple[pymupdf.Document, list[TruthTable]]:
    """`shorter`: rows fewer in the right-hand table."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((50, 60), "Table 5. Rates for the two periods", fontsize=size + 2, fontname="hebo")
    tables = []
    left = 50.0
    total = 512.0
    each = (total - gutter) / 2
    for k in range(2):
        widths = [each * 0.46, each * 0.27, each * 0.27]
        rows = [["Bracket", "Rate", "Amount"]]
        rows += [[f"{_name(rng)} {i + 1}", f"{rng.randint(1, 40)}%", _amount(rng)] for i in range(9 - k * shorter)]
        x0 = left + k * (each + gutter)
        tables.append(_grid_table(page, 1, x0, 80.0, widths, rows, size, 2.0 * size))
    page.insert_text((50, 80 + 10 * 2 * size + 30), "These tables apply to wages paid after the first period.",
                     fontsize=size)
    return doc, tables


def form_grid(rng: random.Random, size: float, boxes: bool = False) -> tuple[pymupdf.Document, list[TruthTable]]:
    """Boxes of a form: a label in small type at the top of each box, the value under it;
    `boxes`: a small check box drawn before each value."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((50, 55), "Form 1234  Application for a Permit", fontsize=size + 4, fontname="hebo")
    page.insert_text((50, 75), "Complete every box. Print clearly in capital letters.", fontsize=size)
    x0, y0 = 50.0, 95.0
    width = 512.0
    cols = 4
    col_w = width / cols
    box_h = 2.6 * size
    # Each row: (label, value, span) boxes summing to 4 columns.
    layout = [
        [("1 Last name", "WALKER", 2), ("2 First name", "JANE", 1), ("3 Initial", "M", 1)],
        [("4 Street address", "12 HIGH STREET", 3), ("5 Apt", "4B", 1)],
        [("6 City", "SPRINGFIELD", 2), ("7 State", "IL", 1), ("8 ZIP code", "62704", 1)],
        [("9 Date of birth", "04/11/1980", 1), ("10 Phone", "555-0182", 1), ("11 Email", "JANE@EXAMPLE.ORG", 2)],
        [("12 Permit type", "RESIDENTIAL", 1), ("13 Fee", "$45.00", 1), ("14 Paid", "YES", 1),
         ("15 Receipt", str(rng.randint(10000, 99999)), 1)],
    ]
    truth = TruthTable(1)
    ys = [y0 + k * box_h for k in range(len(layout) + 1)]
    for y in ys:
        _hline(page, y, x0, x0 + width)
    for r, row in enumerate(layout):
        col = 0
        _vline(page, x0, ys[r], ys[r + 1])
        for label, value, span in row:
            bx0, bx1 = x0 + col * col_w, x0 + (col + span) * col_w
            _vline(page, bx1, ys[r], ys[r + 1])
            page.insert_text((bx0 + 2, ys[r] + 0.75 * size), label, fontsize=0.7 * size, fontname="helv")
            indent = 4.0
            if boxes:
                page.draw_rect(pymupdf.Rect(bx0 + 4, ys[r + 1] - 1.3 * size, bx0 + 4 + 0.8 * size,
                                            ys[r + 1] - 0.5 * size), width=0.5)
                indent += 1.2 * size
            page.insert_text((bx0 + indent, ys[r + 1] - 0.45 * size), value, fontsize=size, fontname="cour")
            truth.add(r, col, f"{label} {value}", (bx0, ys[r], bx1, ys[r + 1]), col_span=span)
            col += span
    page.insert_text((50, ys[-1] + 30), "Sign and date the form on the back page.", fontsize=size)
    return doc, [truth]


def _watermark_image() -> bytes:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 200), False)
    pix.set_rect(pix.irect, (235, 235, 235))
    for k in range(0, 200, 4):  # a grey diagonal band
        for t in range(-12, 13):
            x, y = k, min(199, max(0, 199 - k + t))
            pix.set_pixel(x, y, (190, 190, 190))
    return pix.tobytes("png")


def watermark(rng: random.Random, size: float, picture: bool) -> tuple[pymupdf.Document, list[TruthTable]]:
    doc = pymupdf.open()
    tables = []
    heading = ["Item", "Description", "Quantity", "Unit price", "Amount"]
    widths = [50.0, 190.0, 80.0, 90.0, 100.0]
    image = _watermark_image() if picture else None
    n = 0
    for p in range(3):
        page = doc.new_page(width=612, height=792)
        top = 60.0
        if p == 0:
            page.insert_text((50, 50), "Schedule A  Equipment list", fontsize=size + 3, fontname="hebo")
            top = 70.0
        rows = [heading]
        for _ in range(int((720 - top) / (1.8 * size)) - 2):
            n += 1
            rows.append([str(n), f"{_name(rng, 2)} unit", str(rng.randint(1, 50)), _amount(rng), _amount(rng)])
        tables.append(_grid_table(page, p + 1, 50.0, top, widths, rows, size, 1.8 * size))
        page.insert_text((280, 770), f"Page {p + 1} of 3", fontsize=size - 1)
        if image is not None:
            page.insert_image(pymupdf.Rect(156, 246, 456, 546), stream=image, overlay=False)
        else:
            centre = pymupdf.Point(306, 420)
            page.insert_text(
                pymupdf.Point(150, 480), "CONFIDENTIAL DRAFT", fontsize=48, fontname="hebo",
                color=(0.8, 0.8, 0.8), fill_opacity=0.4, morph=(centre, pymupdf.Matrix(-35)),
            )
    return doc, tables


def lift_chart(rng: random.Random, size: float) -> tuple[pymupdf.Document, list[TruthTable]]:
    """12 value columns in 4 groups of 3 under a two-level heading, a stub column first."""
    doc = pymupdf.open()
    page = doc.new_page(width=792, height=612)
    page.insert_text((40, 45), "Lift chart: capacity by boom length and radius", fontsize=size + 3, fontname="hebo")
    x0, y0 = 40.0, 60.0
    stub = 72.0
    col_w = (712.0 - stub) / 12
    xs = [x0, x0 + stub] + [x0 + stub + (k + 1) * col_w for k in range(12)]
    row_h = 1.9 * size
    body = 14
    ys = [y0 + k * row_h for k in range(body + 3)]
    truth = TruthTable(1)
    for k, y in enumerate(ys):
        _hline(page, y, xs[0] if k != 1 else xs[1], xs[-1])
    for k, x in enumerate(xs):
        if k < 2 or (k - 1) % 3 == 0:
            _vline(page, x, ys[0], ys[-1])
        else:
            _vline(page, x, ys[1], ys[-1])
    _text(page, (xs[0], ys[0], xs[1], ys[2]), "Radius (ft)", size, bold=True)
    truth.add(0, 0, "Radius (ft)", (xs[0], ys[0], xs[1], ys[2]), row_span=2)
    for g in range(4):
        box = (xs[1 + 3 * g], ys[0], xs[4 + 3 * g], ys[1])
        label = f"Boom {40 + 20 * g} ft"
        _text(page, box, label, size, "center", bold=True)
        truth.add(0, 1 + 3 * g, label, box, col_span=3)
        for k, sub in enumerate(("Over front", "Over side", "360 deg")):
            c = 1 + 3 * g + k
            sbox = (xs[c], ys[1], xs[c + 1], ys[2])
            _text(page, sbox, sub, size - 1.5, "center", bold=True)
            truth.add(1, c, sub, sbox)
    for r in range(body):
        box = (xs[0], ys[r + 2], xs[1], ys[r + 3])
        _text(page, box, str(10 + 5 * r), size)
        truth.add(r + 2, 0, str(10 + 5 * r), box)
        for c in range(1, 13):
            value = f"{rng.randint(500, 60000):,}" if rng.random() > 0.12 else ""
            cbox = (xs[c], ys[r + 2], xs[c + 1], ys[r + 3])
            if value:
                _text(page, cbox, value, size, "right")
            truth.add(r + 2, c, value, cbox)
    page.insert_text((40, ys[-1] + 20), "Capacities are in pounds and apply with outriggers fully extended.",
                     fontsize=size - 1)
    return doc, [truth]


def invoice(rng: random.Random, size: float, vertical: bool) -> tuple[pymupdf.Document, list[TruthTable]]:
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((50, 60), "ACME Supplies Ltd.", fontsize=size + 6, fontname="hebo")
    for k, line in enumerate(["12 Market Road", "Leeds LS1 4AB", "VAT no. GB123456789"]):
        page.insert_text((50, 80 + k * 1.3 * size), line, fontsize=size)
    page.insert_text((350, 60), "INVOICE", fontsize=size + 8, fontname="hebo")
    for k, (a, b) in enumerate([("Invoice no.", "INV-2291"), ("Date", "03/12/2026"), ("Due", "02/01/2027")]):
        page.insert_text((350, 80 + k * 1.3 * size), a, fontsize=size)
        page.insert_text((450, 80 + k * 1.3 * size), b, fontsize=size)
    page.insert_text((50, 150), "Bill to:", fontsize=size, fontname="hebo")
    for k, line in enumerate(["Northwind Traders", "4 Harbour Lane", "Bristol BS1 5TT"]):
        page.insert_text((50, 150 + (k + 1) * 1.3 * size), line, fontsize=size)
    rows = [["Qty", "Description", "Unit price", "VAT", "Amount"]]
    for _ in range(rng.randint(5, 9)):
        rows.append([str(rng.randint(1, 20)), f"{_name(rng, 2)} pack", _amount(rng), "20%", _amount(rng)])
    truth = _grid_table(page, 1, 50.0, 230.0, [40.0, 220.0, 80.0, 55.0, 100.0], rows, size, 1.9 * size,
                        vertical=vertical)
    bottom = 230.0 + len(rows) * 1.9 * size
    for k, (a, b) in enumerate([("Subtotal", _amount(rng)), ("VAT 20%", _amount(rng)), ("Total due", _amount(rng))]):
        page.insert_text((360, bottom + 20 + k * 1.4 * size), a, fontsize=size, fontname="hebo" if k == 2 else "helv")
        page.insert_text((470, bottom + 20 + k * 1.4 * size), b, fontsize=size)
    page.insert_text((50, 780), "Payment by bank transfer within 30 days. Thank you for your business.", fontsize=size - 1)
    return doc, [truth]


def documents(seed: int = 7):
    """(name, document, truth tables) of every kind and variant."""
    rng = random.Random(seed)
    yield "side-by-side-a", *side_by_side(rng, 9.0, 12.0)
    yield "side-by-side-b", *side_by_side(rng, 8.0, 6.0)
    yield "side-by-side-c", *side_by_side(rng, 8.0, 3.0, shorter=3)
    yield "form-grid-a", *form_grid(rng, 10.0)
    yield "form-grid-c", *form_grid(rng, 9.0, boxes=True)
    yield "form-grid-b", *form_grid(rng, 8.0)
    yield "watermark-text", *watermark(rng, 9.0, picture=False)
    yield "watermark-picture", *watermark(rng, 8.0, picture=True)
    yield "lift-chart-a", *lift_chart(rng, 8.0)
    yield "lift-chart-b", *lift_chart(rng, 7.0)
    yield "invoice-grid", *invoice(rng, 9.0, vertical=True)
    yield "invoice-rows", *invoice(rng, 9.0, vertical=False)


def write(out: Path, seed: int = 7) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for name, doc, tables in documents(seed):
        doc.save(out / f"{name}.pdf")
        truth = {"file": f"{name}.pdf", "bbox_units": "pdf_points_top_left",
                 "tables": [t.as_json() for t in tables]}
        (out / f"{name}.json").write_text(json.dumps(truth, indent=1))
        names.append(name)
    return names


if __name__ == "__main__":
    print("\n".join(write(Path(sys.argv[1]))))
