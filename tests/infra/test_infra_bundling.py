"""Asset bundling without Docker: code copy and the layer's pip install for the Lambda platform.

``test_python_app_bundles_without_docker`` runs the real app (``python app.py``) with the
Docker CLI replaced by ``/bin/false``: if any asset fell back to Docker bundling, synthesis
would fail. It pip-installs the layer from the package index (tens of MB; well under 2 min).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from infra_testing import REPO_ROOT

from infra.bundling import (
    PROVIDED_BY_RUNTIME,
    PYTHON_RUNTIME,
    PYTHON_VERSION,
    CopyEntry,
    CopyFiles,
    pip_layer_arguments,
)

pytest_plugins = ["infra_fixtures"]

NO_DOCKER = {"CDK_DOCKER": "/bin/false"}  # CDK's bundling runs "$CDK_DOCKER run ..."


@pytest.mark.parametrize(("architecture", "arch"), [("arm64", "aarch64"), ("x86_64", "x86_64")])
def test_pip_arguments_target_the_lambda_platform(architecture: str, arch: str) -> None:
    arguments = pip_layer_arguments(requirements="r.txt", target="/out/python", architecture=architecture)
    joined = " ".join(arguments)
    assert arguments[0] == "install"
    assert f"--platform manylinux_2_28_{arch}" in joined
    assert f"--platform manylinux2014_{arch}" in joined
    assert "--only-binary=:all:" in arguments
    assert "--python-version 3.12" in joined
    assert "--implementation cp" in joined
    assert "--target /out/python" in joined
    assert "--requirement r.txt" in joined


def test_layer_python_version_matches_the_runtime() -> None:
    assert PYTHON_RUNTIME.name == f"python{PYTHON_VERSION}"


def test_layer_requirements() -> None:
    requirements = (REPO_ROOT / "layers" / "conversion" / "requirements.txt").read_text()
    lines = [line.strip() for line in requirements.splitlines() if line.strip() and not line.startswith("#")]
    assert "pymupdf>=1.24,<2" in lines
    assert any(line.startswith("aws-lambda-powertools[tracer]") for line in lines)


def test_copy_files_bundles_package_and_handler(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg" / "__pycache__").mkdir(parents=True)
    (source / "pkg" / "sub").mkdir()
    (source / "pkg" / "__init__.py").write_text("")
    (source / "pkg" / "sub" / "mod.py").write_text("X = 1\n")
    (source / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"\0")
    (source / "pkg" / "sub" / "weights.onnx").write_bytes(b"\0")
    (source / "handler.py").write_text("def handler(event, context):\n    return event\n")
    output = tmp_path / "out"
    output.mkdir()
    bundler = CopyFiles([CopyEntry(source / "pkg", "doctables"), CopyEntry(source / "handler.py", "handler.py")])
    assert bundler.try_bundle(str(output), image=None) is True
    files = sorted(str(p.relative_to(output)) for p in output.rglob("*") if p.is_file())
    assert files == ["doctables/__init__.py", "doctables/sub/mod.py", "handler.py"]


def test_copy_files_reports_a_missing_source(tmp_path: Path) -> None:
    bundler = CopyFiles([CopyEntry(tmp_path / "missing.py", "handler.py")])
    with pytest.raises(FileNotFoundError):
        bundler.try_bundle(str(tmp_path), image=None)


def _assets(outdir: Path, stack: str) -> dict[str, Path]:
    manifest = json.loads((outdir / f"{stack}.assets.json").read_text())
    return {
        entry["displayName"]: outdir / entry["source"]["path"]
        for entry in manifest["files"].values()
        if entry["source"].get("packaging") == "zip"
    }


def test_python_app_bundles_without_docker(tmp_path: Path) -> None:
    outdir = tmp_path / "cdk.out"
    environment = dict(os.environ, CDK_OUTDIR=str(outdir), **NO_DOCKER)
    environment.pop("CDK_CONTEXT_JSON", None)
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=environment,
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assets = _assets(outdir, "DocTables")

    layer = assets["Dependencies/Layer/Code"] / "python"
    for package in ("pymupdf", "aws_lambda_powertools", "aws_xray_sdk"):
        assert (layer / package).is_dir(), package
    for package in PROVIDED_BY_RUNTIME:
        assert not (layer / package).exists(), package
    wheel = next(layer.glob("pymupdf-*.dist-info")) / "WHEEL"
    tags = [line for line in wheel.read_text().splitlines() if line.startswith("Tag:")]
    assert tags and all("manylinux" in tag and "aarch64" in tag for tag in tags), tags
    assert not list(layer.rglob("*.pyc"))

    for name in ("Conversion/Function/Code", "DeadLetters/Function/Code", "Sweeper/Function/Code"):
        code = assets[name]
        assert (code / "handler.py").is_file(), name
        assert (code / "doctables" / "__init__.py").is_file(), name
        assert not list(code.rglob("__pycache__")), name
    for name, handler_dir in (("Conversion", "conversion"), ("DeadLetters", "dead_letters"), ("Sweeper", "sweeper")):
        bundled = (assets[f"{name}/Function/Code"] / "handler.py").read_bytes()
        assert bundled == (REPO_ROOT / "lambdas" / handler_dir / "handler.py").read_bytes(), name

    # the table image is only described for publishing; nothing was built
    template = json.loads((outdir / "DocTables.template.json").read_text())
    assert any(r["Properties"].get("PackageType") == "Image"
               for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")


@pytest.mark.skipif(
    not (REPO_ROOT / "node_modules" / ".bin" / "cdk").exists() or shutil.which("node") is None,
    reason="the pinned CDK CLI is not installed (run npm ci)",
)
def test_cdk_cli_synth_without_docker(tmp_path: Path) -> None:
    environment = dict(os.environ, CDK_DISABLE_CLI_TELEMETRY="true", **NO_DOCKER)
    environment.pop("CDK_CONTEXT_JSON", None)
    result = subprocess.run(
        [str(REPO_ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--no-notices",
         "-c", "bundle=false", "-o", str(tmp_path / "cdk.out")],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "cdk.out" / "DocTables.template.json").is_file()
