"""Benchmarks: `task bench` (= `python -m bench`) runs them and writes JSON to bench/results/."""
