"""Evidence and figures (SPEC 9): incident statistics, their chart, and the App Home."""
