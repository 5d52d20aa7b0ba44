"""The outbox process of `ailex serve` (HTTP mode): it sends to Slack and keeps house.

Request workers only record and answer, so an acknowledgement never waits behind a Slack
call; this one process, at a lower CPU priority, sends what they recorded (woken by their
doorbell, and polling besides), expires approval requests, marks interrupted executions and
takes the scheduled snapshots. A supervisor in gunicorn's master restarts it if it dies.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading

log = logging.getLogger("bot.slack.outbox_process")  # by name: it also runs as __main__

# Lower than the request workers by far: on 2 cores at nice 15 the workers' acks win the CPU
# (note mix p99 106-122 ms against 126-140 ms at nice 5) and delivery still keeps up (outbox
# lag p99 0.5-1.3 s against 0.8 s, bench/ack_latency.py), since the workers idle between bursts.
NICENESS = 15
RESTART_DELAY_S = 1.0


def main(doorbell_path: str) -> None:
    """The outbox process: settings from the environment, like the workers."""
    from bot.app import Core
    from bot.logs import configure_logging
    from bot.settings import load_settings
    from bot.slack.client import build_slack_client
    from bot.slack.doorbell import Doorbell
    from storage import Store

    with contextlib.suppress(OSError):  # not allowed here: it works, without lower priority
        os.nice(NICENESS)
    # It holds the store's write lock while the workers wait: get the GIL back quickly.
    sys.setswitchinterval(0.0005)
    settings = load_settings()
    configure_logging(secrets=settings.secret_values())
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    core = Core(
        settings=settings,
        store=Store(settings.database_url),
        client=build_slack_client(token=token, base_url=settings.slack_api_url),
        role="outbox",
        doorbell=Doorbell(doorbell_path),
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    core.start()
    log.info("outbox process ready (pid %s)", os.getpid())
    stopping.wait()
    core.close()


class OutboxSupervisor:
    """Starts the outbox process and starts it again whenever it ends, until stopped."""

    def __init__(self, doorbell_path: str) -> None:
        self._path = doorbell_path
        # A fresh interpreter rather than a fork of gunicorn's master; and a plain subprocess,
        # not a multiprocessing one: the workers gunicorn forks from the master afterwards
        # would inherit multiprocessing's record of it, and its exit handler in each worker
        # would signal the outbox process and fail to join it ("Exception ignored in atexit
        # callback ... can only join a child process").
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="ailex-outbox-watch", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bot.slack.outbox_process", self._path], close_fds=True
        )

    def _watch(self) -> None:
        while not self._stopping.wait(RESTART_DELAY_S):
            if self._process is not None and self._process.poll() is not None:
                code = self._process.returncode
                log.error("outbox process ended (exit %s); starting it again", code)
                self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None


if __name__ == "__main__":
    main(sys.argv[1])
