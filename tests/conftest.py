"""Shared fixtures: the bundled sample, its ground truth, and a local stack factory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.pdf"
TRUTH = ROOT / "examples" / "sample.truth.json"


@pytest.fixture(scope="session")
def sample_bytes() -> bytes:
    return SAMPLE.read_bytes()


@pytest.fixture(scope="session")
def sample_truth() -> dict:
    return json.loads(TRUTH.read_text())


@pytest.fixture
def local_stack() -> Iterator["object"]:
    from doctables.local import LocalStack

    with LocalStack() as stack:
        yield stack


def cell_tuples(table: dict) -> set[tuple[int, int, int, int, str]]:
    """A table's cells as comparable tuples (row, col, row_span, col_span, text)."""
    return {(c["row"], c["col"], c["row_span"], c["col_span"], c["text"]) for c in table["cells"]}
