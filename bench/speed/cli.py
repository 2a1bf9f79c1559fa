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
from . import conversion, cost, lambda_model, prices
from .end_to_end import build_document, scanned_copy


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
        "--e2e-sizes",
        default="10,50",
        help="more end-to-end documents (pages, comma-separated; default 10,50): with --e2e-pages they give the "
        "requests per document and per page (a linear fit) for the cost at 10, 100, 1,000 and 3,000 pages",
    )
    parser.add_argument(
        "--scanned-pages",
        type=int,
        default=10,
        help="pages of a scanned document (the end-to-end document's first pages rendered at 200 dpi grey, no "
        "text layer) run end to end and costed apart (default 10; 0: none)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="a checkout of the code before (git worktree): its pipeline runs the same end-to-end document "
        "right after this one's, measured and costed alike, for a before/after table from one run",
    )
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
            e2e_args = ["--model-threads", str(config.model_threads), "--dpi", str(config.dpi),
                        "--batch-size", str(config.batch_size), "--range-pages", str(config.range_pages)]

            def end_to_end(size: int, code: Path | None = None) -> dict[str, Any]:
                document = tmp / f"e2e-{size}.pdf"
                pages = build_document(pdfs, size, document)
                where = f" with the pipeline of {code}" if code else ""
                print(f"[end to end] {pages}-page document through run_files{where}, fresh process ...", flush=True)
                extra = ["--code", str(code)] if code else []
                run = _worker("bench.speed.end_to_end", ["--pdf", str(document), *e2e_args, *extra],
                              tmp / f"e2e-{size}-{'baseline' if code else 'this'}.json")
                run["document"] = f"{pages} pages concatenated from {data.name} (temporary file)"
                print(
                    f"  {run['pages_per_second']:.2f} pages/s ({run['wall_s']:.1f} s for {run['pages']['total']} "
                    f"pages, status {run['status']}, {run['tables']} tables)",
                    flush=True,
                )
                return run

            report["end_to_end"] = end_to_end(args.e2e_pages)
            if args.baseline:
                report["baseline"] = {"code": str(args.baseline), "end_to_end": end_to_end(args.e2e_pages, args.baseline)}
            sizes = [int(s) for s in args.e2e_sizes.split(",") if s.strip() and int(s) != args.e2e_pages]
            report["end_to_end_sizes"] = [end_to_end(size) for size in sizes]
            if args.scanned_pages:
                source = tmp / f"scan-source-{args.scanned_pages}.pdf"
                build_document(pdfs, args.scanned_pages, source)
                document = scanned_copy(source, tmp / f"scanned-{args.scanned_pages}.pdf")
                print(f"[end to end] {args.scanned_pages}-page scanned document (200 dpi grey, no text layer) ...",
                      flush=True)
                report["scanned"] = _worker("bench.speed.end_to_end", ["--pdf", str(document), *e2e_args],
                                            tmp / "e2e-scanned.json")
    if "end_to_end" in report:
        cold = _cold_start(report.get("table_stage", {}))
        usage = usage_from(report["end_to_end"], cold)
        report["usage_per_page"] = vars(usage)
        report["cost"] = {arch: cost.cost_per_thousand_pages(usage, config, arch) for arch in ("arm64", "x86_64")}
        report["cost"]["configured_architecture"] = config.architecture
        _print_cost(report["cost"])
        if "baseline" in report:
            before = usage_from(report["baseline"]["end_to_end"], cold)
            before_config = cost.StackConfig.from_cdk_json(args.baseline / "cdk.json")
            report["baseline"]["usage_per_page"] = vars(before)
            report["baseline"]["config"] = vars(before_config)
            report["baseline"]["cost"] = {arch: cost.cost_per_thousand_pages(before, before_config, arch)
                                          for arch in ("arm64", "x86_64")}
            print(f"  baseline: ${report['baseline']['cost']['arm64']['total_dollars']:.4f} per 1,000 pages (arm64)")
        if "scanned" in report:
            scanned = usage_from(report["scanned"], cold)
            report["scanned_cost"] = cost.cost_per_thousand_pages(scanned, config, "arm64")
            report["scanned_usage_per_page"] = vars(scanned)
            print(f"  scanned pages: ${report['scanned_cost']['total_dollars']:.4f} per 1,000 pages (arm64), "
                  f"{scanned.table_seconds:.2f} s of table stage a page", flush=True)
        runs = [report["end_to_end"], *report.get("end_to_end_sizes", [])]
        report["lambda_model"] = lambda_model.report(usage, config, runs, floors=TABLE_MEMORY_FLOORS)
        _print_model(report["lambda_model"])
    write_json(out_dir / "speed.json", report)
    (out_dir / "speed.md").write_text(markdown(report))
    print(f"report: {out_dir / 'speed.md'}  results: {out_dir / 'speed.json'}")
    return 0


