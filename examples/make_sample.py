#!/usr/bin/env python3
"""Generate the bundled sample document for doctables.

Writes, next to this script:

* ``sample.pdf``        -- a two-page US-Letter report with two tables
* ``sample.truth.json`` -- the ground truth for those tables, in the
  ICDAR-2013-derived benchmark shape used by the project (PDF points,
  top-left origin, 1-based pages, 0-based rows/cols).

Page 1 holds a fully ruled table with a two-row header that uses a row span
and a column span; page 2 holds an unruled (booktabs-style) table with one
empty body cell.  All ground-truth boxes are computed from the same geometry
that is used for drawing, so they are exact.

Usage::

    python examples/make_sample.py            # (re)generate pdf + truth
    python examples/make_sample.py --check    # generate, then verify

The output is deterministic: fixed metadata dates and a fixed document id,
so re-running produces byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pymupdf

HERE = Path(__file__).resolve().parent
PDF_PATH = HERE / "sample.pdf"
TRUTH_PATH = HERE / "sample.truth.json"

# ---------------------------------------------------------------- layout ---
PAGE_W, PAGE_H = 612.0, 792.0  # US Letter, points
MARGIN = 72.0
TEXT_W = PAGE_W - 2 * MARGIN

BODY_FONT, BOLD_FONT = "helv", "hebo"
BODY_SIZE, BODY_LEADING = 10.5, 14.0
TITLE_SIZE = 16.0
CAPTION_SIZE = 10.0
TABLE_SIZE = 9.5
CELL_PAD = 4.0  # horizontal padding inside a cell
FIXED_DATE = "D:20250101120000+00'00'"

_FONTS = {name: pymupdf.Font(name) for name in (BODY_FONT, BOLD_FONT)}

BLACK = (0, 0, 0)
GREY_TEXT = (0.3, 0.3, 0.3)
HEADER_FILL = (0.90, 0.92, 0.95)


def text_width(text: str, font: str, size: float) -> float:
    return pymupdf.get_text_length(text, fontname=font, fontsize=size)


def baseline_for(top: float, bottom: float, font: str, size: float) -> float:
    """Baseline that vertically centres the font's ascender/descender box."""
    f = _FONTS[font]
    mid = (top + bottom) / 2
    return mid + size * (f.ascender + f.descender) / 2


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if cur and text_width(trial, font, size) > width:
            lines.append(cur)
            cur = word
        else:
            cur = trial
    if cur:
        lines.append(cur)
    return lines


def paragraph(page: pymupdf.Page, y: float, text: str,
              size: float = BODY_SIZE, leading: float = BODY_LEADING,
              font: str = BODY_FONT, color=BLACK) -> float:
    """Draw a left-aligned wrapped paragraph whose first line's top is at y.

    Returns the y just below the paragraph (including one blank line).
    """
    asc = _FONTS[font].ascender * size
    for line in wrap(text, font, size, TEXT_W):
        page.insert_text((MARGIN, y + asc), line, fontname=font,
                         fontsize=size, color=color)
        y += leading
    return y + leading * 0.6


def put_cell_text(page: pymupdf.Page, rect: pymupdf.Rect, text: str,
                  align: str, font: str) -> None:
    if not text:
        return
    w = text_width(text, font, TABLE_SIZE)
    if w > rect.width - 2 * CELL_PAD:
        raise ValueError(f"cell text {text!r} does not fit in {rect}")
    if align == "left":
        x = rect.x0 + CELL_PAD
    elif align == "right":
        x = rect.x1 - CELL_PAD - w
    else:
        x = (rect.x0 + rect.x1 - w) / 2
    y = baseline_for(rect.y0, rect.y1, font, TABLE_SIZE)
    page.insert_text((x, y), text, fontname=font, fontsize=TABLE_SIZE,
                     color=BLACK)


def rnd(v: float) -> float:
    return round(float(v), 2)


def box(r: pymupdf.Rect) -> list[float]:
    return [rnd(r.x0), rnd(r.y0), rnd(r.x1), rnd(r.y1)]


# ------------------------------------------------------------------ data ---
REGIONS = {
    "North": (1204.5, 1287.3, 1341.8, 1420.6),
    "South": (986.2, 1012.7, 1078.4, 1135.9),
    "East": (1532.8, 1498.1, 1610.3, 1702.4),
    "West": (874.6, 921.3, 958.7, 1003.2),
}

