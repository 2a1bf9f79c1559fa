"""Hostile files: peak memory and time of a 1,000-frame TIFF and a 36-megapixel scanned page on
the pipeline's path, each stage in a fresh process, as each stage is its own Lambda function.

    python -m bench.hostile [--frames 1000] [--megapixels 36] [--table-pages 4]
                            [--memory-mb 2048] [--out FILE.json] [--baseline CHECKOUT]

The files are generated here (never committed): the TIFF is the sample's two pages scanned at
200 dpi, bilevel, CCITT G4, repeated to `--frames` frames; the scan is the sample's first page at
the resolution that makes `--megapixels`, grey on a scanner's grey paper (228, noise 3 levels:
the scan's cleaning has paper to whiten, as on a real scan), a little skewed and specked. Stages:

- **TIFF conversion**: `open_document` (the frame and pixel budgets, from the headers) and every
  frame rendered one at a time (`render_page`, the PNG and the layout JSON), as the conversion
  function's ranges do, here all frames in one process (stricter than the 50 of one range). The
  resident memory after the 10th frame and after the last tells whether memory stays flat.
- **TIFF table stage**: `--table-pages` frames (4: one batch, one invocation) through
  `decode_image` and `find_page_tables` within the page's time budget, as `process_page` does.
- **Scan conversion** and **scan table stage**: the same for the 36 MP page (rendered within
  DOCTABLES_MAX_RENDER_PIXELS).

With `--baseline CHECKOUT` (a checkout of the code before, e.g. a git worktree) each table
stage runs again right after this tree's on the same files with the baseline's doctables: a
before/after from one run.

Peak memory is the child's high-water resident set (`VmHWM`: models, Python and native
allocations; what Lambda reports as Max Memory Used, less its runtime's few tens of MB). A stage
fits "with margin" when its peak is at most 75% of `--memory-mb`; the exit status is 1 if one
does not."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.pdf"
MARGIN = 0.75  # a stage fits with margin when its peak is at most this share of the function's memory


# --- generating the hostile files -----------------------------------------------------------

def _sample_page(number: int, dpi: float | None = None, megapixels: float | None = None) -> Any:
    """A page of the sample rendered grey at `dpi`, or at the resolution making `megapixels`."""
    import pymupdf
    from PIL import Image

    with pymupdf.open(SAMPLE) as document:
        page = document.load_page(number)
        if megapixels is not None:
            dpi = 72.0 * (megapixels * 1e6 / (page.rect.width * page.rect.height)) ** 0.5
        zoom = (dpi or 72.0) / 72.0
        pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY)
        return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples), dpi


def make_tiff(path: Path, frames: int, dpi: int = 200) -> dict[str, Any]:
    """A `frames`-frame bilevel G4 TIFF of the sample's pages scanned at `dpi`."""
    pages = [_sample_page(i, dpi)[0].point(lambda v: 255 if v > 160 else 0).convert("1") for i in (0, 1)]

    def more():
        for index in range(1, frames):
            yield pages[index % 2]

    pages[0].save(path, format="TIFF", save_all=True, append_images=more(), compression="group4", dpi=(dpi, dpi))
    return {"frames": frames, "frame_pixels": pages[0].size, "bytes": path.stat().st_size}


# The scan's paper: a scanner's grey level and noise (levels), not a rendering's pure white.
SCAN_PAPER = 228
SCAN_NOISE = 3.0


def make_scan(path: Path, megapixels: float) -> dict[str, Any]:
    """The sample's first page as a grey scan of about `megapixels`: on grey, noisy paper,
    skewed 0.4 degrees, specked."""
    import numpy as np
    from PIL import Image

    page, dpi = _sample_page(0, megapixels=megapixels)
    page = page.rotate(0.4, resample=Image.BICUBIC, fillcolor=255)
    rng = np.random.default_rng(7)
    levels = np.asarray(page, dtype=np.float32) * np.float32(SCAN_PAPER / 255)
    levels += rng.standard_normal(levels.shape, dtype=np.float32) * np.float32(SCAN_NOISE)
    pixels = np.clip(levels, 0, 255).astype(np.uint8)
    del levels
    specks = rng.random(pixels.shape) < 0.0005
    pixels[specks] = rng.integers(0, 120, int(specks.sum()), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format="PNG", dpi=(round(dpi), round(dpi)))
    return {"megapixels": round(pixels.size / 1e6, 1), "pixels": [pixels.shape[1], pixels.shape[0]],
            "dpi": round(dpi), "bytes": path.stat().st_size}


