"""`clapnet features` (what the network sees in a recording), `clapnet demo`
(the whole loop on an emulated board) and `clapnet bench features`."""
import numpy as np

from shared import features, network

from . import bench_features, dataset
from .commands_train import bench_subparsers
from .errors import ClapnetError
from .modelfile import load_model


def add_commands(sub):
    p = sub.add_parser(
        "features", help="print the features (and probabilities) of a recording's windows",
        description="Cut a WAV recording into windows with the firmware's trigger rule and "
                    "print each window's features; with --model also the class "
                    "probabilities and the decision the board would make.")
    p.add_argument("recording", help="WAV file (any rate: resampled to the model's rate)")
    p.add_argument("--model", help="model file: use its feature configuration and network")
    p.add_argument("--preset", default="default", choices=sorted(features.PRESETS),
                   help="feature preset when no --model is given (default: default)")
    p.set_defaults(func=cmd_features)

    p = bench_subparsers(sub).add_parser(
        "features", help="time per window of features + forward pass for each backend",
        description=bench_features.__doc__)
    bench_features.add_arguments(p)

    from . import demo
    demo.add_commands(sub)


def cmd_features(args):
    model = load_model(args.model) if args.model else None
    config = model["features"] if model else features.preset(args.preset)
    samples, _ = dataset.read_recording(args.recording, config["sample_rate"])
    windows, starts, rejected = dataset.cut_windows(samples, config)
    if not windows:
        raise ClapnetError("%s: no window triggered (%d overloaded): the recording never "
                           "reaches the trigger level %.2f of full scale; record louder or "
                           "closer" % (args.recording, rejected, config["trigger_level"]))
    names = features.feature_names(config)
    ex = features.Features(config)
    net = network.Network(model) if model else None
    rate = config["sample_rate"]
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    print("features: %s" % ", ".join(names))
    for start, window in zip(starts, windows):
        f = ex.extract(window)
        line = "t=%8.3f s  %s" % (start / rate, np.array(f))
        if net:
            p = net.forward(f)
            clap = p[net.clap_index]
            line += "\n             p=%s  -> %s" % (
                ", ".join("%s %.3f" % (label, v) for label, v in zip(net.labels, p)),
                "clap" if net.is_clap(clap) else "not a clap")
        print(line)
    if rejected:
        print("%d overloaded window(s) rejected" % rejected)
    return 0
