"""Benchmarks, run by `make bench` (python -m bench). They print figures and assert nothing."""
