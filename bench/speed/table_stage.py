"""Table stage timing in a fresh process:

    python -m bench.speed.table_stage --pages DIR --threads N[,M...] [--decoders auto,graph] --out FILE.json

Each configuration is a thread count and a structure decoder (`auto`: SLANet's encoder in
onnxruntime and its decoder in numpy; `graph`: the whole ONNX graph, as before). With one
configuration the model load is cold and the peak RSS belongs to it alone; with several, their
sessions share the process and take turns page by page, which makes their timings comparable
on a machine whose load drifts.

DIR holds pages as conversion stores them (`NNNNN.png` + `NNNNN.json` layout). Measures the
import and model load (the container's cold-start share), then per page what the table stage
does with it: PNG decode, then `find_page_tables` (the text-layer check, detection, structure
per table, assembly), split into detection (`TableDetector.detect_regions`: resize, inference,
decoding), structure (`StructureRecognizer.recognise`: crop preparation, inference, decoding),
text-layer check (`prepare_page`) and assembly (the rest), and the process's peak RSS."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import emit_json


def rss_mb() -> float:
    """Current resident set size of this process (MB), from /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB); ru_maxrss is in KB on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict[str, Any]:
    """Count, median, p90, mean and total of a list of milliseconds."""
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": round(statistics.median(values), 2),
        "p90": round(percentile(values, 90) or 0.0, 2),
        "mean": round(statistics.fmean(values), 2),
        "total": round(sum(values), 1),
    }


class _Stopwatch:
    """Wraps a callable and records how long each call took (ms)."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner
        self.calls: list[float] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.inner(*args, **kwargs)
        finally:
            self.calls.append(1000 * (time.perf_counter() - start))


class _Config:
    """One configuration's settings and models, with stopwatches at the model boundary and
    its samples."""

    def __init__(self, threads: int, decoder: str, settings: Any, models: Any, load_s: float) -> None:
        self.threads = threads
        self.decoder = decoder
        self.settings = settings
        self.models = models
        self.load_s = load_s
        # Time at the model boundary, whichever way the stage reaches the models; the detector
        # object is this configuration's own (its onnxruntime session may be shared).
        self.detection = _Stopwatch(models.detector.detect_regions)
        models.detector.detect_regions = self.detection
        self.structure = _Stopwatch(models.structure.recognise)
        models.structure.recognise = self.structure
        self.per_page: dict[str, list[float]] = {
            "decode": [],
            "detection": [],
            "structure": [],
            "text_layer": [],
            "assembly": [],
            "find_page_tables": [],
            "table_stage": [],
        }
        self.structure_ms: list[float] = []
        self.tables = 0
        self.warmup_ms: list[float] = []


def measure(
    pages_dir: Path, threads: list[int], warmup: int = 1, decoders: tuple[str, ...] = ("auto",)
) -> dict[str, Any]:
    """Everything above for each thread count in `threads` with each structure decoder in
    `decoders`; with several configurations, their model sessions live in this one process and
    take turns page by page (the order rotating), so that a machine whose load drifts slows them
    alike. Returns the JSON-ready result."""
    rss_start = rss_mb()
    start = time.perf_counter()
    import doctables.page.find as page_tables
    from doctables.model.layout import PageLayout
    from doctables.models import load_models
    from doctables.models.image import decode_image
    from doctables.settings import Settings

    import_s = time.perf_counter() - start
    configs = []
    for t in threads:
        for decoder in decoders:
            start = time.perf_counter()
            settings = Settings(model_threads=t, structure_decoder=decoder)
            models = load_models(settings)
            configs.append(_Config(t, decoder, settings, models, time.perf_counter() - start))
    rss_loaded = rss_mb()
    # The text-layer check, timed where find_page_tables calls it.
    text_layer = _Stopwatch(page_tables.prepare_page)
    page_tables.prepare_page = text_layer

    pages = sorted(pages_dir.glob("*.png"))
    for index, png in enumerate(pages):
        data = png.read_bytes()
        layout = PageLayout.from_json(png.with_suffix(".json").read_text())
        shift = index % len(configs)
        for config in configs[shift:] + configs[:shift]:
            config.detection.calls.clear()
            config.structure.calls.clear()
            text_layer.calls.clear()
            t0 = time.perf_counter()
            image = decode_image(data)
            t1 = time.perf_counter()
            found, _decision = page_tables.find_page_tables(image, layout, config.settings)
            t2 = time.perf_counter()
            if index < warmup:  # the first inference of a session pays one-off allocations
                config.warmup_ms.append(round(1000 * (t2 - t0), 1))
                continue
            detection_ms, structure_ms = sum(config.detection.calls), sum(config.structure.calls)
            # prepare_page calls detection itself on pages it reads with OCR
            text_layer_ms = sum(text_layer.calls)
            config.tables += len(found)
            config.per_page["decode"].append(1000 * (t1 - t0))
            config.per_page["find_page_tables"].append(1000 * (t2 - t1))
            config.per_page["table_stage"].append(1000 * (t2 - t0))
            config.per_page["detection"].append(detection_ms)
            config.per_page["structure"].append(structure_ms)
            config.per_page["text_layer"].append(text_layer_ms)
            config.per_page["assembly"].append(max(0.0, 1000 * (t2 - t1) - detection_ms - structure_ms - text_layer_ms))
            config.structure_ms.extend(config.structure.calls)
    results = [
        {
            "threads": c.threads,
            "structure_decoder": c.decoder,
            "pages": len(c.per_page["decode"]),
            "warmup_pages": len(c.warmup_ms),
            "warmup_ms": c.warmup_ms,
            "tables": c.tables,
            "model_load_s": round(c.load_s, 3),
            "ms_per_page": {k: summary(v) for k, v in c.per_page.items()},
            "structure_ms_per_table": summary(c.structure_ms),
        }
        for c in configs
    ]
    return {
        "threads": threads,
        "decoders": list(decoders),
        "interleaved": len(configs) > 1,
        "import_s": round(import_s, 3),
        # the first configuration's load is the cold one (files read from disk the first time)
        "cold_start_s": round(import_s + configs[0].load_s, 3),
        "rss_mb": {
            "start": round(rss_start, 1),
            "after_model_load": round(rss_loaded, 1),
            "peak": round(peak_rss_mb(), 1),
        },
        "load_average": _load_average(),
        "configs": results,
    }


def _load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed.table_stage")
    parser.add_argument("--pages", type=Path, required=True)
    parser.add_argument("--threads", required=True, help="thread count, or several separated by commas")
    parser.add_argument(
        "--decoders", default="auto", help="structure decoders, separated by commas: auto, graph (default auto)"
    )
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    decoders = tuple(d.strip() for d in args.decoders.split(",") if d.strip())
    emit_json(measure(args.pages, [int(t) for t in args.threads.split(",")], args.warmup, decoders), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
