"""`clapnet demo`: data.py builds a dataset from Debian's hydrogen-drumkits
samples; run.py trains on it and runs the firmware on an emulated board."""
