"""Shared fixtures: the bundled sample, its ground truth, and a local stack factory."""

from __future__ import annotations

import inspect
import json
import os
import re
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
def pillow_bytes_held(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes of every image Pillow makes from an array while the test runs (Pillow holds an
    RGB or RGBA image at four bytes a pixel, a grey one at one)."""
    from PIL import Image

    held: list[int] = []
    fromarray = Image.fromarray

    def spy(array, *args, **kwargs):
        made = fromarray(array, *args, **kwargs)
        held.append(made.width * made.height * (1 if made.mode == "L" else 4))
        return made

    monkeypatch.setattr(Image, "fromarray", spy)
    return held


@pytest.fixture
def lambda_environment(monkeypatch: pytest.MonkeyPatch):
    """Sets the environment a deployed function runs with, for a runtime's settings: the
    stack's variables, Powertools quiet, no endpoint override (the handler's clients are the
    runtime's)."""

    def apply(settings) -> None:
        for name, value in {**settings.as_environment(), "POWERTOOLS_METRICS_DISABLED": "true",
                            "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "doctables",
                            "POWERTOOLS_SERVICE_NAME": "doctables", "AWS_DEFAULT_REGION": "us-east-1"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    return apply


@pytest.fixture
def local_stack() -> Iterator["object"]:
    from doctables.local.stack import LocalStack

    with LocalStack() as stack:
        yield stack


def cell_tuples(table: dict) -> set[tuple[int, int, int, int, str]]:
    """A table's cells as comparable tuples (row, col, row_span, col_span, text)."""
    return {(c["row"], c["col"], c["row_span"], c["col_span"], c["text"]) for c in table["cells"]}


# --- markers and order: unit, then integration, then browser ---------------------------------------
# Every test gets one of the markers registered in pyproject.toml, so `-m unit`, `-m integration`
# and `-m browser` select them; the run goes fastest feedback first. A marker written on the test
# (or as a module's `pytestmark`) wins; otherwise the folder, then what the test and its
# fixtures use, decide:
#   browser      marked in its file (tests/local/test_ui_browser.py: selenium driving chromium)
#   integration  tests/infra/ (the CDK app: node runs the construct library), and any test whose
#                body, fixtures or same-module helpers start the pipeline on moto or another
#                process (the words in INTEGRATION_SIGNS)
#   unit         the rest: one process, no moto; a unit test that starts moto anyway fails and
#                says to mark it integration
KINDS = ("unit", "integration", "browser")
INTEGRATION_DIRS = [ROOT / "tests" / "infra"]
INTEGRATION_SIGNS = re.compile(
    r"\b(LocalStack|local_stack|LocalService|Client\.local|mock_aws|moto_runtime|run_files|run_load"
    r"|subprocess|run_doctables|accuracy\.cli import main)\b"
)


def _source(obj) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _uses_the_pipeline(item: pytest.Item) -> bool:
    function = getattr(item, "function", None)
    if function is None:
        return False
    module = inspect.getmodule(inspect.unwrap(function))
    body = _source(function)
    texts = [body]
    # the fixtures it requests, its own and those they request in turn
    for definitions in getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).values():
        texts.extend(_source(definition.func) for definition in definitions)
    # module-level helpers it calls (one level: run_to_event(stack, ...) and the like)
    for name in set(re.findall(r"\b(_?\w+)\(", body)):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == getattr(module, "__name__", None):
            texts.append(_source(helper))
    return any(INTEGRATION_SIGNS.search(text) for text in texts)


def _kind(item: pytest.Item) -> str:
    marked = [kind for kind in KINDS if item.get_closest_marker(kind)]
    if marked:
        return marked[-1]
    if any(folder in Path(item.path).parents for folder in INTEGRATION_DIRS):
        return "integration"
    return "integration" if _uses_the_pipeline(item) else "unit"


def pytest_itemcollected(item: pytest.Item) -> None:
    kind = _kind(item)
    if not item.get_closest_marker(kind):
        item.add_marker(kind)


@pytest.hookimpl(trylast=True)  # after pytest groups the tests by their parametrized fixtures
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """unit, then integration, then browser; stable, so each keeps pytest's order."""
    items.sort(key=lambda item: next(i for i, kind in enumerate(KINDS) if item.get_closest_marker(kind)))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(autouse=True)
def _unit_tests_start_no_moto(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked unit that starts moto (embedded or as a server) fails with a pointer."""
    if request.node.get_closest_marker("unit") is None:
        return
    from moto.core.models import MockAWS
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    def refuse(*_args, **_kwargs):
        raise RuntimeError(f"{request.node.nodeid} is marked unit but starts moto: mark it "
                           "@pytest.mark.integration (or name what it uses in tests/conftest.py's INTEGRATION_SIGNS)")

    monkeypatch.setattr(MockAWS, "start", refuse)
    monkeypatch.setattr(DomainDispatcherApplication, "__init__", refuse)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI (CI=true) a browser test never passes as skipped: a skip there is a failure."""
    report = yield
    if report.skipped and _in_ci() and item.get_closest_marker("browser") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"browser tests must run in CI (CI=true), but this one skipped: {reason}"
    return report