DEPARTMENTS = [
    # name, employees, change vs. prior year ("" = not reported)
    ("Engineering", 153, "+12"),
    ("Operations", 118, "-4"),
    ("Sales and Marketing", 76, "+6"),
    ("Customer Support", 64, "+3"),
    ("Finance", 42, ""),
    ("Human Resources", 19, "-1"),
]


def money(v: float) -> str:
    return f"{v:,.1f}"


# --------------------------------------------------------------- table 1 ---
def draw_table1(page: pymupdf.Page, top: float) -> tuple[dict, float]:
    """Fully ruled table with a 2-row header (row span + column span)."""
    col_w = [118.0, 78.0, 78.0, 78.0, 78.0]  # 430 pt = 70% of page width
    row_h = [18.0, 18.0] + [18.0] * 5
    x0 = (PAGE_W - sum(col_w)) / 2
    xs = [x0]
    for w in col_w:
        xs.append(xs[-1] + w)
    ys = [top]
    for h in row_h:
        ys.append(ys[-1] + h)

    # (row, col, row_span, col_span, text, align, font)
    specs = [
        (0, 0, 2, 1, "Region", "left", BOLD_FONT),
        (0, 1, 1, 4, "2024 revenue (USD thousands)", "center", BOLD_FONT),
    ]
    for j, q in enumerate(("Q1", "Q2", "Q3", "Q4")):
        specs.append((1, 1 + j, 1, 1, q, "right", BOLD_FONT))
    totals = [sum(v[k] for v in REGIONS.values()) for k in range(4)]
    body = list(REGIONS.items()) + [("Total", tuple(totals))]
    for i, (name, vals) in enumerate(body):
        r = 2 + i
        font = BOLD_FONT if name == "Total" else BODY_FONT
        specs.append((r, 0, 1, 1, name, "left", font))
        for j, v in enumerate(vals):
            specs.append((r, 1 + j, 1, 1, money(v), "right", font))

    # Header background first, so rules and text sit on top of it.
    page.draw_rect(pymupdf.Rect(xs[0], ys[0], xs[-1], ys[2]),
                   color=None, fill=HEADER_FILL, width=0)

    cells, segments = [], set()
    for r, c, rs, cs, text, align, font in specs:
        rect = pymupdf.Rect(xs[c], ys[r], xs[c + cs], ys[r + rs])
        put_cell_text(page, rect, text, align, font)
        cells.append({"row": r, "col": c, "row_span": rs, "col_span": cs,
                      "text": text, "bbox": box(rect)})
        # Cell borders; shared edges are deduplicated below.
        segments.add(((rect.x0, rect.y0), (rect.x1, rect.y0)))
        segments.add(((rect.x0, rect.y1), (rect.x1, rect.y1)))
        segments.add(((rect.x0, rect.y0), (rect.x0, rect.y1)))
        segments.add(((rect.x1, rect.y0), (rect.x1, rect.y1)))

    shape = page.new_shape()
    for p, q in sorted(segments):
        shape.draw_line(p, q)
    shape.finish(color=BLACK, width=0.5, closePath=False)
    shape.commit()

    _check_grid(cells, len(row_h), len(col_w))
    table_rect = pymupdf.Rect(xs[0], ys[0], xs[-1], ys[-1])
    return {"page": 1, "bbox": box(table_rect), "cells": cells}, ys[-1]


# --------------------------------------------------------------- table 2 ---
def draw_table2(page: pymupdf.Page, top: float) -> tuple[dict, float]:
    """Unruled, booktabs-style table: top rule, header rule, bottom rule."""
    col_w = [170.0, 80.0, 80.0, 80.0]  # 410 pt = 67% of page width
    n_rows = 1 + len(DEPARTMENTS)
    row_h = [20.0] + [17.0] * len(DEPARTMENTS)
    x0 = (PAGE_W - sum(col_w)) / 2
    xs = [x0]
    for w in col_w:
        xs.append(xs[-1] + w)
    ys = [top]
    for h in row_h:
        ys.append(ys[-1] + h)

    total = sum(d[1] for d in DEPARTMENTS)
    rows = [[("Department", "left"), ("Employees", "right"),
             ("Share", "right"), ("Change", "right")]]
    for name, emp, chg in DEPARTMENTS:
        rows.append([(name, "left"), (str(emp), "right"),
                     (f"{100 * emp / total:.1f}%", "right"), (chg, "right")])

    cells = []
    for r, row in enumerate(rows):
        font = BOLD_FONT if r == 0 else BODY_FONT
        for c, (text, align) in enumerate(row):
            rect = pymupdf.Rect(xs[c], ys[r], xs[c + 1], ys[r + 1])
            put_cell_text(page, rect, text, align, font)
            cells.append({"row": r, "col": c, "row_span": 1, "col_span": 1,
                          "text": text, "bbox": box(rect)})

    for y, w in ((ys[0], 1.0), (ys[1], 0.5), (ys[-1], 1.0)):
        page.draw_line((xs[0], y), (xs[-1], y), color=BLACK, width=w)

    _check_grid(cells, n_rows, len(col_w))
    table_rect = pymupdf.Rect(xs[0], ys[0], xs[-1], ys[-1])
    return {"page": 2, "bbox": box(table_rect), "cells": cells}, ys[-1]


