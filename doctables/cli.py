"""The `doctables` command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doctables", description="Tables out of documents, on AWS or locally.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole pipeline locally on embedded moto")
    run.add_argument("files", nargs="+", type=Path, help="PDF, PNG, JPEG or TIFF files")
    run.add_argument("--out", type=Path, default=None, help="write each document's result JSON here")
    run.add_argument("--dpi", type=int, default=None, help="page rendering resolution")
    run.add_argument("--timeout", type=float, default=1800.0, help="seconds before giving up")
    run.add_argument("--quiet", action="store_true", help="no progress bar or table printout")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_command(args)
    return 2


def run_command(args: argparse.Namespace) -> int:
    from .local_run import run_files

    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        print(f"doctables: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    if args.dpi:
        settings = settings.with_overrides(dpi=args.dpi)
    results = run_files(args.files, settings=settings, timeout=args.timeout, progress=not args.quiet)
    failed = 0
    for path, result in zip(args.files, results):
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{path.stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
        if not args.quiet:
            print(describe(path, result))
        failed += result["status"] == "FAILED"
    return 1 if failed else 0


def describe(path: Path, result: dict) -> str:
    """A human-readable summary of one result: status, then every table as a text grid."""
    from .tables import Table

    pages = result["pages"]
    lines = [f"{path.name}: {result['status']}, {pages['done']}/{pages['total']} pages, {len(result['tables'])} tables"]
    if result.get("error"):
        lines.append(f"  error {result['error']['code']}: {result['error']['message']}")
    for page in result.get("page_results", []):
        if page.get("error"):
            lines.append(f"  page {page['page']} {page['error']['code']}: {page['error']['message']}")
    for data in result["tables"]:
        table = Table.from_dict(data)
        lines.append(f"\n  table {table.table_id} (page {table.page}, {table.rows} x {table.columns})")
        lines.extend("  " + row for row in text_grid(table.grid(), table.header_rows))
    return "\n".join(lines)


def text_grid(rows: list[list[str]], header_rows: int = 0, max_width: int = 28) -> list[str]:
    """Rows of cells as aligned text columns, a rule under the header."""
    if not rows:
        return []
    clipped = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in rows]
    widths = [max(len(row[i]) for row in clipped) for i in range(len(clipped[0]))]
    out = []
    for index, row in enumerate(clipped):
        out.append(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index + 1 == header_rows:
            out.append("-+-".join("-" * width for width in widths))
    return out


if __name__ == "__main__":
    sys.exit(main())
