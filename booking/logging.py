"""A logging filter that keeps booking tokens out of every log line.

Django logs request paths (404s in `django.request`, every request in `django.server`);
the emailed link and the QR code carry tokens in theirs.
"""

import logging
import re

from booking.tokens import TOKEN_PATTERN

# Exactly a token: not a piece of a longer word such as a 64-character hash.
TOKEN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9_-]){TOKEN_PATTERN}(?![A-Za-z0-9_-])")
REDACTED = "[redacted]"


def redact(text):
    return TOKEN_IN_TEXT.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatted here, so that the formatter reuses the redacted text.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
