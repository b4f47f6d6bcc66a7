"""`clapnet demo`: the whole loop on an emulated board, with demo data."""
from ..demo import run


def add_commands(sub):
    p = sub.add_parser(
        "demo", help="train on demo data and run the firmware on an emulated board",
        description=run.__doc__)
    p.add_argument("--workdir", default="clapnet-demo",
                   help="folder for the dataset, model, stream and emulated flash "
                        "(default: ./clapnet-demo; reused if it exists)")
    p.add_argument("--claps", type=int, default=12, help="claps in the test stream (default 12)")
    p.add_argument("--others", type=int, default=24,
                   help="other sounds in the test stream (default 24)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=cmd_demo)


def cmd_demo(args):
    return run.run(args.workdir, args.claps, args.others, args.seed)
