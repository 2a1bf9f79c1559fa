"""Asset bundling without Docker.

CDK bundles an asset by first asking ``BundlingOptions.local`` (an ``ILocalBundling``) and
only falls back to running ``BundlingOptions.image`` in Docker when that returns False.
Both bundlers here do the work on this machine:

* :class:`CopyFiles` assembles a zip function's code: the ``doctables`` package plus one
  ``handler.py``.
* :class:`PipLayerInstall` installs a layer's requirements for the Lambda platform
  (manylinux wheels for the target architecture and Python version) into ``python/``.

The Docker commands kept next to them are only the fallback for a machine where the local
step is impossible (no pip); they are never used here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerVolume, ILocalBundling
from aws_cdk import aws_lambda as lambda_

# Lambda runtime of every zip function and of the layer. The layer's wheels are chosen for
# this Python version, so the two must move together: change it here only.
PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_12
PYTHON_VERSION = "3.12"

# Never shipped in a zip function: caches, compiled files, and model weights (those belong
# to the table stage's image).
COPY_IGNORE = ("__pycache__", "*.pyc", "*.pyo", ".pytest_cache", "*.onnx", ".DS_Store")

# Installed as dependencies (aws-xray-sdk needs botocore) but provided by the Lambda Python
# runtime; a second copy would only add ~30 MB and shadow the runtime's matching boto3.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")

_PIP_ARCH = {"arm64": "aarch64", "x86_64": "x86_64"}
_DOCKER_PLATFORM = {"arm64": "linux/arm64", "x86_64": "linux/amd64"}


def pip_platform_tags(architecture: str) -> list[str]:
    """Both manylinux tags pip must accept for the Lambda platform (glibc 2.34 on AL2023)."""
    arch = _PIP_ARCH[architecture]
    return [f"manylinux_2_28_{arch}", f"manylinux2014_{arch}"]


def pip_layer_arguments(*, requirements: str, target: str, architecture: str) -> list[str]:
    """The ``pip install`` arguments (after ``pip``) that build a layer for Lambda."""
    arguments = ["install", "--requirement", requirements, "--target", target]
    for tag in pip_platform_tags(architecture):
        arguments += ["--platform", tag]
    arguments += [
        "--only-binary=:all:",
        "--python-version", PYTHON_VERSION,
        "--implementation", "cp",
        "--no-compile",  # .pyc files for this machine's Python would be dead weight
        "--disable-pip-version-check",
        "--no-input",
        "--quiet",
    ]
    return arguments


@dataclass(frozen=True)
class CopyEntry:
    """One file or directory to copy into the bundle, and where it lands."""

    source: Path
    destination: str


@jsii.implements(ILocalBundling)
class CopyFiles:
    """Local bundling that copies files and directories into the asset output."""

    def __init__(self, entries: Sequence[CopyEntry], *, ignore: Sequence[str] = COPY_IGNORE) -> None:
        self._entries = tuple(entries)
        self._ignore = tuple(ignore)

    def try_bundle(self, output_dir: str, *, image: Any = None, **_options: Any) -> bool:
        output = Path(output_dir)
        for entry in self._entries:
            target = output / entry.destination
            if entry.source.is_dir():
                shutil.copytree(
                    entry.source,
                    target,
                    ignore=shutil.ignore_patterns(*self._ignore),
                    dirs_exist_ok=True,
                )
            elif entry.source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(entry.source, target)
            else:
                raise FileNotFoundError(f"bundling: {entry.source} does not exist")
        return True


@jsii.implements(ILocalBundling)
class PipLayerInstall:
    """Local bundling that pip-installs a requirements file for the Lambda platform."""

    def __init__(self, *, requirements: Path, architecture: str) -> None:
        self._requirements = requirements
        self._architecture = architecture

    def try_bundle(self, output_dir: str, *, image: Any = None, **_options: Any) -> bool:
        target = Path(output_dir) / "python"
        command = [sys.executable, "-m", "pip"] + pip_layer_arguments(
            requirements=str(self._requirements),
            target=str(target),
            architecture=self._architecture,
        )
        env = dict(os.environ, PIP_NO_WARN_SCRIPT_LOCATION="1")
        try:
            result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        except OSError:
            return False  # no usable Python here: let CDK try the Docker image
        if result.returncode != 0:
            raise RuntimeError(
                "layer bundling failed: " + " ".join(command) + "\n" + result.stdout + result.stderr
            )
        prune_layer(target)
        return True


def prune_layer(site_packages: Path) -> None:
    """Remove what the Lambda runtime already provides, and console scripts."""
    for name in PROVIDED_BY_RUNTIME:
        for path in [site_packages / name, *site_packages.glob(f"{name}-*.dist-info")]:
            shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(site_packages / "bin", ignore_errors=True)


def function_code(*, source_root: Path, handler_dir: str) -> lambda_.Code:
    """Zip code of a function: ``<source_root>/doctables`` + ``<handler_dir>/handler.py``.

    The asset is hashed on the bundled OUTPUT, so a change in ``doctables/`` redeploys every
    function that ships it even though the asset's source directory is the handler's.
    """
    handler_path = source_root / handler_dir
    package = source_root / "doctables"
    local = CopyFiles(
        [
            CopyEntry(package, "doctables"),
            CopyEntry(handler_path / "handler.py", "handler.py"),
        ]
    )
    ignored = " -o ".join(f"-name '{pattern}'" for pattern in COPY_IGNORE)
    fallback = (
        "cp /asset-input/handler.py /asset-output/handler.py"
        " && cp -r /doctables /asset-output/doctables"
        f" && find /asset-output \\( {ignored} \\) -prune -exec rm -rf {{}} +"
    )
    return lambda_.Code.from_asset(
        str(handler_path),
        asset_hash_type=AssetHashType.OUTPUT,
        bundling=BundlingOptions(
            image=PYTHON_RUNTIME.bundling_image,
            local=local,
            command=["bash", "-c", fallback],
            volumes=[DockerVolume(host_path=str(package), container_path="/doctables")],
        ),
    )


def layer_code(*, layer_dir: Path, architecture: str) -> lambda_.Code:
    """Zip code of a dependencies layer built from ``<layer_dir>/requirements.txt``.

    Hashed on the source (requirements.txt) plus the bundling options, which include the
    architecture through the fallback command, so arm64 and x86_64 builds never collide.
    """
    requirements = layer_dir / "requirements.txt"
    pruned = " ".join(
        f"/asset-output/python/{name} /asset-output/python/{name}-*.dist-info"
        for name in PROVIDED_BY_RUNTIME
    )
    fallback = (
        "pip "
        + " ".join(
            pip_layer_arguments(
                requirements="/asset-input/requirements.txt",
                target="/asset-output/python",
                architecture=architecture,
            )
        )
        + f" && rm -rf {pruned} /asset-output/python/bin"
    )
    return lambda_.Code.from_asset(
        str(layer_dir),
        exclude=["build", "*.md", "__pycache__"],
        bundling=BundlingOptions(
            image=PYTHON_RUNTIME.bundling_image,
            local=PipLayerInstall(requirements=requirements, architecture=architecture),
            command=["bash", "-c", fallback],
            platform=_DOCKER_PLATFORM[architecture],
        ),
    )
