"""The table detector quantised to int8 with onnxruntime's own tooling, against the shipped fp32
model, interleaved page by page (a report, not a switch: the shipped model stays fp32):

    python -m bench.speed.quantise [--documents 6] [--out DIR]

`quant_pre_process` first, then `quantize_dynamic` (uint8 weights) and `quantize_static` (QDQ,
per-channel int8 weights, uint8 activations, calibrated on the detector's own inputs for the first
12 pages). Prints the detection ms per page (median), the model sizes, and on how many pages the
tables `find_page_tables` returns are identical to fp32's."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import pymupdf
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

from doctables.convert.render import render_page
from doctables.models import DEFAULT_DETECTION_MODEL, load_models, packaged_model
from doctables.models.image import decode_image
from doctables.page.find import find_page_tables
from doctables.settings import Settings

from .. import DEFAULT_DATA


def quantised(out: Path, pages: list) -> dict[str, str]:
    """Paths of the fp32 model and its dynamic and static int8 versions (made once into `out`)."""
    fp32 = packaged_model(*DEFAULT_DETECTION_MODEL)
    pre, dynamic, static = out / "det.pre.onnx", out / "det.int8-dynamic.onnx", out / "det.int8-static.onnx"
    if not pre.exists():
        quant_pre_process(fp32, str(pre), skip_symbolic_shape=False)
    if not dynamic.exists():
        quantize_dynamic(str(pre), str(dynamic), weight_type=QuantType.QUInt8)
    if not static.exists():
        detector = load_models(Settings(model_threads=1)).detector
        captured = []
        real_run = detector.model.run
        detector.model.run = lambda tensor: captured.append(tensor) or real_run(tensor)
        for image, _layout in pages[:12]:
            detector.detect(image)
        detector.model.run = real_run
        inputs = iter([{detector.model.input_name: t} for t in captured])

        class Reader(CalibrationDataReader):
            def get_next(self) -> dict | None:
                return next(inputs, None)

        quantize_static(str(pre), str(static), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return {"fp32": str(fp32), "int8-dynamic": str(dynamic), "int8-static": str(static)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.speed.quantise")
    parser.add_argument("--documents", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("/tmp/doctables-quantise"))
    args = parser.parse_args()
    args.out.mkdir(exist_ok=True, parents=True)
    pages = []
    for pdf in sorted(Path(DEFAULT_DATA).glob("*.pdf"))[: args.documents]:
        with pymupdf.open(pdf) as document:
            for page in document:
                rendered = render_page(page, page.number + 1, 144)
                pages.append((decode_image(rendered.png), rendered.layout))
    variants = quantised(args.out, pages)
    settings = {k: Settings(model_threads=1, detection_model=v) for k, v in variants.items()}
    models = {k: load_models(s) for k, s in settings.items()}
    times: dict[str, list[float]] = {k: [] for k in variants}
    identical = {k: 0 for k in variants if k != "fp32"}
    for i, (image, layout) in enumerate(pages):
        results = {}
        for k in list(variants) if i % 2 else list(variants)[::-1]:  # alternate who goes first
            start = time.perf_counter()
            models[k].detector.detect(image)
            times[k].append((time.perf_counter() - start) * 1000)
            tables, _decision = find_page_tables(image, layout, settings[k])
            results[k] = json.dumps([t.to_dict() for t in tables], sort_keys=True)
        for k in identical:
            identical[k] += results[k] == results["fp32"]
    print(json.dumps({
        "pages": len(pages),
        "detection_ms_median": {k: round(statistics.median(v), 1) for k, v in times.items()},
        "size_mb": {k: round(os.path.getsize(v) / 1e6, 2) for k, v in variants.items()},
        "pages_with_tables_identical_to_fp32": identical,
        "load_average": os.getloadavg(),
    }, indent=1))


if __name__ == "__main__":
    main()
