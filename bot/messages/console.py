"""Sentences of `ailex console`, the bot in a terminal."""

KO: dict[str, str] = {}

EN: dict[str, str] = {}
