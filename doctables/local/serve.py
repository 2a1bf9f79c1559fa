"""`doctables serve`: the local stack on a loopback port that outlives one command.

The AWS endpoint is `doctables.local.stack.LocalEndpoint`: loopback only (a non-loopback `host` is a
ValueError; `doctables serve --host` moves only the review page), no CORS, no browser, signed
requests only."""

from __future__ import annotations

import threading

from doctables.local.stack import LocalStack
from doctables.settings import Settings


class LocalService:
    """A LocalStack plus a thread that keeps delivering its queues to the handlers. `host` is
    the loopback address its AWS endpoint listens on (127.0.0.1, localhost or ::1)."""

    def __init__(self, *, port: int = 4566, host: str = "127.0.0.1", settings: Settings | None = None,
                 interval: float = 0.2) -> None:
        self.stack = LocalStack(settings, port=port, host=host)
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []

    @property
    def endpoint(self) -> str:
        return self.stack.endpoint

    def start(self) -> "LocalService":
        self.stack.start()
        self._thread = threading.Thread(target=self._pump, name="doctables-pump", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
        self.stack.stop()

    def __enter__(self) -> "LocalService":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _pump(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.stack.pump_once()
            except Exception as exc:  # keep serving; the next pass retries what failed
                self.errors.append(repr(exc))
                handled = 0
            if not handled:
                self._stop.wait(self.interval)