# Memory each function needs (bench.hostile, bench/README.md): the table stage peaks at 750 MB on a
# 36-megapixel scan (measured 2026-12-05), so 1,024 MB keeps a margin; conversion at 247 MB on it
# (measured), to which a 200 MB upload (maxBytes, held in memory) and a range's bundle (at most
# 64 MB, twice while joined) add: 1,024 MB keeps a margin (not measured at those sizes).
TABLE_MEMORY_FLOORS = (1024, 1024)


def _print_model(model: dict[str, Any]) -> None:
    long = model["document_3000_pages"]["at_defaults"]
    print(
        f"  3,000 pages on Lambda (model): finished in {long['finished_s']:.0f} s (conversion done "
        f"{long['conversion_done_s']:.0f} s, tables {long['tables_done_s']:.0f} s, bound by {long['bound_by']}); "
        f"20,000 pages refused with {model['document_20000_pages']['refused_with']} in "
        f"{model['document_20000_pages']['ms']} ms",
        flush=True,
    )
    for row in model["cost_by_size"]:
        print(f"  {row['pages']:>5} pages: ${row['dollars_per_1000_pages']:.4f} per 1,000 pages", flush=True)


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
    if "scanned_cost" in report:
        k, u = report["scanned_cost"], report["scanned_usage_per_page"]
        lines += [
            "## Scanned pages",
            "",
            f"{report['scanned']['pages']['total']} pages of the end-to-end document rendered at 200 dpi grey with no "
            f"text layer, through the same runner: {u['table_seconds']:.2f} s of table stage and "
            f"{u['conversion_seconds'] * 1000:.0f} ms of conversion a page, {u['dynamodb_wru']:.2f} write units; "
            f"**${k['total_dollars']:.4f} per 1,000 scanned pages** on arm64 (table-stage compute "
            f"${k['dollars']['lambda_table_compute']:.4f}, page storage ${k['dollars']['s3_page_storage']:.4f}).",
            "",
        ]
    if "baseline" in report:
        lines += _md_before_after(report)
    if "lambda_model" in report:
        lines += _md_model(report["lambda_model"])
    return "\n".join(lines)


def _md_before_after(report: dict[str, Any]) -> list[str]:
    """Before (the baseline checkout) and after (this tree), same document, same run."""
    before, after = report["baseline"], report
    b, a = before["cost"]["arm64"], after["cost"]["arm64"]
    ub, ua = before["usage_per_page"], after["usage_per_page"]
    rows = [[k, f"{b['dollars'][k]:.5f}", f"{a['dollars'][k]:.5f}"] for k in a["dollars"]]
    rows.append(["**total**", f"**{b['total_dollars']:.4f}**", f"**{a['total_dollars']:.4f}**"])
    for name, key, digits in (("DynamoDB write units / page", "dynamodb_wru", 2),
                              ("DynamoDB read units / page", "dynamodb_rru", 2),
                              ("S3 PUT / page (upload included)", "s3_put", 3), ("S3 GET / page", "s3_get", 3),
                              ("KB stored under pages/ per page", "s3_stored_bytes", 0),
                              ("table stage s / page", "table_seconds", 3),
                              ("conversion s / page", "conversion_seconds", 3)):
        scale = 1 / 1024 if key == "s3_stored_bytes" else 1
        rows.append([name, f"{ub[key] * scale:.{digits}f}", f"{ua[key] * scale:.{digits}f}"])
    wb = before["end_to_end"].get("write_units_by_call", {})
    wa = after["end_to_end"].get("write_units_by_call", {})
    calls = [[k, f"{wb.get(k, 0):.3f}", f"{wa.get(k, 0):.3f}"] for k in sorted(set(wb) | set(wa))]
    return [
        "## Before and after (arm64, $ per 1,000 pages)",
        "",
        f"The same {after['end_to_end']['pages']['total']}-page document through the local runner, first this "
        f"tree's pipeline, then the baseline's (`{before['code']}`), each in a fresh process, each costed at its "
        "own cdk.json (memory sizes, page lifecycle) with the same prices and the same table-stage cold start. "
        f"Differences: {_config_changes(before['config'], report['config'])}.",
        "",
        _md_table(["item", "before", "after"], rows),
        "",
        "Write units (DynamoDB) and PUTs (S3) per page, by call and item kind:",
        "",
        _md_table(["call [items]", "before", "after"], calls),
        "",
    ]


