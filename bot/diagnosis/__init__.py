"""Diagnosis: the scenario catalogue (the runbook as data), the runner and its messages."""
