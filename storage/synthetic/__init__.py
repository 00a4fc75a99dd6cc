"""Synthetic data for demos, tests and benchmarks: a small demo organisation and a whole
province (names, rosters and a history of check-ins), never used by the running bot."""
