"""Sentences of the diagnosis checks (probes/) and the scenario catalogue."""

KO: dict[str, str] = {
    "check.skipped": "설정되지 않음: {settings}",
}

EN: dict[str, str] = {
    "check.skipped": "Not configured: {settings}",
}
