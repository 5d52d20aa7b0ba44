"""Slack: the outbox (what the bot owes Slack, sent in order, retried) and its operations."""
