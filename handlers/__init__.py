"""The Slack edge: parse a request, call the core once, answer in Block Kit."""

from slack_bolt import App

from bot.app import Core


def register_all(app: App, core: Core) -> None:
    """Attach every listener of the bot to a Bolt app."""
    from handlers import buttons, commands, edge, errors, home, modals

    errors.register(app, core)
    edge.register(app)
    commands.register(app, core)
    buttons.register(app, core)
    modals.register(app, core)
    modals.register_forms(app, core)
    home.register(app, core)
