"""The documents a newcomer reads stay true to the code."""

from __future__ import annotations

from conftest import ROOT

from doctables.errors import ErrorCode
from doctables.settings import ENVIRONMENT

README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text()


def test_readme_documents_every_environment_variable():
    assert [v for v in ENVIRONMENT if f"`{v}`" not in README] == []


def test_architecture_lists_every_error_code():
    assert [c.value for c in ErrorCode if f"`{c.value}`" not in ARCHITECTURE] == []


def test_readme_starts_with_the_two_commands():
    head = README.split("```bash", 1)[1].split("```", 1)[0]
    assert "doctables run examples/sample.pdf" in head
    assert "python -m pytest" in head
    assert "AGPL" in README and (ROOT / "LICENSE").read_text().startswith("GNU AFFERO GENERAL PUBLIC LICENSE")
