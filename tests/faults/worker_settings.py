"""Settings of the email worker that fault tests run as a process of its own: the test
settings, sending over SMTP to the server in EMAIL_URL as production does."""

from tests.settings import *  # noqa: F403
from website.settings import EMAIL_CONFIG

EMAIL_BACKEND = EMAIL_CONFIG["EMAIL_BACKEND"]
