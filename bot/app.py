"""The app factory: settings, a Slack client and a store in, a ready Bolt app out.

Nothing here runs at import time; `create_app` is the only way the bot is built, by `ailex
serve`, by the console and by the tests alike.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.clock import Clock, utc_now
from bot.core import Core, Role
from bot.settings import Settings, SettingsError
from bot.slack.doorbell import Doorbell
from storage import Store

log = logging.getLogger(__name__)


class _BoltTokenNotice(logging.Filter):
    """Drops Bolt's start-up notice that SLACK_BOT_TOKEN in the environment is unused: the
    bot gives Bolt its client on purpose (the token goes through `authorize`). Bolt's warning
    of a request no listener takes (the whole body, then a page of suggested code) becomes
    one line naming what it was, without the body (it carries the response_url)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "will be unused" in message:
            return False
        if message.startswith("Unhandled request"):
            record.msg, record.args = "unhandled Slack request: %s", (_kind_of(message),)
        return True


def _kind_of(message: str) -> str:
    """What an unhandled request was (its type, command or callback), from Bolt's warning."""
    found = re.search(r"'(?:type|command)': '([\w./-]{1,60})'", message)
    return found.group(1) if found else "unknown"


@dataclass
class Bot:
    """A built bot: the Bolt app and the core behind it."""

    app: App
    core: Core

    def start(self) -> None:
        """Start background work (the outbox sender, housekeeping)."""
        self.core.start()

    def close(self) -> None:
        self.core.close()


def create_app(
    *,
    settings: Settings,
    client: WebClient,
    store: Store,
    clock: Clock = utc_now,
    signing_secret: str | None = None,
    socket_mode: bool = False,
    role: Role = "all",
    doorbell: Doorbell | None = None,
    outbox_target: str = "slack",
) -> Bot:
    """Build the bot. The store must be migrated (Store.migrate) before requests arrive.

    Over HTTP every request must carry Slack's signature; only Socket Mode, whose requests
    come down the bot's own authenticated connection, goes without a signing secret."""
    from handlers import register_all

    secret = signing_secret or (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    if secret is None and not socket_mode:
        raise SettingsError("SLACK_SIGNING_SECRET", problem="missing")
    core = Core(
        settings=settings,
        store=store,
        client=client,
        clock=clock,
        role=role,
        doorbell=doorbell,
        outbox_target=outbox_target,
    )
    token = client.token

    def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # One workspace and one bot token: no auth.test round trip (it would make every
        # command depend on Slack answering it, even commands that only record).
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    # Bolt builds each request's client from `authorize`; the one it is given carries only the
    # base URL and retry policy (a token there would be ignored, with a warning).
    bolt_client = WebClient(
        base_url=client.base_url, timeout=client.timeout, retry_handlers=client.retry_handlers
    )
    bolt_logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _BoltTokenNotice) for f in bolt_logger.filters):
        bolt_logger.addFilter(_BoltTokenNotice())
    app = App(
        client=bolt_client,
        signing_secret=secret,
        authorize=authorize,
        request_verification_enabled=secret is not None,
        # Listeners acknowledge at once and hand slow work to the core's workers, so running
        # them before the response costs nothing and skips Bolt's ack polling.
        process_before_response=True,
        ignoring_self_events_enabled=False,
        url_verification_enabled=True,
        logger=bolt_logger,
    )
    register_all(app, core)
    return Bot(app=app, core=core)
