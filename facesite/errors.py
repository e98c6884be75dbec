class FacesiteError(Exception):
    """A problem the user can fix; its message is shown as it is, never a traceback."""
