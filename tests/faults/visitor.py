"""A visitor's browser talking to the site's WSGI application, as gunicorn calls it.

Unlike Django's test client, this lets Django's request_started and request_finished signals
run, so each request gets what production gets between requests: old or broken database
connections closed, and the connection health check (CONN_HEALTH_CHECKS) before first use.
Tests using it commit for real (`django_db(transaction=True)`).
"""

from bs4 import BeautifulSoup
from django.conf import settings
from django.core import mail
from django.core.wsgi import get_wsgi_application
from django.test import RequestFactory
from django.urls import reverse

from tests.booking.mailbox import link_token
from tests.faults.worker import run_worker_loop

CSRF_COOKIE = settings.CSRF_COOKIE_NAME


class Visitor:
    def __init__(self):
        self.application = get_wsgi_application()
        # RequestFactory builds the WSGI environ and sends `cookies` with every request.
        self.factory = RequestFactory()

    def get(self, path):
        return self.send(self.factory.get(path))

    def post(self, path, data=None):
        # A form submitted from the site itself, as a current browser says, with the CSRF
        # token the page's form carries (the same as its cookie's).
        headers = {"sec-fetch-site": "same-origin"}
        if CSRF_COOKIE in self.factory.cookies:
            headers["x-csrftoken"] = self.factory.cookies[CSRF_COOKIE].value
        return self.send(self.factory.post(path, data or {}, headers=headers))

    def book(self, performance, email="ada@example.org", seats=1):
        return self.post(
            reverse("booking:book", args=[performance.show_id]),
            {
                "performance": performance.pk,
                "name": "Ada Lovelace",
                "email": email,
                "seats": seats,
                "privacy_acknowledged": "on",
                "website": "",
            },
        )

    def book_and_open_the_link(self, performance):
        """Book, let the worker send the link, open it: the page with the confirm button."""
        self.book(performance)
        run_worker_loop()
        self.get(f"/b/{link_token(mail.outbox[0])}/")
        return self.get("/booking/reservation/")

    def send(self, request):
        response = self.application(request.environ, lambda status, headers, exc_info=None: None)
        try:
            response.content = b"".join(response)
        finally:
            response.close()  # sends request_finished, as the WSGI server does
        for name, morsel in response.cookies.items():
            if morsel["max-age"] == 0:
                self.factory.cookies.pop(name, None)
            else:
                self.factory.cookies[name] = morsel.value
        return response


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def heading(response):
    return page(response).find("h1").get_text(" ", strip=True)