def _check_grid(cells: list[dict], n_rows: int, n_cols: int) -> None:
    """Every grid slot is covered by exactly one listed cell."""
    cover = {}
    for cell in cells:
        for r in range(cell["row"], cell["row"] + cell["row_span"]):
            for c in range(cell["col"], cell["col"] + cell["col_span"]):
                assert (r, c) not in cover, f"slot {(r, c)} covered twice"
                cover[(r, c)] = cell
    assert len(cover) == n_rows * n_cols, "grid not fully covered"


# -------------------------------------------------------------- document ---
P1_INTRO = (
    "This report summarises the financial and staffing position of the "
    "Regional Services Division for the fiscal year ended 31 December 2024. "
    "Revenue grew in every region compared with the prior year, driven mainly "
    "by renewed service contracts in the East and steady growth in the North. "
    "The South and West regions recovered from a slow first quarter and "
    "closed the year above their targets. Figures are unaudited and are "
    "reported in thousands of US dollars, rounded to one decimal place."
)
P1_AFTER = (
    "Total revenue for the year reached the highest level recorded by the "
    "division. The fourth quarter was the strongest in all four regions, "
    "reflecting seasonal demand and the completion of several large "
    "installation projects. A breakdown by service line is available on "
    "request from the Office of Budget and Planning."
)
P2_INTRO = (
    "Headcount at year end is shown below by department. Share is the "
    "department's proportion of total division staff; Change is the net "
    "change in employees compared with the end of 2023. Finance did not "
    "report a comparable figure because of a reorganisation during the year."
)
P2_AFTER = (
    "Engineering remains the largest department and accounted for most of "
    "the growth in headcount. Hiring plans for 2025 will be reviewed by the "
    "management board in the first quarter."
)
FOOTER = "Regional Services Division - Annual Report 2024"


def footer(page: pymupdf.Page, number: int, count: int) -> None:
    y = PAGE_H - 40
    page.draw_line((MARGIN, y - 12), (PAGE_W - MARGIN, y - 12),
                   color=(0.6, 0.6, 0.6), width=0.5)
    page.insert_text((MARGIN, y), FOOTER, fontname=BODY_FONT, fontsize=8.5,
                     color=GREY_TEXT)
    label = f"Page {number} of {count}"
    w = text_width(label, BODY_FONT, 8.5)
    page.insert_text((PAGE_W - MARGIN - w, y), label, fontname=BODY_FONT,
                     fontsize=8.5, color=GREY_TEXT)


def caption(page: pymupdf.Page, y: float, text: str) -> float:
    asc = _FONTS[BOLD_FONT].ascender * CAPTION_SIZE
    page.insert_text((MARGIN, y + asc), text, fontname=BOLD_FONT,
                     fontsize=CAPTION_SIZE)
    return y + CAPTION_SIZE * 1.9


def build() -> tuple[pymupdf.Document, dict]:
    doc = pymupdf.open()
    tables = []

    # Page 1 -------------------------------------------------------------
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    y = MARGIN
    page.insert_text((MARGIN, y + _FONTS[BOLD_FONT].ascender * TITLE_SIZE),
                     "Annual Report 2024: Revenue and Staffing",
                     fontname=BOLD_FONT, fontsize=TITLE_SIZE)
    y += TITLE_SIZE * 1.6
    y = paragraph(page, y, "Regional Services Division  |  Prepared March 2025",
                  size=9.5, color=GREY_TEXT)
    y += 4
    page.insert_text((MARGIN, y + _FONTS[BOLD_FONT].ascender * 12),
                     "1. Revenue", fontname=BOLD_FONT, fontsize=12)
    y += 12 * 1.8
    y = paragraph(page, y, P1_INTRO)
    y += 6
    y = caption(page, y, "Table 1: Quarterly revenue by region")
    t1, y = draw_table1(page, y)
    tables.append(t1)
    y += 22
    paragraph(page, y, P1_AFTER)
    footer(page, 1, 2)

    # Page 2 -------------------------------------------------------------
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    y = MARGIN
    page.insert_text((MARGIN, y + _FONTS[BOLD_FONT].ascender * 12),
                     "2. Staffing", fontname=BOLD_FONT, fontsize=12)
    y += 12 * 1.8
    y = paragraph(page, y, P2_INTRO)
    y += 6
    y = caption(page, y, "Table 2: Staff by department")
    t2, y = draw_table2(page, y)
    tables.append(t2)
    y += 22
    paragraph(page, y, P2_AFTER)
    footer(page, 2, 2)

    doc.set_metadata({
        "title": "Annual Report 2024: Revenue and Staffing",
        "author": "Regional Services Division",
        "subject": "doctables sample document",
        "keywords": "doctables, sample, tables",
        "creator": "doctables examples/make_sample.py",
        "producer": "PyMuPDF",
        "creationDate": FIXED_DATE,
        "modDate": FIXED_DATE,
    })
    truth = {"file": PDF_PATH.name, "bbox_units": "pdf_points_top_left",
             "tables": tables}
    return doc, truth


