"""One module per kind of figure; each returns `bench.result.figure(...)` dicts."""
