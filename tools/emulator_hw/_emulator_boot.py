# Run by the emulated board at every (re)start, like a board's boot.py. Being
# run as a script puts this folder first on sys.path, ahead of the flash
# ('' = the working directory), so `import hw` gets the emulated hardware.
import sys

sys.path[1:1] = [""]
del sys
