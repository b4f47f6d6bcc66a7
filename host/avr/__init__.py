"""The Arduino Mega 2560 target: header.py writes model.h from a model file;
build.py builds the sketch (avr-gcc, arduino-builder) and the host twin (g++)
and runs them (simavr harness)."""
