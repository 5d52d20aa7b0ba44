"""Sentences of the incident flows, the card, the report, help and errors."""

KO: dict[str, str] = {}

EN: dict[str, str] = {}
