"""A logging filter that keeps booking tokens out of every log line.

Django logs request paths (404s in `django.request`, every request in `django.server`), and
gunicorn logs request lines (its access log, and its error log for a request it refuses); the
emailed link and the QR code carry tokens in theirs.
"""

import logging
import re

from booking.tokens import TOKEN_PATTERN

# Exactly a token: not a piece of a longer word such as a 64-character hash.
TOKEN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9_-]){TOKEN_PATTERN}(?![A-Za-z0-9_-])")
# Whatever follows /b/ or /t/, up to the next slash, query, fragment, space or double quote (the
# end of a URL in a request line or an access log): a token with junk around it, or a character
# short, is no longer exactly a token but still gives it away.
TOKEN_URL_SEGMENT = re.compile(r'(/[bt]/+)[^/?#\s"]+', re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text):
    text = TOKEN_URL_SEGMENT.sub(rf"\g<1>{REDACTED}", text)
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
