"""Train a clap model from a folder of recordings: the host training script.

    python host/train_clap_model.py DATA -o model.json     (from a checkout, after tools/setup)
    python -m clapnet.train_clap_model DATA -o model.json  (where clapnet is installed)

DATA holds one subfolder of WAV files per label: DATA/clap/ and DATA/other/
(more labels allowed). The script cross-validates clapnet's default pipeline,
prints the summary, trains on all of DATA and writes the model file that
`clapnet push` (or `mpremote cp model.json :`) puts on the board.

It is meant to be copied and changed: everything it does is a call to the
clapnet API (help(clapnet.api)), e.g. another feature preset, other training
options, or a sweep over them.
"""
import argparse
import sys

try:
    import clapnet
except ImportError:
    sys.exit("clapnet is not installed in this Python: run `bash tools/setup` and use "
             ".venv/bin/python, or `pip install clapnet`")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", metavar="DATA", help="dataset folder: DATA/clap/, DATA/other/")
    parser.add_argument("-o", "--output", required=True, metavar="MODEL",
                        help="model file to write, e.g. model.json")
    parser.add_argument("--preset", default="default", help="feature preset (default: default)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)

    try:
        # 1. recordings -> windows (the firmware's trigger rule) -> feature rows
        data = clapnet.load_dataset(args.data, args.preset)
        for problem in data.problems:
            print("skipped %s: %s" % (problem.path, problem.problem), file=sys.stderr)
        print("%s: %s" % (args.data, ", ".join("%d %s windows" % (count, label)
                                                for label, count in data.counts().items())))

        # 2. cross-validation, threshold from the out-of-fold predictions, final fit
        result = clapnet.train(data, {"seed": args.seed}, folds=args.folds)
        if result.cv:
            for metric, (mean, std) in result.cv.summary().items():
                print("  %-12s %.3f ± %.3f" % (metric, mean, std))
        print("threshold p(clap) >= %.4f" % result.threshold)

        # 3. the model file (written atomically: a failure never leaves half a file)
        clapnet.save_model(result.model, args.output)
    except clapnet.ClapnetError as e:
        sys.exit("error: %s" % e)
    print("wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
