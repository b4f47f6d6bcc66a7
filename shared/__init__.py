# clapnet shared core: the same files run on CPython (host) and MicroPython (board).
