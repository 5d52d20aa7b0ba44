"""Incidents: declare, note, severity, status, resolve; the card, the report, phases."""
