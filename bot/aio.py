"""One event loop on its own thread, where every probe runs.

A diagnosis waits for its checks with a deadline from the calling thread; whatever a check
still does after that (a cancelled connection closing) finishes on this loop without holding
the caller past the deadline.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    """An asyncio loop on a daemon thread; submit coroutines from any thread."""

    def __init__(self, name: str = "ailex-probes") -> None:
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                self._ready.clear()
                thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                thread.start()
                self._ready.wait()
            assert self._loop is not None
            return self._loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._ready.set()
        loop.run_forever()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule a coroutine on the loop; its result comes back as a Future."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._ensure())

    def stop(self) -> None:
        """Stop the loop (pending work is abandoned)."""
        with self._lock:
            loop = self._loop
            self._loop = None
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