def _config_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    changed = [f"`{k}` {before[k]} -> {after[k]}" for k in after if k != "source" and before.get(k) != after[k]]
    return ", ".join(changed) or "none"


def _md_model(model: dict[str, Any]) -> list[str]:
    """The Lambda model: the 3,000-page document, the memory sweep, cost by document size."""
    long = model["document_3000_pages"]
    a, slow, refused = long["at_defaults"], long["arm64_1.5x_slower"], model["document_20000_pages"]
    assumptions = ", ".join(f"`{k}` {v}" for k, v in model["assumptions"].items())
    sweep = [
        [r["function"], str(r["memory_mb"]) + (" (configured)" if r["configured"] else ""),
         f"{r['compute_dollars']:.5f}", f"{r['total_dollars']:.4f}", f"{r['finished_s']:.0f}",
         "yes" if r["fits"] else "no"]
        for r in model["memory_sweep"]
    ]
    lines = [
        "## A 3,000-page document on Lambda (model)",
        "",
        f"From the measured seconds per page (conversion {a['seconds_per_page']['conversion'] * 1000:.0f} ms, table "
        f"stage {a['seconds_per_page']['table'] * 1000:.0f} ms of function time, table-stage init "
        f"{model['stage_seconds']['table_model_init']:.2f} s) and these assumptions: {assumptions}.",
        "",
        f"- At the stack's defaults: {a['ranges']} ranges, {a['table_invocations']} table-stage invocations, "
        f"{a['table_cold_starts']} cold starts; conversion done at {a['conversion_done_s']:.0f} s, tables at "
        f"{a['tables_done_s']:.0f} s, **finished at {a['finished_s']:.0f} s** (goal {long['goal_s']} s), bound by "
        f"{a['bound_by']}.",
        f"- If arm64 is 1.5x slower than this machine: finished at {slow['finished_s']:.0f} s.",
        f"- A {refused['pages']:,}-page PDF at `maxPages` {refused['max_pages']}: refused with "
        f"`{refused['refused_with']}` in {refused['ms']} ms, before any page is read.",
        "",
        "### Memory sweep (modelled)",
        "",
        "Seconds scale with Lambda's CPU share (memory / 1,769 MB, at most the threads the work uses: one for "
        "conversion, `modelThreads` for the table stage) from the seconds measured at the configured size; the "
        "other function stays at its configured size. \"fits\": at or above the measured memory floor.",
        "",
        _md_table(["function", "memory MB", "its compute $ / 1,000 pages", "total $ / 1,000 pages",
                   "3,000 pages finished s", "fits"], sweep),
        "",
    ]
    if model["cost_by_size"]:
        lines += [
            "### Cost by document size (arm64)",
            "",
            "Requests fitted as per document + per page from the end-to-end runs at several sizes; function "
            "seconds per page as measured.",
            "",
            _md_table(["pages", "$ per 1,000 pages", "$ per document", "write units / page", "S3 PUT / page"],
                      [[f"{r['pages']:,}", f"{r['dollars_per_1000_pages']:.4f}", f"{r['dollars_per_document']:.5f}",
                        f"{r['write_units_per_page']:.2f}", f"{r['s3_puts_per_page']:.3f}"]
                       for r in model["cost_by_size"]]),
            "",
        ]
    return lines


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
