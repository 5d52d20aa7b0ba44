"""The console: the terminal edge and its in-process Slack stand-in."""