def write() -> dict:
    doc, truth = build()
    # garbage/deflate for a compact file; no_new_id keeps the trailer /ID
    # stable so that repeated runs give byte-identical output.
    doc.save(PDF_PATH, garbage=4, deflate=True, no_new_id=True)
    doc.close()
    TRUTH_PATH.write_text(json.dumps(truth, indent=2) + "\n")
    return truth


# ----------------------------------------------------------------- check ---
def _inside(inner, outer, tol=0.5) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)


def check(truth: dict) -> list[str]:
    """Verify the PDF against the ground truth; return a list of problems."""
    problems = []
    doc = pymupdf.open(PDF_PATH)
    assert doc.page_count == 2, doc.page_count
    for ti, table in enumerate(truth["tables"], 1):
        page = doc[table["page"] - 1]
        words = page.get_text("words", sort=True)
        for cell in table["cells"]:
            cb = cell["bbox"]
            found = []
            for w in words:
                cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
                if cb[0] <= cx <= cb[2] and cb[1] <= cy <= cb[3]:
                    found.append(w)
                    if not _inside(w[:4], cb):
                        problems.append(f"table {ti} cell ({cell['row']},"
                                        f"{cell['col']}): word {w[4]!r} "
                                        f"overflows its cell")
            found.sort(key=lambda w: (w[5], w[6], w[7]))
            got = " ".join(w[4] for w in found)
            if got != cell["text"]:
                problems.append(f"table {ti} cell ({cell['row']},"
                                f"{cell['col']}): expected {cell['text']!r}, "
                                f"got {got!r}")
        # No stray words inside the table outside of any cell (sanity).
        tb = table["bbox"]
        for w in words:
            if _inside(w[:4], tb) and not any(
                    _inside(w[:4], c["bbox"]) for c in table["cells"]):
                problems.append(f"table {ti}: word {w[4]!r} outside cells")

    # The ruled table on page 1 must be found by PyMuPDF's own detector.
    t1 = truth["tables"][0]
    found = doc[0].find_tables().tables
    match = [t for t in found
             if max(abs(a - b) for a, b in zip(t.bbox, t1["bbox"])) < 2]
    if not match:
        problems.append(f"find_tables() on page 1 did not find table 1 "
                        f"(found {[tuple(map(rnd, t.bbox)) for t in found]})")
    else:
        t = match[0]
        print(f"find_tables page 1: {t.row_count}x{t.col_count} at "
              f"{tuple(map(rnd, t.bbox))}; header: {t.header.names}")
    found2 = doc[1].find_tables(strategy="text").tables
    print(f"find_tables(strategy='text') page 2 (informational): "
          f"{[(t.row_count, t.col_count) for t in found2]}")
    doc.close()
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="after generating, verify the PDF against the truth")
    args = ap.parse_args(argv)
    truth = write()
    for t in truth["tables"]:
        rows = max(c["row"] + c["row_span"] for c in t["cells"])
        cols = max(c["col"] + c["col_span"] for c in t["cells"])
        print(f"page {t['page']}: {rows}x{cols} table, {len(t['cells'])} "
              f"cells, bbox {t['bbox']}")
    print(f"wrote {PDF_PATH.relative_to(HERE.parent)} and "
          f"{TRUTH_PATH.relative_to(HERE.parent)}")
    if args.check:
        problems = check(truth)
        for p in problems:
            print("FAIL:", p)
        if problems:
            return 1
        print("check OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
