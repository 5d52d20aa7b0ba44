"""How request workers tell the outbox process that a queue has something to send.

A UNIX datagram per kick, fire and forget: a lost ring costs at most the outbox's poll
interval, never a message (the message is already in the store).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

MAX_NAME = 200


class Doorbell:
    """Both ends of the bell: `ring` from workers, `listen` in the outbox process."""

    def __init__(self, path: str) -> None:
        self.path = path
        # Made here, not at the first ring: every request thread rings, and a lock around a
        # lazy creation was one they queued on (the send gives up the GIL while it is held).
        # One datagram socket sends for all threads: each sendto is one whole datagram.
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)

    def ring(self, queue: str) -> None:
        """Wake the outbox for this queue; never blocks, never raises."""
        # The outbox polls as well: a ring lost (queue full, nobody listening) costs at most
        # its poll interval, and the message waits in the store.
        with contextlib.suppress(OSError):
            self._sender.sendto(queue.encode()[:MAX_NAME], self.path)

    def listen(self, on_ring: Callable[[str], None], stop: threading.Event) -> threading.Thread:
        """Receive rings on a thread and pass each queue name to `on_ring`."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        receiver.bind(self.path)
        os.chmod(self.path, 0o600)
        receiver.settimeout(0.5)

        def loop() -> None:
            with receiver:
                while not stop.is_set():
                    try:
                        data = receiver.recv(MAX_NAME)
                    except TimeoutError:
                        continue
                    except OSError:
                        log.exception("doorbell stopped listening")
                        return
                    try:
                        on_ring(data.decode(errors="replace"))
                    except Exception:
                        log.exception("doorbell could not pass on a ring")

        thread = threading.Thread(target=loop, name="ailex-doorbell", daemon=True)
        thread.start()
        return thread
