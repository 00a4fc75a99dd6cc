"""Benchmarks at province scale (`make bench`, `make bench-quick`); never part of pytest."""
