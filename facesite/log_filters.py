"""Logging filters named in settings.LOGGING."""

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """Keep a 403 to its one line ("Forbidden (Permission denied): /path").

    Django logs every PermissionDenied with its traceback, which is nothing but the
    permission check that refused a user; the line says all an operator needs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
