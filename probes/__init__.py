"""Read-only diagnostics. A probe takes plain arguments and returns a Finding; it knows HTTP,
DNS and SQL, and nothing of Slack, the store or the message catalogue."""
