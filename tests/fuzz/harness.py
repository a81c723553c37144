"""How the fuzz tests send a request and judge it: never a 5xx, and what it wrote.

Requests go through Django's test client the way a WSGI server hands them over: paths, query
strings, headers and cookies as bytes decoded as ISO-8859-1, so a client may send any bytes,
invalid UTF-8 included.
"""

from dataclasses import dataclass
from urllib.parse import quote_from_bytes

from django.apps import apps
from django.core import mail
from django.db import transaction
from django.test import Client, TestCase
from hypothesis import currently_in_test_context, event
from wagtail.models import ModelLogEntry, PageLogEntry

# Every model of these apps is watched, whichever they hold when the tests run; one not
# installed (django_tasks_db's task queue, label django_tasks_database) is skipped.
WATCHED_APPS = ("booking", "checkin", "django_tasks_database")
AUDIT_LOG_MODELS = (ModelLogEntry, PageLogEntry)


@dataclass
class Tally:
    """Requests sent, and how many got a 5xx (shrinking a failure sends more of those)."""

    requests: int = 0
    server_errors: int = 0


tally = Tally()


def as_wire_bytes(text):
    """The bytes a client sends for `text`; a lone surrogate becomes invalid UTF-8."""
    return text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text


def as_wsgi(text):
    """A header value as a WSGI server passes it on: the bytes, decoded as ISO-8859-1.

    Without NUL, CR and LF, which no HTTP server lets through in a header (gunicorn refuses
    the request).
    """
    return as_wire_bytes(text).decode("latin-1").translate({0: None, 10: None, 13: None})


def path_segment(text):
    return quote_from_bytes(as_wire_bytes(text), safe="")


def query_string(pairs):
    """Repeated keys stay repeated; every byte is percent-encoded as a browser would."""
    return "&".join(f"{path_segment(key)}={path_segment(value)}" for key, value in pairs)


def browser():
    """A client as production sees one: CSRF checks enforced (the test client skips them by
    default, and with them the request parsing they do), and a view's exception returned as
    the 500 a visitor gets, so that it is counted and reported with its input."""
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def unsendable_header(response):
    """A header a WSGI server cannot encode (PEP 3333: ISO-8859-1), or None.

    gunicorn fails such a response with a 500; the test client never encodes headers, so
    the fuzz tests check for it themselves.
    """
    cookies = (("Set-Cookie", c.output(header="")) for c in response.cookies.values())
    for name, value in [*response.items(), *cookies]:
        try:
            name.encode("latin-1")
            value.encode("latin-1")
        except UnicodeEncodeError as error:
            return f"{name}: {value!r} ({error})"
    return None


def send(client, method, path, body=b"", content_type="", **environ):
    """Send one request, run what it left for after the commit (emails), and fail on a 5xx.

    Returns the response: 2xx, 3xx or 4xx, with headers a WSGI server can send.
    """
    tally.requests += 1
    request = f"{method} {path} content_type={content_type!r} body={body[:300]!r}"
    response = None
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.generic(method, path, body, content_type, **environ)
    except Exception as error:
        # Either Django's own error handling raised (its 400 or 500 view failing too), so
        # the WSGI server answers 500; or an on-commit callback failed, failing the request.
        where = "after the commit" if response is not None else "out of Django's exception handling"
        fail_the_request()
        raise AssertionError(f"{request} raised {where}: {error!r}") from error
    if response.status_code >= 500:
        fail_the_request()
        message = f"{request} answered {response.status_code}"
        if response.exc_info is None:
            raise AssertionError(f"{message}: {response.content[:1000]!r}")
        # Raised while handling the view's exception: its traceback is shown, and Hypothesis
        # tells one defect from another by where that exception (the context) came from.
        try:
            raise response.exc_info[1]
        except Exception as cause:
            raise AssertionError(message) from cause
    if currently_in_test_context():
        # Shown by --hypothesis-show-statistics: how far the inputs got.
        event(f"{method} {response.status_code}")
    problem = unsendable_header(response)
    if problem is not None:
        fail_the_request()
        raise AssertionError(f"{request} answered a header no WSGI server can send: {problem}")
    return response


def fail_the_request():
    tally.server_errors += 1
    # The request may have left the test's transaction aborted (PostgreSQL after a database
    # error): it is rolled back without the constraint check TestCase otherwise runs first.
    transaction.set_rollback(True)


def watched_models():
    models = list(AUDIT_LOG_MODELS)
    for label in WATCHED_APPS:
        try:
            app_models = apps.get_app_config(label).get_models()
        except LookupError:
            continue
        # A proxy reads its concrete model's table, which is watched already.
        models.extend(model for model in app_models if not model._meta.proxy)
    return models


@dataclass
class Rows:
    """Every row of the watched tables, and the emails sent so far.

    The test database holds a few rows per table, so the rows themselves are the cheapest
    fingerprint that catches any update, not only inserts and deletes.
    """

    tables: dict
    emails: int

    @classmethod
    def now(cls):
        tables = {
            model._meta.label: {
                row[model._meta.pk.attname]: row for row in model._base_manager.values()
            }
            for model in watched_models()
        }
        return cls(tables, len(mail.outbox))

    def written_since(self, before):
        """{model label: {pk: (row before or None, row after or None)}} for every difference."""
        written = {}
        for label, rows in self.tables.items():
            old = before.tables[label]
            changes = {
                pk: (old.get(pk), rows.get(pk))
                for pk in old.keys() | rows.keys()
                if old.get(pk) != rows.get(pk)
            }
            if changes:
                written[label] = changes
        return written


def assert_wrote_nothing(before, response):
    after = Rows.now()
    written = after.written_since(before)
    assert not written, f"{response.status_code} wrote {written}"
    assert after.emails == before.emails, f"{response.status_code} sent an email"
