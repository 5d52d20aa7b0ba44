"""The Slack edge: parse a request, call the core once, answer in Block Kit."""
