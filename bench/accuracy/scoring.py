"""Scoring with shared/bench/score.py: its own `main` for the official totals and last line, and
its functions for the per-document and per-page counts the report needs."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

COUNT_KEYS = ("det_hit", "det_pred", "det_gt", "rel_hit", "rel_pred", "rel_gt", "txt_hit", "txt_pred", "txt_gt")


def run_scorer(scorer: ModuleType, gt_dir: Path, pred_dir: Path, json_out: Path | None = None) -> tuple[dict, str]:
    """score.py's `main` on a prediction folder: (its summary, everything it printed)."""
    argv = [str(gt_dir), str(pred_dir)]
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--json", str(json_out)]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        summary = scorer.main(argv)
    return summary, buffer.getvalue()


def final_line(printed: str) -> str:
    """The scorer's last line, `cell_adjacency_f1=... detection_f1=... cell_content_f1=...`."""
    lines = [line for line in printed.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def counts(scorer: ModuleType, gt_tables: list[dict], pred_tables: list[dict]) -> dict[str, int]:
    """The scorer's nine counts for one set of tables (a document, or one page of it)."""
    g_tables = [t for t in gt_tables if t.get("bbox")]
    p_tables = [t for t in pred_tables if t.get("bbox")]
    g_rel = sum((scorer.relations(t) for t in gt_tables), Counter())
    p_rel = sum((scorer.relations(t) for t in pred_tables), Counter())
    norm = scorer.norm
    g_txt = Counter(norm(c["text"]) for t in gt_tables for c in t["cells"] if norm(c["text"]))
    p_txt = Counter(norm(c.get("text", "")) for t in pred_tables for c in t.get("cells", []) if norm(c.get("text", "")))
    return {
        "det_hit": scorer.detection_matches(g_tables, p_tables),
        "det_pred": len(p_tables),
        "det_gt": len(g_tables),
        "rel_hit": sum((g_rel & p_rel).values()),
        "rel_pred": sum(p_rel.values()),
        "rel_gt": sum(g_rel.values()),
        "txt_hit": sum((g_txt & p_txt).values()),
        "txt_pred": sum(p_txt.values()),
        "txt_gt": sum(g_txt.values()),
    }


def measures(scorer: ModuleType, c: dict[str, int]) -> dict[str, float]:
    """Precision, recall and F1 of detection, adjacency and content from the counts."""
    out = {}
    for key, prefix in (("detection", "det"), ("cell_adjacency", "rel"), ("cell_content", "txt")):
        p, r, f = scorer.prf(c[f"{prefix}_hit"], c[f"{prefix}_pred"], c[f"{prefix}_gt"])
        out[f"{key}_precision"], out[f"{key}_recall"], out[f"{key}_f1"] = round(p, 4), round(r, 4), round(f, 4)
    return out


def score_documents(scorer: ModuleType, gt_dir: Path, predictions: dict[str, dict]) -> dict[str, dict[str, Any]]:
    """Per document: the counts and measures, as score.py computes them."""
    out = {}
    for gt_file in sorted(Path(gt_dir).glob("*.json")):
        if not any(gt_file.with_suffix(kind).is_file() for kind in (".pdf", ".png")):
            continue
        gt = json.loads(gt_file.read_text())
        pred = predictions.get(gt_file.stem, {"tables": []})
        c = counts(scorer, gt["tables"], pred.get("tables", []))
        out[gt_file.stem] = {"counts": c, **measures(scorer, c)}
    return out


def page_losses(scorer: ModuleType, gt: dict, pred: dict) -> dict[int, dict[str, Any]]:
    """Per page of one document: what was lost there. `loss` adds the adjacency relations missed
    and invented to 10 per table missed or invented, to rank the pages worth looking at."""
    pages = sorted({t["page"] for t in gt.get("tables", [])} | {t["page"] for t in pred.get("tables", [])})
    out = {}
    for page in pages:
        g = [t for t in gt.get("tables", []) if t["page"] == page]
        p = [t for t in pred.get("tables", []) if t["page"] == page]
        c = counts(scorer, g, p)
        unmatched = (c["det_gt"] - c["det_hit"]) + (c["det_pred"] - c["det_hit"])
        relation_errors = (c["rel_gt"] - c["rel_hit"]) + (c["rel_pred"] - c["rel_hit"])
        out[page] = {"counts": c, "loss": 10 * unmatched + relation_errors}
    return out


def totals(per_document: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Counts summed over documents (micro-average, as score.py does)."""
    total = Counter()
    for doc in per_document.values():
        total.update(doc["counts"])
    return {k: total.get(k, 0) for k in COUNT_KEYS}
