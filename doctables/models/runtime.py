"""Load an ONNX model into an onnxruntime session, once per process, with the labels it carries."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort


@dataclass(frozen=True)
class ModelSpec:
    """Where a model lives and how to run it: the interface another ONNX model plugs into."""

    path: str
    threads: int = 0  # 0: onnxruntime's default (all cores)


class TensorModel(Protocol):
    """What the model wrappers need of a loaded model: run one input, know its labels."""

    spec: ModelSpec
    labels: list[str]

    def run(self, tensor: np.ndarray) -> list[np.ndarray]: ...


def session_options(threads: int) -> ort.SessionOptions:
    """CPU session options: full graph optimisation, `threads` intra-op threads (0: all cores)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return options


class OnnxModel:
    """An onnxruntime CPU session plus the model's label list from its metadata."""

    def __init__(self, spec: ModelSpec) -> None:
        if not Path(spec.path).is_file():
            raise FileNotFoundError(f"ONNX model not found: {spec.path}")
        self.spec = spec
        self.session = ort.InferenceSession(
            spec.path, sess_options=session_options(spec.threads), providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        self.labels: list[str] = (
            self.session.get_modelmeta().custom_metadata_map.get("character", "").splitlines()
        )

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Run the model on one input tensor, returning every output."""
        return self.session.run(None, {self.input_name: tensor})


@lru_cache(maxsize=8)
def load_model(spec: ModelSpec) -> OnnxModel:
    """The session for `spec`, created on first use and kept for the container's lifetime."""
    return OnnxModel(spec)


def packaged_model(package: str, relative: str) -> str:
    """Path of a model file shipped inside an installed wheel, found without importing it
    (the packages' own code needs OpenCV, which doctables does not install)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"package {package!r} is not installed; it ships the default model {relative}"
        )
    return str(Path(next(iter(spec.submodule_search_locations))) / relative)
