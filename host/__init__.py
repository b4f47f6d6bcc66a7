"""clapnet host side: datasets, trainer, exporters and the `clapnet` command line."""
