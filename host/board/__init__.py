"""A MicroPython board over USB serial (mpremote): connection.py (the raw REPL,
atomic file writes), push.py (device code + model), record.py (training data
from the board), flash.py (MicroPython firmware with esptool)."""
