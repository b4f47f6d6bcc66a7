"""The `clapnet` command line. Each group of commands lives in its own module,
which adds its sub-commands with `add_commands(subparsers)`; a command parses
its arguments, calls the API (clapnet.api) and prints what it returns."""
import argparse
import sys

from .. import __version__
from ..errors import ClapnetError
from . import bench, board, dataset, demo, export, training

# in workflow order, which is also --help's order
COMMAND_MODULES = [
    dataset,  # dataset info, features
    training,  # train, cv, eval, detect, inspect
    board,  # push, run, record, flash-firmware
    export,  # export-header
    bench,  # bench features|train|avr
    demo,  # demo
]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="clapnet",
        description="Clap recognizer for microcontrollers: record on the board, "
                    "train on the host, push the model back to the board.")
    parser.add_argument("--version", action="version", version="clapnet " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.add_commands(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except ClapnetError as e:
        print("clapnet: error: %s" % e, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("clapnet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # output piped into `head` or similar, which stopped reading: not an error
        sys.stderr.close()
        return 0


