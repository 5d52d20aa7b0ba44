"""Destructive actions from the runbook's 즉시 조치, each as preview() then execute(preview)."""
