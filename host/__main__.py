"""`python -m clapnet ...` is the `clapnet` command."""
import sys

from .cli import main

sys.exit(main())
