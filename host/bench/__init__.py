"""Benchmarks that print tables: features.py (per-window time and heap on each
backend), train.py (the trainer against the reference design and scikit-learn),
avr.py (the Mega sketch in simavr)."""
