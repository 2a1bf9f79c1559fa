"""The package layout holds: each floor imports only floors below it, no module circle, the
handlers import only the pipeline, and `doctables.extract()` runs without boto3 or moto."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SAMPLE

PACKAGE = ROOT / "doctables"
# docs/ARCHITECTURE.md, "The house": the floor of each package or top-level module
FLOORS = {
    "settings": 1, "errors": 1, "geometry": 1,
    "model": 2, "models": 2, "deadline": 2,
    "convert": 3, "recognise": 3, "grid": 3, "outputs": 3,
    "detect": 4,
    "page": 5,
    "pipeline": 6, "inprocess": 6,
    "local": 7,
    "client": 8,
    "cli": 9, "__main__": 10,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every doctables module the file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("doctables"):
            assert node.level == 0, f"{path}: relative import"
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("doctables"))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _stage(module: str) -> str:
    return module.split(".")[1]


def test_every_import_goes_down_a_floor_or_stays_in_its_package() -> None:
    upward = []
    for module, targets in _graph().items():
        if module == "doctables":
            continue  # the lazy attribute table names modules as strings only
        for target in targets:
            if target == "doctables" or _stage(module) == _stage(target):
                continue
            if FLOORS[_stage(target)] >= FLOORS[_stage(module)]:
                upward.append(f"{module} -> {target}")
    assert not upward, upward
    assert set(FLOORS) == {_stage(m) for m in _graph() if m != "doctables"}, "a package without a floor"


def test_no_module_imports_itself_round_a_circle() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError(" -> ".join([*path[path.index(module):], module]))
        if module in done:
            return
        for target in graph.get(module, ()):
            visit(target, [*path, module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_handlers_import_only_the_pipeline() -> None:
    for handler in sorted((ROOT / "lambdas").glob("*/handler.py")):
        imported = _imports(handler)
        assert imported, handler
        outside = {m for m in imported if not m.startswith("doctables.pipeline")}
        assert not outside, f"{handler}: {outside}"


def test_no_package_but_the_pipeline_imports_boto3() -> None:
    allowed = {"pipeline", "local", "client", "cli"}
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        if module == "doctables" or _stage(module) in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders.extend(f"{module}: {n}" for n in names if n.split(".")[0] in {"boto3", "botocore", "moto"})
    assert not offenders, offenders


def test_extract_loads_neither_boto3_nor_moto() -> None:
    script = (
        "import sys, doctables\n"
        f"document = doctables.extract({str(SAMPLE)!r}, pages=[1])\n"
        "assert document.tables, 'the sample page has tables'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore', 'moto'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
