"""The floors: the least this stack can do for the same work, measured in the same run."""
