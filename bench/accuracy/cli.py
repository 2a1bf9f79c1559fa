"""`python -m bench.accuracy`: doctables and the baselines over a directory of PDFs with ground
truth, scored with shared/bench/score.py, with a report of where doctables loses."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .. import (
    DEFAULT_DATA,
    DEFAULT_REPORT_DIR,
    REPO_ROOT,
    documents,
    find_scorer,
    load_scorer,
    machine_description,
    write_json,
)
from . import draw, failures, scoring, shapes, systems
from .variants import VARIANTS

SHORT = {
    "missed_table": "missed",
    "spurious_table": "spurious",
    "split_rows": "split r",
    "merged_rows": "merged r",
    "split_columns": "split c",
    "merged_columns": "merged c",
    "text_assignment": "text",
    "outside_table": "outside",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__)
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="directory of <doc>.pdf + <doc>.json (default: ../shared/bench/icdar2013-dev)",
    )
    parser.add_argument(
        "--pred-out",
        type=Path,
        default=None,
        help="where doctables' predictions go, one <doc>.json each (default: "
        "REPORT_DIR/<data name>/predictions); baselines' go to PRED_OUT/baselines/<name>/",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help="results JSON, Markdown report and page images go to REPORT_DIR/<data name>/ "
        "(default: bench/results, git-ignored)",
    )
    parser.add_argument(
        "--baselines",
        default=",".join(systems.BASELINES),
        help=f"comma-separated baselines to run beside doctables (default: {','.join(systems.BASELINES)})",
    )
    parser.add_argument("--no-baselines", action="store_true", help="run doctables only")
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        default=None,
        help="score transformed copies of the documents, the truth carried over: image-only (pages "
        "rasterised at 200 dpi, no text layer: OCR), rotate90/180/270 (/Rotate added), sideways "
        "(content turned a quarter on a landscape page, no /Rotate), cropbox (CropBox inside the MediaBox), "
        "table-crop (each table cut out as a screenshot), screenshot (the same as the PNG itself), "
        "small-screenshot (a table shown at 54-80 dpi, cut with no margin, as the PNG), photo (perspective, uneven light, blur, JPEG), "
        "lowres-scan (100-150 dpi grey or bilevel, noise, slight turn), no-dpi / absurd-dpi (pages as bare "
        "PNG files without a resolution / saying 2400 dpi); see bench/README.md",
    )
    parser.add_argument("--image-only", action="store_true", help="the same as --variant image-only")
    parser.add_argument(
        "--scorer",
        type=Path,
        default=None,
        help="score.py to use (default: the one beside the data directory, else ../shared/bench/score.py)",
    )
    parser.add_argument("--worst", type=int, default=6, help="how many of doctables' worst pages to draw (default 6)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="limit for the pipeline run, seconds")
    parser.add_argument("--progress", action="store_true", help="show a progress bar for the pipeline run")
    args = parser.parse_args(argv)
    if args.image_only:
        args.variant = "image-only"
    args.baselines = [] if args.no_baselines else [b.strip() for b in args.baselines.split(",") if b.strip()]
    for name in args.baselines:
        if name not in systems.BASELINES:
            parser.error(f"unknown baseline {name!r}; choose from {', '.join(systems.BASELINES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = args.data if args.data.is_absolute() else (Path.cwd() / args.data)
    data = data.resolve()
    pdfs = _documents(data)
    if not pdfs:
        print(f"no <doc>.pdf (or .png) with a <doc>.json beside it in {data}", file=sys.stderr)
        return 2
    scorer = load_scorer(find_scorer(data, args.scorer))
    out_dir = args.report_dir.resolve() / data.name
    if args.variant:
        out_dir = args.report_dir.resolve() / f"{data.name}-{args.variant}"
        print(f"making {args.variant} copies of {len(pdfs)} documents ...", flush=True)
        data = VARIANTS[args.variant](data, out_dir / "data")
        pdfs = _documents(data)
    pred_out = (args.pred_out or out_dir / "predictions").resolve()
    started = dt.datetime.now(dt.UTC)

    print(f"{len(pdfs)} documents in {data}", flush=True)
    runs: list[systems.SystemRun] = []
    print(f"[doctables] running the local pipeline (run_files) over {len(pdfs)} documents ...", flush=True)
    runs.append(systems.run_doctables(pdfs, timeout=args.timeout, progress=args.progress))
    print(f"[doctables] {runs[0].seconds:.1f} s", flush=True)
    skipped: dict[str, str] = {}
    for name in args.baselines:
        why = systems.baseline_available(name)
        if why:
            skipped[name] = why
            print(f"[{name}] skipped: {why}", flush=True)
            continue
        print(f"[{name}] running ...", flush=True)
        runs.append(systems.run_baseline(name, pdfs))
        print(f"[{name}] {runs[-1].seconds:.1f} s", flush=True)

    truth = {pdf.stem: json.loads(pdf.with_suffix(".json").read_text()) for pdf in pdfs}
    results: dict[str, Any] = {}
    printed_main = ""
    for run in runs:
        folder = pred_out if run.name == systems.DOCTABLES else pred_out / "baselines" / run.name
        folder.mkdir(parents=True, exist_ok=True)
        for stem, prediction in run.predictions.items():
            write_json(folder / f"{stem}.json", prediction)
        summary, printed = scoring.run_scorer(scorer, data, folder, out_dir / "scores" / f"{run.name}.json")
        if run.name == systems.DOCTABLES:
            printed_main = printed
        per_document = scoring.score_documents(scorer, data, run.predictions)
        for stem, doc in per_document.items():
            # Every system's failures are counted on the pages as doctables turned them to read.
            turns = shapes.page_turns(runs[0].predictions.get(stem, {}))
            doc["failures"] = failures.classify_document(truth[stem], run.predictions.get(stem, {"tables": []}), turns)
        results[run.name] = {
            "prediction_dir": str(folder),
            "seconds": round(run.seconds, 2),
            "pages": run.pages,
            "ms_per_page": round(run.ms_per_page, 1),
            "errors": run.errors,
            "summary": _summary(summary),
            "final_line": scoring.final_line(printed),
            "failure_totals": _failure_totals(per_document),
            "documents": per_document,
        }

    worst = _worst_pages(scorer, truth, runs[0].predictions, args.worst)
    for item in worst:
        stem, page = item["document"], item["page"]
        image = out_dir / "worst-pages" / f"{stem}-p{page}.png"
        draw.draw_page(
            next(pdf for pdf in pdfs if pdf.stem == stem),
            page,
            [t for t in truth[stem]["tables"] if t["page"] == page],
            [t for t in runs[0].predictions[stem]["tables"] if t["page"] == page],
            image,
            label=f"{stem} p{page}",
        )
        item["image"] = str(image)

    report = {
        "data": str(data),
        "documents": len(pdfs),
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.accuracy", *(sys.argv[1:] if argv is None else argv)]),
        "git": _git_state(),
        "machine": machine_description(),
        "skipped_baselines": skipped,
        "systems": results,
        "worst_pages": worst,
    }
    write_json(out_dir / "accuracy.json", report)
    (out_dir / "accuracy.md").write_text(markdown(report))

    print()
    print(_document_table(results[systems.DOCTABLES]))
    print()
    print(_comparison_table(results))
    print()
    print(f"worst pages drawn: {', '.join(Path(w['image']).name for w in worst) or 'none'}")
    print(f"report: {out_dir / 'accuracy.md'}  results: {out_dir / 'accuracy.json'}  predictions: {pred_out}")
    print()
    print("score.py on doctables' predictions:")
    print(printed_main.rstrip())
    return 0


def _documents(data: Path) -> list[Path]:
    """The documents with their truth beside them: PDFs, and the page images (PNG) that the
    no-dpi and absurd-dpi copies are."""
    images = [png for png in data.glob("*.png") if png.with_suffix(".json").is_file()]
    return sorted([*documents(data), *images])


def _summary(summary: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"documents": summary.get("documents")}
    for key in ("detection", "cell_adjacency", "cell_content"):
        p, r, f = summary[key]
        out[key] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
    return out


def _failure_totals(per_document: dict[str, dict[str, Any]]) -> dict[str, int]:
    totals = {k: 0 for k in failures.CLASSES}
    for doc in per_document.values():
        for key, value in doc["failures"]["counts"].items():
            totals[key] += value
    return totals


def _worst_pages(scorer, truth: dict[str, dict], predictions: dict[str, dict], n: int) -> list[dict[str, Any]]:
    pages = []
    for stem, gt in truth.items():
        for page, info in scoring.page_losses(scorer, gt, predictions.get(stem, {"tables": []})).items():
            if info["loss"] > 0:
                pages.append({"document": stem, "page": page, "loss": info["loss"], "counts": info["counts"]})
    pages.sort(key=lambda p: (-p["loss"], p["document"], p["page"]))
    return pages[: max(0, n)]


def _git_state() -> dict[str, Any]:
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", *cmd], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--", "doctables")),
    }


def _f(m: dict[str, float]) -> str:
    return f"{m['precision']:.3f}/{m['recall']:.3f}/{m['f1']:.3f}"


def _comparison_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, r in results.items():
        s = r["summary"]
        ft = r["failure_totals"]
        rows.append(
            [
                name,
                _f(s["detection"]),
                _f(s["cell_adjacency"]),
                _f(s["cell_content"]),
                f"{r['seconds']:.1f}",
                f"{r['ms_per_page']:.0f}",
                *(str(ft[k]) for k in failures.CLASSES),
            ]
        )
    return rows


COMPARISON_HEADER = [
    "system",
    "detection P/R/F1",
    "adjacency P/R/F1",
    "content P/R/F1",
    "time s",
    "ms/page",
    *(SHORT[k] for k in failures.CLASSES),
]


def _text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i]) for i in range(len(header))]
    lines = [
        "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))
    ]
    for row in rows:
        lines.append(
            "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True)))
        )
    return "\n".join(lines)


def _comparison_table(results: dict[str, Any]) -> str:
    return "comparison of systems (same files, same scorer):\n" + _text_table(
        COMPARISON_HEADER, _comparison_rows(results)
    )


def _document_rows(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for stem, doc in result["documents"].items():
        c = doc["counts"]
        f = doc["failures"]["counts"]
        rows.append(
            [
                stem,
                f"{c['det_hit']}/{c['det_gt']}/{c['det_pred']}",
                f"{doc['cell_adjacency_f1']:.3f}",
                f"{doc['cell_content_f1']:.3f}",
                *(str(f[k]) for k in failures.CLASSES),
            ]
        )
    return rows


DOCUMENT_HEADER = ["document", "tables hit/gt/pred", "adj F1", "content F1", *(SHORT[k] for k in failures.CLASSES)]


def _document_table(result: dict[str, Any]) -> str:
    return "doctables per document (failure counts by class):\n" + _text_table(DOCUMENT_HEADER, _document_rows(result))


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    """The short Markdown report of one accuracy run."""
    results = report["systems"]
    main = results[systems.DOCTABLES]
    lines = [
        f"# Accuracy: {Path(report['data']).name}",
        "",
        f"{report['documents']} documents from `{report['data']}`, run {report['started']} at commit "
        f"{report['git'].get('commit')}{' (doctables/ modified)' if report['git'].get('dirty') else ''} on "
        f"{report['machine'].get('cpus')} CPUs ({report['machine'].get('processor')}).",
        "",
        f"Command: `{report['command']}`",
        "",
        f"doctables (whole local pipeline): `{main['final_line']}`",
        "",
        "## Systems",
        "",
        "Detection, cell adjacency and cell content as precision/recall/F1 (score.py, ICDAR 2013 measures); "
        "time is wall-clock for the whole set on this machine (doctables: the local pipeline on moto, including "
        "model loading); the last columns count failures by class (see below).",
        "",
        _md_table(COMPARISON_HEADER, _comparison_rows(results)),
        "",
    ]
    if report.get("skipped_baselines"):
        lines += [f"Skipped: {', '.join(f'{k} ({v})' for k, v in report['skipped_baselines'].items())}", ""]
    lines += [
        "## Where doctables loses",
        "",
        "Failure classes: **missed** true table not matched at IoU >= 0.5; **spurious** predicted table matching "
        "nothing; in matched tables, **split r/c** a true row (column) whose content the prediction spread over "
        "several rows (columns), **merged r/c** several true rows (columns) that became one, **text** a true cell "
        "in a clean row and column whose position holds other text, **outside** a true cell outside the predicted "
        "table box.",
        "",
        _md_table(DOCUMENT_HEADER, _document_rows(main)),
        "",
    ]
    notes = []
    for stem, doc in main["documents"].items():
        for d in doc["failures"]["details"]:
            if d["class"] == "missed_table":
                notes.append(
                    f"- {stem} p{d['page']}: missed table of {d['cells']} cells"
                    f"{' (partly covered by a predicted table)' if d['partly_found'] else ''}"
                )
            elif d["class"] == "spurious_table":
                notes.append(
                    f"- {stem} p{d['page']}: spurious table at {d['bbox']}"
                    f"{' (overlaps a true table)' if d['overlapping'] else ''}"
                )
    if notes:
        lines += ["Tables missed and invented by doctables:", "", *notes, ""]
    if main["errors"]:
        lines += ["Pipeline errors: " + "; ".join(f"{k}: {v}" for k, v in main["errors"].items()), ""]
    if report["worst_pages"]:
        lines += [
            "## Worst pages",
            "",
            "Ranked by 10 x (tables missed + spurious) + adjacency relations missed + invented on the page. "
            "Green: truth; magenta, dashed: doctables.",
            "",
        ]
        for w in report["worst_pages"]:
            c = w["counts"]
            rel = Path(w["image"]).relative_to(Path(w["image"]).parent.parent)
            lines.append(
                f"- {w['document']} p{w['page']}: loss {w['loss']} (tables {c['det_hit']}/{c['det_gt']} "
                f"found, {c['det_pred'] - c['det_hit']} spurious; relations {c['rel_hit']}/{c['rel_gt']} "
                f"found, {c['rel_pred'] - c['rel_hit']} wrong) ![]({rel.as_posix()})"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
