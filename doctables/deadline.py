"""A time budget for one page: past it, the page's work stops and the page fails alone with
PAGE_TIMEOUT, in the table stage and in `doctables.extract()` alike.

How: a timer thread, at the deadline, raises an exception in the thread doing the page's work
(CPython's `PyThreadState_SetAsyncExc`). It needs no signal, so it works in any thread (Lambda's,
the local runner's, a web server's worker calling `extract()`), and no subprocess, so the models
stay loaded and nothing is copied. The exception lands at the page thread's next Python step: a
single C call in progress (one model run, one MuPDF call) finishes first, so a page overruns
its budget by at most the longest such call, seconds on capped images. The function's own
timeout stays the hard stop behind it (and a page that kills its invocation is isolated on
redelivery: see `doctables.pipeline.table_stage`).

The exception raised into the page's work is a BaseException, so that no `except Exception`
fallback on the way swallows it; `within_budget` turns it into DocumentError PAGE_TIMEOUT."""

from __future__ import annotations

import ctypes
import threading
import time
from typing import Callable, TypeVar

from doctables.errors import DocumentError, ErrorCode

T = TypeVar("T")


class _Overran(BaseException):
    """Raised into the page's thread at its deadline (never seen outside `within_budget`)."""


class _Watchdog:
    """Fires `_Overran` into one thread once, at a deadline, unless disarmed first."""

    def __init__(self, seconds: float) -> None:
        self.thread_id = threading.get_ident()
        self.lock = threading.Lock()
        self.armed = True
        self.fired = False
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True

    def start(self) -> None:
        self.timer.start()

    def _fire(self) -> None:
        with self.lock:
            if self.armed and not self.fired:
                self.fired = True
                _set_async_exc(self.thread_id, _Overran)

    def disarm(self) -> None:
        """After this, nothing is raised into the thread: a fired exception that has not landed
        yet is withdrawn (`fired` still tells)."""
        with self.lock:
            if self.armed:
                self.armed = False
                if self.fired:
                    _set_async_exc(self.thread_id, None)
        self.timer.cancel()


def _set_async_exc(thread_id: int, kind: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(kind) if kind is not None else None
    )


def within_budget(seconds: float | None, work: Callable[..., T], *args: object, page: int | None = None) -> T:
    """`work(*args)`, or DocumentError PAGE_TIMEOUT when it runs past `seconds` (None or 0: no
    budget). Whatever `work` was doing when the deadline struck is abandoned."""
    if not seconds or seconds <= 0:
        return work(*args)
    started = time.monotonic()
    watchdog = _Watchdog(seconds)
    try:
        try:
            watchdog.start()
            result = work(*args)
        finally:
            watchdog.disarm()  # the deadline can strike in here too: caught just below
    except _Overran:
        watchdog.disarm()
        raise _timeout(seconds, started, page) from None
    except BaseException:
        if watchdog.fired:  # the deadline struck and something on the way turned it into another error
            watchdog.disarm()
            raise _timeout(seconds, started, page) from None
        raise
    if watchdog.fired:  # it struck and was swallowed (an `except BaseException` on the way)
        raise _timeout(seconds, started, page)
    return result


def _timeout(seconds: float, started: float, page: int | None) -> DocumentError:
    what = f"page {page}" if page is not None else "the page"
    return DocumentError(
        ErrorCode.PAGE_TIMEOUT,
        f"{what} was stopped after {time.monotonic() - started:.1f} s, over its time budget of {seconds:g} s "
        f"(DOCTABLES_PAGE_TIME_BUDGET)",
    )


__all__ = ["within_budget"]
