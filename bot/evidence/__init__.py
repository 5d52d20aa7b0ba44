"""Evidence and figures (SPEC 9): the timeline's hash chain and its verification,
incident statistics, their chart, and the App Home."""
