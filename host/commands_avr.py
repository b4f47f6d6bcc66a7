"""Sub-commands for this area are added here (work in progress)."""


def add_commands(sub):
    pass
