"""The Slack edge: parse a request, call the core once, answer in Block Kit."""

from slack_bolt import App

from bot.core import Core


def register_all(app: App, core: Core) -> None:
    """Attach every listener of the bot to a Bolt app."""
    from handlers import actions, commands, errors, views

    errors.register(app, core)
    commands.register(app, core)
    actions.register(app, core)
    views.register(app, core)
    views.register_forms(app, core)
