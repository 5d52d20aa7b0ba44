"""A bare Bolt app that only acknowledges /ailex: the baseline of bench/ack_latency.py.

Served exactly as `ailex serve` serves the bot (gunicorn, gthread workers, a listening socket
per worker, 5 s keep-alive):
    gunicorn bench.bare_bolt:application -k gthread --workers 2 --threads 16 --reuse-port \
        --keep-alive 5
"""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def build() -> Any:
    # Bolt's default authorization calls auth.test once; point it at the same fake Slack.
    client = WebClient(
        token=os.environ.get("SLACK_BOT_TOKEN"),
        base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    )
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=client,
        token_verification_enabled=False,
    )

    @app.command("/ailex")
    def ailex(ack: Any) -> None:
        ack(text="ok")

    return SlackRequestHandler(app, path="/slack/events")


application = build()
