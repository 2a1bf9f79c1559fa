"""Benchmarks of doctables: accuracy against ground truth (`bench.accuracy`) and speed and cost
(`bench.speed`). Run them as `python -m bench.accuracy` and `python -m bench.speed`."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
# The benchmark data lives beside the repository, never inside it.
SHARED_BENCH = REPO_ROOT.parent / "shared" / "bench"
DEFAULT_DATA = SHARED_BENCH / "icdar2013-dev"
DEFAULT_REPORT_DIR = REPO_ROOT / "bench" / "results"


def documents(data_dir: Path) -> list[Path]:
    """The PDFs of a benchmark directory that have a ground-truth JSON beside them, sorted."""
    return [pdf for pdf in sorted(Path(data_dir).glob("*.pdf")) if pdf.with_suffix(".json").is_file()]


def find_scorer(data_dir: Path, explicit: Path | None = None) -> Path:
    """The score.py to use: the one given, else the one beside the data set, else shared/bench's."""
    candidates = [explicit] if explicit else [Path(data_dir).resolve().parent / "score.py", SHARED_BENCH / "score.py"]
    for candidate in candidates:
        if candidate and candidate.is_file():
            return candidate
    raise FileNotFoundError(f"score.py not found (looked at {', '.join(str(c) for c in candidates)})")


def load_scorer(path: Path) -> ModuleType:
    """Import score.py from its file, without copying it into the repository."""
    spec = importlib.util.spec_from_file_location("_bench_score", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("_bench_score", module)
    spec.loader.exec_module(module)
    return module


def write_json(path: Path, data: Any) -> None:
    """Write `data` as indented JSON, creating the parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")


def emit_json(data: Any, out: Path | None) -> None:
    """A worker's result: into `out` when given (its parent reads it back), else to stdout."""
    if out:
        write_json(out, data)
    else:
        print(json.dumps(data, indent=1, default=str))


def machine_description() -> dict[str, Any]:
    """What the numbers were measured on."""
    import os
    import platform

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": _cpu_model(),
    }
    import onnxruntime
    import pymupdf

    info["pymupdf"] = pymupdf.VersionBind
    info["onnxruntime"] = onnxruntime.__version__
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor()
