class ClapnetError(Exception):
    """An error the user can fix: printed as one message, without a traceback."""
