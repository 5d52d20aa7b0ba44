"""Evidence: the timeline's hash chain and its verification (SPEC 9)."""
