"""Fixtures of the infrastructure tests (a pytest plugin: ``pytest_plugins = ["infra_fixtures"]``)."""

from __future__ import annotations

import pytest
from infra_testing import VARIANT_OVERRIDES, Synthesized, synthesize

from infra.settings import DocTablesSettings


@pytest.fixture(scope="session")
def default_stack() -> Synthesized:
    """The stack with cdk.json's defaults."""
    return synthesize(DocTablesSettings.defaults())


@pytest.fixture(scope="session")
def variant_stack() -> Synthesized:
    """The stack with every switch flipped (see VARIANT_OVERRIDES)."""
    return synthesize(DocTablesSettings.defaults(**VARIANT_OVERRIDES))


@pytest.fixture(scope="session", params=["default_stack", "variant_stack"])
def synthesized(request: pytest.FixtureRequest) -> Synthesized:
    """Each of the two configurations in turn."""
    return request.getfixturevalue(request.param)
