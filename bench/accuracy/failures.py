"""Where a system loses against the ground truth, by failure class.

Tables are matched as the scorer matches them (same page, IoU >= 0.5, greedy by best IoU).
- missed table: a ground-truth table no prediction matches; `partly_found` if some predicted
  table covers at least a third of it (a box that is off, or two tables found as one).
- spurious table: a predicted table that matches nothing; `overlapping` if it overlaps a
  ground-truth table by a third of its own area.
Inside a matched pair, rows and columns are compared by geometry, from the cells' boxes:
- split rows: a true row holds the centres of non-empty predicted cells from more than one
  predicted row (one row became several); each extra predicted row counts once.
- merged rows: true rows whose non-empty cells' centres land in one predicted row, or in one
  predicted cell (a cell spanning what should be several rows); each group of n true rows that
  ended up together counts n - 1.
- split / merged columns: the same along x.
- text assignment: a non-empty true cell, in a row and a column that were neither split nor
  merged, whose position falls in a predicted cell with other text (or in no cell).
- outside table: a non-empty true cell whose centre lies outside the predicted table's box
  (the table was found but cut short); `outside_in_other_table` tells how many of them another
  predicted table holds (one table found as two).
Only cells that span one row (column) are used to find rows (columns); texts are compared as the
scorer compares them (NFKC, lower case, no white space)."""

from __future__ import annotations

import copy
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

from doctables.recognise.transform import rotate_box

CLASSES = (
    "missed_table",
    "spurious_table",
    "split_rows",
    "merged_rows",
    "split_columns",
    "merged_columns",
    "text_assignment",
    "outside_table",
)
_SLACK = 2.0  # points: a cell centre this close to a table box still counts as inside


def norm(text: str | None) -> str:
    """Text as the scorer compares it."""
    return "".join(unicodedata.normalize("NFKC", text or "").lower().split())


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    inter = _intersection(a, b)
    union = _area(a) + _area(b) - inter
    return inter / union if union > 0 else 0.0


