"""manifest.yml stays in step with the handlers and the Web API methods the bot calls."""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers.commands import SLASH_COMMAND
from tests.harness import ack, declare

ROOT = Path(__file__).resolve().parents[2]  # the repository: tests/handlers/ is two down
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())

# The bot scope each Web API method needs (api.slack.com/methods); None: no scope.
METHOD_SCOPES = {
    "auth.test": None,
    "users.info": "users:read",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.create": "channels:manage",
    "conversations.invite": "channels:manage",
    "conversations.list": "channels:read",
    "pins.add": "pins:write",
    "views.open": None,
    "views.update": None,
    "views.publish": None,
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}


def test_manifest_declares_the_slash_command_the_handlers_listen_to():
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [SLASH_COMMAND]
    assert MANIFEST["features"]["slash_commands"][0]["should_escape"] is False


def test_manifest_enables_interactivity_for_buttons_and_forms(bot):
    # The card's button is handled (it opens the resolve form), so interactivity must be on.
    channel = declare(bot)
    assert bot.click("ailex.resolve", "1", channel=channel).status_code == 200
    bot.settle()
    assert bot.slack.views
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    # Socket Mode on by default, with the HTTP-mode change written beside it.
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    text = (ROOT / "manifest.yml").read_text()
    assert "request_url" in text and "/slack/events" in text


def test_manifest_subscribes_only_to_the_event_the_bot_handles_and_enables_the_home_tab(bot):
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert events == ["app_home_opened"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    # The bot handles it: opening the home tab publishes it.
    bot.slack.add_user("U_HOME", "home")
    assert (
        bot.event({"type": "app_home_opened", "user": "U_HOME", "tab": "home"}).status_code == 200
    )
    bot.settle()
    assert bot.slack.home_view("U_HOME") is not None


def test_manifest_scopes_cover_every_method_the_bot_calls_and_no_more(bot):
    channel = declare(bot)
    ack(bot.command("note 확인", channel=channel))
    bot.command("resolve", channel=channel)
    bot.settle()
    bot.submit_view(bot.slack.views[0]["view"], {"cause": "원인"})
    bot.settle()
    called = {
        r.path.removeprefix("/api/") for r in bot.slack.requests if r.path.startswith("/api/")
    }
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"add these methods' scopes to METHOD_SCOPES and manifest.yml: {unknown}"
    needed = {METHOD_SCOPES[m] for m in called} - {None}
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert needed <= granted
    # Beyond what calls need: commands for /ailex, chat:write.public for declaring channels,
    # channels:read for the lookup after a conversations.create that timed out (below).
    assert granted - needed <= {"commands", "chat:write.public", "channels:read"}


def test_manifest_grants_the_lookup_after_a_channel_create_that_timed_out(make_bot):
    bot = make_bot(slack_timeout=1)
    bot.slack.answer_late("conversations.create", seconds=2)
    ack(bot.command("incident start P1 결제 API 다운"))
    bot.settle(timeout=20)
    called = {r.path.removeprefix("/api/") for r in bot.slack.requests}
    assert "conversations.list" in called
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {METHOD_SCOPES[m] for m in called if m in METHOD_SCOPES} - {None} <= granted
