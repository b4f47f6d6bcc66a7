"""Looking at data:

    clapnet dataset info DIR        what is in a dataset folder, and what cannot be used
    clapnet features REC.wav        what the network sees in a recording
"""
import numpy as np

from clapnet.shared import features

from .. import api
from ..errors import ClapnetError
from ..training import dataset
from . import common


def add_commands(sub):
    data = sub.add_parser("dataset", help="inspect a dataset folder",
                          description="Dataset folders: DIR/<label>/*.wav, one subfolder per "
                                      "label (clap/, other/, ...).")
    data_sub = data.add_subparsers(dest="dataset_command", metavar="COMMAND")
    data_sub.required = True
    p = data_sub.add_parser(
        "info", help="counts per label, sample rates, unusable files",
        description="Report windows per label, sample rates and formats, and files that are "
                    "clipped, silent (nothing reaches the trigger level), unreadable or hold NaN "
                    "samples. Long recordings are cut into windows by the firmware's trigger rule.")
    p.add_argument("folder", metavar="DIR", help="dataset folder with one subfolder per label")
    p.add_argument("--preset", choices=sorted(features.PRESETS), default="default",
                   help="feature preset whose trigger and window cut the recordings "
                        "(default: default)")
    common.add_strict(p)
    p.set_defaults(func=cmd_dataset_info)

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


def cmd_dataset_info(args):
    data = common.load_dataset(args.folder, args.preset, args.strict, compute_features=False)
    print(dataset.info_report(data))
    return 0


def cmd_features(args):
    model = api.load_model(args.model) if args.model else None
    found = api.recording_features(args.recording, model, args.preset)
    config = found.config
    if not found.rows:
        raise ClapnetError("%s: no window triggered (%d overloaded): the recording never "
                           "reaches the trigger level %.2f of full scale; record louder or "
                           "closer" % (args.recording, found.rejected, config["trigger_level"]))
    rate = config["sample_rate"]
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    print("features: %s" % ", ".join(found.names))
    for k, (start, row) in enumerate(zip(found.starts, found.rows)):
        line = "t=%8.3f s  %s" % (start / rate, np.array(row))
        if model:
            p = found.probabilities[k]
            line += "\n             p=%s  -> %s" % (
                ", ".join("%s %.3f" % (label, v) for label, v in zip(found.labels, p)),
                "clap" if found.decisions[k] else "not a clap")
        print(line)
    if found.rejected:
        print("%d overloaded window(s) rejected" % found.rejected)
    return 0
