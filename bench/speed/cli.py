"""`python -m bench.speed`: conversion speed (PyMuPDF against pdftoppm), table-stage timings at
1 and 2 threads, end-to-end pages per second through the local runner, and dollars per 1,000
pages beside Amazon Textract. Writes JSON and Markdown; asserts nothing."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .. import DEFAULT_DATA, DEFAULT_REPORT_DIR, REPO_ROOT, machine_description, write_json
from . import conversion, cost, prices
from .end_to_end import build_document


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="directory of PDFs (default: ../shared/bench/icdar2013-dev)"
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=DEFAULT_REPORT_DIR,
        help="speed.json and speed.md go to REPORT_DIR/speed/ (default: bench/results)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the conversion comparison")
    parser.add_argument("--threads", default="1,2", help="model thread counts for the table stage (default 1,2)")
    parser.add_argument(
        "--decoders",
        default="graph,auto",
        help="structure decoders compared side by side in the interleaved table-stage run: graph (the "
        "whole ONNX graph), auto (encoder in onnxruntime, decoder in numpy); default graph,auto",
    )
    parser.add_argument("--e2e-pages", type=int, default=100, help="pages of the end-to-end document (default 100)")
    parser.add_argument(
        "--cdk-json",
        type=Path,
        default=REPO_ROOT / "cdk.json",
        help="where the memory sizes and batch settings come from (default: the repo's cdk.json)",
    )
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: conversion,table,e2e")
    return parser.parse_args(argv)


def _worker(module: str, args: list[str], out: Path) -> dict[str, Any]:
    """Run a measuring worker in a fresh Python process; its JSON result."""
    env = {**os.environ, "POWERTOOLS_LOG_LEVEL": "ERROR"}
    completed = subprocess.run(
        [sys.executable, "-m", module, *args, "--out", str(out)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} failed ({completed.returncode}):\n{completed.stderr[-4000:]}")
    return json.loads(out.read_text())


def render_pages(pdfs: list[Path], dpi: int, out: Path) -> int:
    """Store every page as the conversion function does: PNG plus layout JSON."""
    import pymupdf

    from doctables.convert.render import render_page

    n = 0
    for pdf in pdfs:
        with pymupdf.open(pdf) as document:
            for page in document:
                n += 1
                rendered = render_page(page, page.number + 1, dpi)
                (out / f"{n:05d}.png").write_bytes(rendered.png)
                (out / f"{n:05d}.json").write_text(rendered.layout.to_json())
    return n


def usage_from(e2e: dict[str, Any], cold_start_s: float) -> cost.Usage:
    """Per-page resource use from the end-to-end run. The table stage's model load (measured
    apart, `cold_start_s`) is taken out of its seconds and costed per cold start instead."""
    pages = max(1, int(e2e["pages"]["total"]))
    units = e2e["units"]
    table_seconds = max(0.0, e2e["handler_seconds"]["tables"] - cold_start_s)
    return cost.Usage(
        conversion_seconds=e2e["handler_seconds"]["conversion"] / pages,
        table_seconds=table_seconds / pages,
        pages_per_document=pages,
        s3_put=units.get("s3_put", 0.0) / pages + 1 / pages,  # + the user's upload of the document
        s3_get=units.get("s3_get", 0.0) / pages,
        s3_stored_bytes=units.get("s3_stored_bytes", 0.0) / pages,
        sqs_requests=units.get("sqs_requests", 0.0) / pages,
        dynamodb_wru=units.get("dynamodb_wru", 0.0) / pages,
        dynamodb_rru=units.get("dynamodb_rru", 0.0) / pages,
        eventbridge_events=units.get("eventbridge_events", 0.0) / pages,
        cold_start_seconds=cold_start_s,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = args.data.resolve()
    pdfs = sorted(data.glob("*.pdf"))
    if not pdfs:
        print(f"no PDFs in {data}", file=sys.stderr)
        return 2
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    config = cost.StackConfig.from_cdk_json(args.cdk_json)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    out_dir = args.report_dir.resolve() / "speed"
    report: dict[str, Any] = {
        "data": str(data),
        "documents": len(pdfs),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.speed", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(),
        "config": vars(config),
        "prices": prices.as_dict(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp_name:
        tmp = Path(tmp_name)
        if "conversion" not in skip:
            print(
                f"[conversion] PyMuPDF vs pdftoppm at {config.dpi} dpi, {args.rounds} interleaved rounds "
                f"over {len(pdfs)} documents ...",
                flush=True,
            )
            report["conversion"] = conversion.benchmark(pdfs, config.dpi, rounds=args.rounds)
            _print_conversion(report["conversion"])
        if "table" not in skip:
            pages_dir = tmp / "pages"
            pages_dir.mkdir()
            n = render_pages(pdfs, config.dpi, pages_dir)
            stage: dict[str, Any] = {"pages": n, "separate": []}
            for t in threads:
                print(f"[table stage] {n} pages, {t} thread(s), fresh process (cold start, peak RSS) ...", flush=True)
                result = _worker(
                    "bench.speed.table_stage", ["--pages", str(pages_dir), "--threads", str(t)], tmp / f"table-{t}.json"
                )
                stage["separate"].append(result)
                _print_table_stage(result)
            if len(threads) * len(args.decoders.split(",")) > 1:
                print(
                    f"[table stage] {n} pages, threads {args.threads} x decoders {args.decoders} interleaved "
                    "page by page in one process ...",
                    flush=True,
                )
                stage["interleaved"] = _worker(
                    "bench.speed.table_stage",
                    ["--pages", str(pages_dir), "--threads", args.threads, "--decoders", args.decoders],
                    tmp / "table-interleaved.json",
                )
                _print_table_stage(stage["interleaved"])
            report["table_stage"] = stage
        if "e2e" not in skip:
            document = tmp / f"e2e-{args.e2e_pages}.pdf"
            pages = build_document(pdfs, args.e2e_pages, document)
            print(f"[end to end] {pages}-page document through run_files, fresh process ...", flush=True)
            report["end_to_end"] = _worker(
                "bench.speed.end_to_end",
                ["--pdf", str(document), "--model-threads", str(config.model_threads), "--dpi", str(config.dpi),
                 "--batch-size", str(config.batch_size), "--range-pages", str(config.range_pages)],
                tmp / "e2e.json",
            )
            report["end_to_end"]["document"] = f"{pages} pages concatenated from {data.name} (temporary file)"
            e = report["end_to_end"]
            print(
                f"  {e['pages_per_second']:.2f} pages/s ({e['wall_s']:.1f} s for {e['pages']['total']} pages, "
                f"status {e['status']}, {e['tables']} tables)",
                flush=True,
            )
    if "end_to_end" in report:
        cold = _cold_start(report.get("table_stage", {}))
        usage = usage_from(report["end_to_end"], cold)
        report["usage_per_page"] = vars(usage)
        report["cost"] = {arch: cost.cost_per_thousand_pages(usage, config, arch) for arch in ("arm64", "x86_64")}
        report["cost"]["configured_architecture"] = config.architecture
        _print_cost(report["cost"])
    write_json(out_dir / "speed.json", report)
    (out_dir / "speed.md").write_text(markdown(report))
    print(f"report: {out_dir / 'speed.md'}  results: {out_dir / 'speed.json'}")
    return 0


def _cold_start(table_stage: dict[str, Any]) -> float:
    """Import + model load of the table stage, from the run with the most threads (the deployed
    default of 0 threads means all cores)."""
    separate = table_stage.get("separate", []) if table_stage else []
    if not separate:
        return 0.0
    return max(separate, key=lambda r: r["threads"][0])["cold_start_s"]


def _print_conversion(c: dict[str, Any]) -> None:
    for name, m in c["methods"].items():
        print(
            f"  {name:<20} {m['pages_per_second']:7.2f} pages/s  {m['ms_per_page']:7.1f} ms/page  "
            f"{m['mean_png_kb']} KB/page PNG",
            flush=True,
        )
    if c.get("pymupdf_over_pdftoppm") is not None:
        print(f"  PyMuPDF / pdftoppm pages per second: {c['pymupdf_over_pdftoppm']:.2f}x", flush=True)


def _print_table_stage(run: dict[str, Any]) -> None:
    for r in run["configs"]:
        p = r["ms_per_page"]
        s = r["structure_ms_per_table"]
        print(
            f"  threads={r['threads']} decoder={r.get('structure_decoder', 'graph')}: detection "
            f"{p['detection']['median']:.0f}/{p['detection']['p90']:.0f} ms/page (median/p90), structure "
            f"{s.get('median', 0):.0f}/{s.get('p90', 0):.0f} ms/table over {s['n']} tables, text-layer check "
            f"{p['text_layer']['median']:.0f} ms/page, table stage "
            f"{p['table_stage']['median']:.0f}/{p['table_stage']['p90']:.0f} ms/page",
            flush=True,
        )
    if not run["interleaved"]:
        print(
            f"  cold start {run['cold_start_s']:.2f} s (import {run['import_s']:.2f} s + model load "
            f"{run['configs'][0]['model_load_s']:.2f} s); RSS after load {run['rss_mb']['after_model_load']:.0f} MB, "
            f"peak {run['rss_mb']['peak']:.0f} MB; load average {run['load_average']}",
            flush=True,
        )


def _print_cost(c: dict[str, Any]) -> None:
    for arch in ("arm64", "x86_64"):
        k = c[arch]
        print(
            f"  cost {arch}: ${k['total_dollars']:.4f} per 1,000 pages (Textract tables "
            f"${k['textract_tables_dollars']:.2f}, {k['textract_over_doctables']}x)",
            flush=True,
        )


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def markdown(report: dict[str, Any]) -> str:
    """The short Markdown report of one speed run."""
    m = report["machine"]
    lines = [
        "# Speed and cost",
        "",
        f"Run {report['started']} on {m.get('cpus')} CPUs ({m.get('processor')}), Python {m.get('python')}, "
        f"PyMuPDF {m.get('pymupdf')}, onnxruntime {m.get('onnxruntime')}; data `{report['data']}` "
        f"({report['documents']} PDFs).",
        "",
        f"Command: `{report['command']}`",
        "",
    ]
    if "conversion" in report:
        c = report["conversion"]
        lines += [
            f"## Conversion ({c['dpi']} dpi, {c['rounds']} interleaved rounds)",
            "",
            _md_table(
                ["method", "pages/s", "ms/page", "PNG KB/page"],
                [
                    [k, f"{v['pages_per_second']:.2f}", f"{v['ms_per_page']:.1f}", f"{v['mean_png_kb']}"]
                    for k, v in c["methods"].items()
                ],
            ),
            "",
        ]
        if c.get("pymupdf_over_pdftoppm") is not None:
            lines += [
                f"PyMuPDF renders {c['pymupdf_over_pdftoppm']:.2f}x as many pages per second as pdftoppm "
                "(`pymupdf_png` vs `pdftoppm_png`: both write one PNG per page; pdftoppm runs once per "
                "document). `pymupdf_render_page` is the whole conversion step per page (PNG + words + rules).",
                "",
            ]
    if report.get("table_stage"):
        stage = report["table_stage"]
        timed = stage.get("interleaved") or None
        separate = {run["configs"][0]["threads"]: run for run in stage["separate"]}
        rows = []
        for r in (timed or {"configs": [run["configs"][0] for run in stage["separate"]]})["configs"]:
            run = separate.get(r["threads"])
            p, s = r["ms_per_page"], r["structure_ms_per_table"]
            rows.append(
                [
                    str(r["threads"]),
                    r.get("structure_decoder", "graph"),
                    f"{p['detection']['median']:.0f} / {p['detection']['p90']:.0f}",
                    f"{s.get('median', 0):.0f} / {s.get('p90', 0):.0f} (n={s['n']})",
                    f"{p['text_layer']['median']:.0f} / {p['text_layer']['p90']:.0f}",
                    f"{p['assembly']['median']:.0f} / {p['assembly']['p90']:.0f}",
                    f"{p['table_stage']['median']:.0f} / {p['table_stage']['p90']:.0f}",
                    f"{run['import_s']:.2f} + {run['configs'][0]['model_load_s']:.2f}" if run else "",
                    f"{run['rss_mb']['after_model_load']:.0f} / {run['rss_mb']['peak']:.0f}" if run else "",
                ]
            )
        how = (
            "timings from one process where the configurations took turns page by page; cold start and "
            "RSS from a fresh process per thread count (decoder auto)"
            if timed
            else "each thread count in a fresh process"
        )
        loads = [run.get("load_average") for run in stage["separate"]] + ([timed.get("load_average")] if timed else [])
        lines += [
            "## Table stage",
            "",
            f"{stage['pages']} pages (after {stage['separate'][0]['configs'][0]['warmup_pages']} warm-up page), "
            f"median / p90 in ms; {how}. Load average (1/5/15 min) at the end of each run: {loads}.",
            "",
            _md_table(
                [
                    "threads",
                    "structure decoder",
                    "detection ms/page",
                    "structure ms/table",
                    "text-layer check ms/page",
                    "assembly ms/page",
                    "table stage ms/page",
                    "cold start s (import + model load)",
                    "RSS MB (loaded / peak)",
                ],
                rows,
            ),
            "",
        ]
    if "end_to_end" in report:
        e = report["end_to_end"]
        lines += [
            "## End to end",
            "",
            f"{e['document']}: {e['pages_per_second']:.2f} pages/s through `run_files` ({e['wall_s']:.1f} s, "
            f"status {e['status']}, {e['tables']} tables, one process playing every function, model load "
            f"included). Function time: conversion {e['handler_seconds']['conversion']:.1f} s in "
            f"{e['handler_invocations']['conversion']} invocation(s), table stage "
            f"{e['handler_seconds']['tables']:.1f} s in {e['handler_invocations']['tables']}.",
            "",
        ]
    if "cost" in report:
        u = report["usage_per_page"]
        arm, x86 = report["cost"]["arm64"], report["cost"]["x86_64"]
        cfg = arm["assumptions"]["config"]
        rows = [[k, f"{arm['dollars'][k]:.5f}", f"{x86['dollars'][k]:.5f}"] for k in arm["dollars"]]
        rows.append(["**total**", f"**{arm['total_dollars']:.4f}**", f"**{x86['total_dollars']:.4f}**"])
        rows.append(
            [
                "Textract AnalyzeDocument Tables",
                f"{arm['textract_tables_dollars']:.2f}",
                f"{x86['textract_tables_dollars']:.2f}",
            ]
        )
        lines += [
            "## Cost per 1,000 pages",
            "",
            f"Memory: conversion {cfg['conversion_memory_mb']} MB, table stage {cfg['table_memory_mb']} MB "
            f"(from {cfg['source']}); configured architecture {report['cost']['configured_architecture']}. "
            f"Measured per page: conversion {u['conversion_seconds'] * 1000:.0f} ms, table stage "
            f"{u['table_seconds'] * 1000:.0f} ms of function time (end-to-end run, x86 CPU here; arm64 speed "
            f"not measured), {u['s3_put']:.2f} S3 PUT, {u['s3_get']:.2f} S3 GET, {u['dynamodb_wru']:.2f} WRU, "
            f"{u['dynamodb_rru']:.2f} RRU, {u['sqs_requests']:.2f} SQS sends; documents of "
            f"{u['pages_per_document']} pages; {arm['assumptions']['cold_starts_per_1000_pages']} cold starts "
            f"of {u['cold_start_seconds']:.2f} s per 1,000 pages.",
            "",
            _md_table(["item", "arm64 $", "x86_64 $"], rows),
            "",
            f"Textract costs {arm['textract_over_doctables']}x (arm64) / {x86['textract_over_doctables']}x (x86_64) "
            f"as much. Prices: {prices.PRICES_AS_OF}, listed in `bench/speed/prices.py`.",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
