"""Sentences of the remediations (remediations/) and the approval flow."""

KO: dict[str, str] = {}

EN: dict[str, str] = {}