def _area(box: Sequence[float]) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _intersection(a: Sequence[float], b: Sequence[float]) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _centre(box: Sequence[float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _inside(point: tuple[float, float], box: Sequence[float], slack: float = _SLACK) -> bool:
    return box[0] - slack <= point[0] <= box[2] + slack and box[1] - slack <= point[1] <= box[3] + slack


def match_tables(gt_tables: list[dict], pred_tables: list[dict], threshold: float = 0.5) -> list[tuple[int, int]]:
    """Pairs (gt index, prediction index) matched one-to-one on the same page at IoU >= threshold,
    best IoU first, as the scorer matches them."""
    pairs = []
    for gi, g in enumerate(gt_tables):
        for pi, p in enumerate(pred_tables):
            if g.get("bbox") and p.get("bbox") and g["page"] == p["page"]:
                value = iou(g["bbox"], p["bbox"])
                if value >= threshold:
                    pairs.append((value, gi, pi))
    used_g: set[int] = set()
    used_p: set[int] = set()
    matched = []
    for _, gi, pi in sorted(pairs, reverse=True):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            matched.append((gi, pi))
    return sorted(matched)


def _text_cells(table: dict) -> list[dict]:
    return [c for c in table.get("cells", []) if norm(c.get("text")) and c.get("bbox")]


def _bands(cells: list[dict], axis: str) -> dict[int, tuple[float, float]]:
    """Extent of each row (axis 'row', along y) or column ('col', along x) from its one-span cells."""
    lo_i, hi_i = (1, 3) if axis == "row" else (0, 2)
    bands: dict[int, tuple[float, float]] = {}
    for cell in cells:
        if cell.get(f"{axis}_span", 1) != 1:
            continue
        lo, hi = bands.get(cell[axis], (float("inf"), float("-inf")))
        bands[cell[axis]] = (min(lo, cell["bbox"][lo_i]), max(hi, cell["bbox"][hi_i]))
    return bands


def _nearest_band(bands: dict[int, tuple[float, float]], value: float, strict: bool = False) -> int | None:
    """The band containing `value`, else (unless `strict`) the closest one (ties: the closest centre)."""
    if strict:
        bands = {k: (lo, hi) for k, (lo, hi) in bands.items() if lo <= value <= hi}
    if not bands:
        return None

    def distance(item: tuple[int, tuple[float, float]]) -> tuple[float, float]:
        lo, hi = item[1]
        outside = 0.0 if lo <= value <= hi else min(abs(value - lo), abs(value - hi))
        return outside, abs(value - (lo + hi) / 2)

    return min(bands.items(), key=distance)[0]


def _many_to_one(points: list[tuple[int, int]]) -> tuple[int, set[int]]:
    """From (target band, source band) pairs: how many extra source bands fall into a target band
    that receives more than one, and which targets those are."""
    by_target: dict[int, set[int]] = {}
    for target, source in points:
        by_target.setdefault(target, set()).add(source)
    crowded = {t for t, sources in by_target.items() if len(sources) > 1}
    return sum(len(by_target[t]) - 1 for t in crowded), crowded


def _merge_groups(groups: list[set[int]]) -> list[set[int]]:
    """Union of overlapping sets: the true rows (columns) that ended up together."""
    merged: list[set[int]] = []
    for group in groups:
        group = set(group)
        for other in [m for m in merged if m & group]:
            group |= other
            merged.remove(other)
        merged.append(group)
    return [m for m in merged if len(m) > 1]


def structure_errors(gt: dict, pred: dict) -> dict[str, Any]:
    """Split/merged rows and columns, text assignment and cut-off cells of one matched pair."""
    gt_cells, pred_cells = _text_cells(gt), _text_cells(pred)
    all_pred = [c for c in pred.get("cells", []) if c.get("bbox")]
    result: dict[str, Any] = {k: 0 for k in CLASSES[2:]}
    result["gt_cells"] = len(gt_cells)
    involved: dict[str, set[int]] = {"row": set(), "col": set()}
    # Where each true cell's centre lands: the predicted cell holding it (any span).
    holders = {id(cell): _cell_at(all_pred, _centre(cell["bbox"])) for cell in gt_cells}
    for axis, coord, plural in (("row", 1, "rows"), ("col", 0, "columns")):
        gt_bands, pred_bands = _bands(gt_cells, axis), _bands(pred_cells, axis)
        # split: centres of predicted one-span cells, placed in true bands
        placed = []
        for cell in pred_cells:
            centre = _centre(cell["bbox"])
            if cell.get(f"{axis}_span", 1) == 1 and _inside(centre, gt["bbox"]):
                band = _nearest_band(gt_bands, centre[coord])
                if band is not None:
                    placed.append((band, cell[axis]))
        result[f"split_{plural}"], split_targets = _many_to_one(placed)
        involved[axis] |= split_targets
        # merged: true bands whose cells share a predicted band, or share one predicted cell
        together: dict[Any, set[int]] = {}
        for cell in gt_cells:
            if cell.get(f"{axis}_span", 1) != 1:
                continue
            centre = _centre(cell["bbox"])
            if not _inside(centre, pred["bbox"]):
                continue
            band = _nearest_band(pred_bands, centre[coord], strict=True)
            if band is not None:
                together.setdefault(("band", band), set()).add(cell[axis])
            holder = holders[id(cell)]
            if holder is not None:
                together.setdefault(("cell", id(holder)), set()).add(cell[axis])
        groups = _merge_groups(list(together.values()))
        result[f"merged_{plural}"] = sum(len(g) - 1 for g in groups)
        for group in groups:
            involved[axis] |= group
    for cell in gt_cells:
        centre = _centre(cell["bbox"])
        if not _inside(centre, pred["bbox"]):
            result["outside_table"] += 1
            continue
        rows = set(range(cell["row"], cell["row"] + cell.get("row_span", 1)))
        cols = set(range(cell["col"], cell["col"] + cell.get("col_span", 1)))
        if rows & involved["row"] or cols & involved["col"]:
            continue  # explained by a split or a merge
        holder = holders[id(cell)]
        if holder is None or norm(holder.get("text")) != norm(cell.get("text")):
            result["text_assignment"] += 1
    return result


def _cell_at(cells: list[dict], point: tuple[float, float]) -> dict | None:
    """The smallest cell whose box holds `point`."""
    holders = [c for c in cells if c.get("bbox") and _inside(point, c["bbox"], 0.0)]
    return min(holders, key=lambda c: _area(c["bbox"])) if holders else None


def upright(document: dict, turns: dict[int, tuple[float, float, int]]) -> dict:
    """A copy of a prediction or truth with each page's boxes turned clockwise by the page's
    turn ({page: (width, height, turn)} of the page as displayed), so that rows run across
    and columns down whichever way the page is shown."""
    out = copy.deepcopy(document)
    for table in out.get("tables", []):
        width, height, turn = turns.get(int(table["page"]), (0.0, 0.0, 0))
        if not turn:
            continue
        for item in [table, *table.get("cells", [])]:
            if item.get("bbox"):
                item["bbox"] = list(rotate_box(tuple(item["bbox"]), turn, width, height))
    return out


def classify_document(gt: dict, pred: dict, turns: dict[int, tuple[float, float, int]] | None = None) -> dict[str, Any]:
    """Failure counts of one document, with the tables and pages they come from; `turns`
    (see `upright`) for pages whose text does not read across as shown."""
    if turns:
        gt, pred = upright(gt, turns), upright(pred, turns)
    gt_tables = [t for t in gt.get("tables", []) if t.get("bbox")]
    pred_tables = [t for t in pred.get("tables", []) if t.get("bbox")]
    matched = match_tables(gt_tables, pred_tables)
    matched_g = {g for g, _ in matched}
    matched_p = {p for _, p in matched}
    totals: Counter = Counter({k: 0 for k in CLASSES})
    details: list[dict[str, Any]] = []
    for gi, table in enumerate(gt_tables):
        if gi in matched_g:
            continue
        cover = max(
            (
                _intersection(table["bbox"], p["bbox"]) / max(_area(table["bbox"]), 1e-9)
                for p in pred_tables
                if p["page"] == table["page"]
            ),
            default=0.0,
        )
        totals["missed_table"] += 1
        details.append(
            {
                "class": "missed_table",
                "page": table["page"],
                "bbox": table["bbox"],
                "partly_found": cover >= 1 / 3,
                "cells": len(_text_cells(table)),
            }
        )
    for pi, table in enumerate(pred_tables):
        if pi in matched_p:
            continue
        overlap = max(
            (
                _intersection(table["bbox"], g["bbox"]) / max(_area(table["bbox"]), 1e-9)
                for g in gt_tables
                if g["page"] == table["page"]
            ),
            default=0.0,
        )
        totals["spurious_table"] += 1
        details.append(
            {"class": "spurious_table", "page": table["page"], "bbox": table["bbox"], "overlapping": overlap >= 1 / 3}
        )
    for gi, pi in matched:
        errors = structure_errors(gt_tables[gi], pred_tables[pi])
        others = [p for k, p in enumerate(pred_tables) if k != pi and p["page"] == gt_tables[gi]["page"]]
        errors["outside_in_other_table"] = sum(
            1
            for c in _text_cells(gt_tables[gi])
            if not _inside(_centre(c["bbox"]), pred_tables[pi]["bbox"])
            and any(_inside(_centre(c["bbox"]), p["bbox"]) for p in others)
        )
        for key in CLASSES[2:]:
            totals[key] += errors[key]
        if any(errors[k] for k in CLASSES[2:]):
            details.append(
                {
                    "class": "structure",
                    "page": gt_tables[gi]["page"],
                    "bbox": gt_tables[gi]["bbox"],
                    "iou": round(iou(gt_tables[gi]["bbox"], pred_tables[pi]["bbox"]), 3),
                    **errors,
                }
            )
    return {"counts": {k: totals[k] for k in CLASSES}, "matched": len(matched), "details": details}
