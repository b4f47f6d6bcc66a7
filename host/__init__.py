"""clapnet: a clap recognizer for microcontrollers, host side.

The Python API (see clapnet.api for the details and an example):

    load_dataset, cross_validate, train, evaluate, detect, recording_features,
    save_model, load_model, export_header

The `clapnet` command line is a thin layer over it (clapnet.cli). The rooms:
    training/  datasets, the numpy network and trainer, evaluation
    board/     a MicroPython board over USB: push, run, record, flash
    avr/       the Arduino Mega target: C++ header, builds, simavr
    bench/     benchmarks
    demo/      the whole loop on an emulated board with demo data
    cli/       the command line, one module per group of commands
    shared     clapnet.shared, the code the board runs too (features, network)
"""
try:
    from importlib.metadata import PackageNotFoundError, version as _version
    __version__ = _version("clapnet")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+checkout"

from .api import (  # noqa: E402  (after __version__: modelfile records it)
    CVResult, Dataset, Evaluation, Event, RecordingFeatures, TrainResult, cross_validate,
    detect, evaluate, export_header, feature_config, load_dataset, load_model,
    recording_features, save_model, train, training_options)
from .errors import ClapnetError  # noqa: E402

__all__ = [
    "ClapnetError", "CVResult", "Dataset", "Evaluation", "Event", "RecordingFeatures",
    "TrainResult", "cross_validate", "detect", "evaluate", "export_header", "feature_config",
    "load_dataset", "load_model", "recording_features", "save_model", "train",
    "training_options", "__version__",
]