# --- the stages, each in a child process ----------------------------------------------------

def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """Peak resident memory of this process image: VmHWM, not ru_maxrss, which Linux carries
    over from the parent across fork and exec (the parent holds the generated files)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _convert(source: Path, keep: int, out: Path) -> dict[str, Any]:
    """Validate and render every page one at a time; keep the first `keep` renderings in `out`."""
    from doctables.convert.render import open_document, render_page
    from doctables.settings import Settings

    settings = Settings.from_env()
    started = time.monotonic()
    document = open_document(source.read_bytes(), settings)
    opened = time.monotonic() - started
    samples: dict[int, float] = {}
    failed = 0
    count = document.page_count
    for number in range(1, count + 1):
        try:
            rendered = render_page(document.load_page(number - 1), number, settings.dpi, settings.max_render_pixels)
            layout = rendered.layout.to_json()
        except Exception:  # recorded per page as PAGE_UNREADABLE by conversion
            failed += 1
            continue
        if number <= keep:
            (out / f"{number:05d}.png").write_bytes(rendered.png)
            (out / f"{number:05d}.json").write_text(layout)
        del rendered, layout
        if number in (1, 10, 100) or number == count or number % 250 == 0:
            samples[number] = round(_rss_mb(), 1)
    document.close()
    seconds = time.monotonic() - started
    return {"pages": count, "failed": failed, "open_s": round(opened, 3), "seconds": round(seconds, 1),
            "per_page_ms": round(1000 * seconds / max(count, 1), 1), "rss_mb_after_page": samples,
            "peak_mb": round(_peak_mb(), 1)}


def _tables(pages: Path) -> dict[str, Any]:
    """Each kept rendering as `process_page` handles it: decode, then find its tables within the
    page's time budget."""
    from doctables.deadline import within_budget
    from doctables.errors import DocumentError
    from doctables.model.layout import PageLayout
    from doctables.models import load_models
    from doctables.models.image import decode_image
    from doctables.page.find import find_page_tables
    from doctables.settings import Settings

    settings = Settings.from_env()
    started = time.monotonic()
    load_models(settings)
    loaded_mb, load_s = _peak_mb(), time.monotonic() - started
    per_page, tables, errors = [], 0, []
    for png in sorted(pages.glob("*.png")):
        began = time.monotonic()
        image = decode_image(png.read_bytes())
        layout = PageLayout.from_json(png.with_suffix(".json").read_bytes())
        try:
            found, _decision = within_budget(settings.page_time_budget, find_page_tables, image, layout, settings,
                                             page=layout.page)
            tables += len(found)
        except DocumentError as error:
            errors.append(error.code.value)
        per_page.append(round(time.monotonic() - began, 2))
        del image
    return {"pages": len(per_page), "tables": tables, "errors": errors, "models_s": round(load_s, 1),
            "models_peak_mb": round(loaded_mb, 1), "page_s": per_page,
            "image_pixels": _image_pixels(pages), "peak_mb": round(_peak_mb(), 1)}


def _image_pixels(pages: Path) -> list[int]:
    for layout in sorted(pages.glob("*.json")):
        data = json.loads(layout.read_text())
        return [data["image_width"], data["image_height"]]
    return []


def _child(stage: str, source: str, keep: int, out: str, code: str = "") -> None:
    if code:  # before anything imports doctables: the stage runs that checkout's code
        sys.path.insert(0, str(Path(code).resolve()))
    report = _tables(Path(out)) if stage == "tables" else _convert(Path(source), keep, Path(out))
    import doctables

    report["code"] = str(Path(doctables.__file__).resolve().parent.parent)
    print(json.dumps(report))


def run_stage(stage: str, source: Path, out: Path, keep: int = 0, timeout: float = 3600.0,
              env: dict[str, str] | None = None, code: Path | None = None) -> dict[str, Any]:
    """One stage in a fresh Python process (with `code`: that checkout's doctables); its report
    (with `wall_s`, the process's own time)."""
    command = [sys.executable, "-m", "bench.hostile", "--child", stage, "--source", str(source),
               "--keep", str(keep), "--pages-dir", str(out)]
    if code is not None:
        command += ["--code", str(code)]
    started = time.monotonic()
    answer = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if answer.returncode != 0:
        raise RuntimeError(f"{stage} failed:\n{answer.stderr[-4000:]}")
    report = json.loads(answer.stdout.strip().splitlines()[-1])
    report["wall_s"] = round(time.monotonic() - started, 1)
    return report


