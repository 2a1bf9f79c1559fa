"""Chromium for the browser tests (the review page, the local stack's web exposure): where
it is, or a failure that says how to install it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

APT_LINE = "apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1440,1100", "--force-device-scale-factor=1", "--hide-scrollbars",
]


def _executable(variable: str, *names: str) -> str | None:
    configured = os.environ.get(variable)
    if configured:
        return configured if Path(configured).is_file() else None
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").is_file() else None)
        if found:
            return found
    return None


def require_browser() -> tuple[str, str]:
    chromium = _executable("DOCTABLES_CHROMIUM", "chromium", "chromium-browser")
    driver = _executable("DOCTABLES_CHROMEDRIVER", "chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path]
    if missing:
        pytest.fail(f"the browser tests need {' and '.join(missing)}, which this machine lacks; install with:"
                    f"\n    {APT_LINE}\n(scripts/test does; or point DOCTABLES_CHROMIUM / DOCTABLES_CHROMEDRIVER at them)",
                    pytrace=False)
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.fail("the browser tests need selenium (pinned in requirements.txt): pip install -r requirements.txt,"
                    " or run scripts/test, which installs what is missing", pytrace=False)
    return chromium, driver  # type: ignore[return-value]
