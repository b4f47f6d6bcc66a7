"""Benchmarks: `clapnet bench features|train|avr`, each printing a table."""
import argparse

from ..bench import avr as bench_avr
from ..bench import features as bench_features
from ..bench import train as bench_train


def add_commands(sub):
    bench = sub.add_parser("bench", help="benchmarks (print tables)",
                           description="Benchmarks that print a table of measured numbers.")
    group = bench.add_subparsers(dest="bench_command", metavar="BENCHMARK")
    group.required = True

    p = group.add_parser("features",
                         help="time per window of features + forward pass for each backend",
                         description=bench_features.__doc__)
    bench_features.add_arguments(p)

    p = group.add_parser("train", help="trainer benchmark: reference vs clapnet vs scikit-learn",
                         description=bench_train.__doc__,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    bench_train.add_arguments(p)

    p = group.add_parser("avr", help="AVR sketch: cycles per window in simavr, flash and SRAM",
                         description=bench_avr.DESCRIPTION)
    bench_avr.add_bench_arguments(p)