def measure_tiff_conversion(frames: int, dpi: int = 100, timeout: float = 3600.0) -> dict[str, Any]:
    """The TIFF conversion stage alone on a `frames`-frame TIFF (tests use a small one)."""
    with tempfile.TemporaryDirectory(prefix="doctables-hostile-") as tmp:
        work = Path(tmp)
        make_tiff(work / "frames.tif", frames, dpi)
        report = run_stage("convert", work / "frames.tif", work, timeout=timeout)
    samples = {int(k): v for k, v in report["rss_mb_after_page"].items()}
    return {"frames": report["pages"], "failed": report["failed"], "rss_mb_tenth": samples[10],
            "rss_mb_last": samples[max(samples)], "peak_mb": report["peak_mb"], "seconds": report["seconds"]}


# --- the run --------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=1000)
    parser.add_argument("--megapixels", type=float, default=36.0)
    parser.add_argument("--table-pages", type=int, default=4, help="TIFF frames through the table stage")
    parser.add_argument("--memory-mb", type=int, default=2048, help="the functions' memory")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before: each table stage runs "
                        "again with its doctables, right after this tree's, on the same files")
    parser.add_argument("--code", default="", help=argparse.SUPPRESS)
    parser.add_argument("--child", choices=("convert", "tables"), help=argparse.SUPPRESS)
    parser.add_argument("--source", default="", help=argparse.SUPPRESS)
    parser.add_argument("--keep", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--pages-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.source, args.keep, args.pages_dir, args.code)
        return 0

    report: dict[str, Any] = {"memory_mb": args.memory_mb, "margin": MARGIN, "stages": {}}
    with tempfile.TemporaryDirectory(prefix="doctables-hostile-") as tmp:
        work = Path(tmp)
        tiff_pages, scan_pages = work / "tiff-pages", work / "scan-pages"
        tiff_pages.mkdir()
        scan_pages.mkdir()
        print(f"generating a {args.frames}-frame TIFF and a {args.megapixels:g} MP scan ...", flush=True)
        report["tiff"] = make_tiff(work / "frames.tif", args.frames)
        report["scan"] = make_scan(work / "scan.png", args.megapixels)
        print(f"  TIFF: {report['tiff']}\n  scan: {report['scan']}", flush=True)
        stages = [
            ("TIFF conversion", "convert", work / "frames.tif", tiff_pages, args.table_pages),
            ("TIFF table stage", "tables", work / "frames.tif", tiff_pages, 0),
            ("scan conversion", "convert", work / "scan.png", scan_pages, 1),
            ("scan table stage", "tables", work / "scan.png", scan_pages, 0),
        ]
        for name, stage, source, out, keep in stages:
            print(f"{name} ...", flush=True)
            result = run_stage(stage, source, out, keep)
            result["fits_with_margin"] = result["peak_mb"] <= MARGIN * args.memory_mb
            report["stages"][name] = result
            print(f"  {_line(name, result, args.memory_mb)}", flush=True)
            if args.baseline is not None and stage == "tables":
                before = run_stage(stage, source, out, keep, code=args.baseline)
                result["baseline"] = before
                print(f"  before ({before['code']}): {_line(name, before, args.memory_mb)}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    ok = all(s["fits_with_margin"] for s in report["stages"].values())
    print("every stage fits the function's memory with margin" if ok else "a stage does not fit with margin")
    return 0 if ok else 1


def _line(name: str, result: dict[str, Any], memory_mb: int) -> str:
    share = 100 * result["peak_mb"] / memory_mb
    if "rss_mb_after_page" in result:
        samples = ", ".join(f"{k}: {v:.0f}" for k, v in result["rss_mb_after_page"].items())
        detail = (f"{result['pages']} pages in {result['seconds']} s ({result['per_page_ms']} ms/page), "
                  f"{result['failed']} failed; RSS MB after page {samples}")
    else:
        detail = (f"{result['pages']} pages of {result['image_pixels']} px, {result['tables']} tables, "
                  f"errors {result['errors'] or 'none'}, s/page {result['page_s']} (models {result['models_s']} s)")
    return f"peak {result['peak_mb']:.0f} MB ({share:.0f}% of {memory_mb} MB); {detail}"


if __name__ == "__main__":
    sys.exit(main())
