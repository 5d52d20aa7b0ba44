"""Approvals: the action catalogue, the approval engine and the request messages."""
