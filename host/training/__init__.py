"""Training on the host: dataset.py (folders of WAV files -> windows), nn.py (the
network in numpy, with gradients), train.py (the training loop and options),
evaluate.py (cross-validation, metrics, threshold, plots)."""
