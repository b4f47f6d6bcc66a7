"""The `clapnet` command line. Each group of commands lives in its own module,
which adds its sub-commands with `add_commands(subparsers)`."""
import argparse
import importlib
import sys

from .errors import ClapnetError

# modules that contribute sub-commands, in --help order
COMMAND_MODULES = [
    "clapnet.commands_core",  # features, demo, bench features
    "clapnet.commands_train",  # dataset, train, eval, cv, detect, inspect, bench train
    "clapnet.commands_board",  # push, record, flash-firmware, run on the emulated board
    "clapnet.commands_avr",  # export-header, AVR benchmark
]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="clapnet",
        description="Clap recognizer for microcontrollers: record on the board, "
                    "train on the host, push the model back to the board.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
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


if __name__ == "__main__":
    sys.exit(main())
