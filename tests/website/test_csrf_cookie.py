"""The CSRF cookie is HttpOnly: our scripts and Wagtail's admin take the token from the page."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


@pytest.mark.django_db
def test_the_csrf_cookie_is_http_only(client):
    response = client.get("/admin/login/")

    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["httponly"] is True
    # The token a script needs is in the page, as the door's script reads it.
    form = BeautifulSoup(response.content, "html.parser").find("form")
    assert form.find("input", attrs={"name": "csrfmiddlewaretoken"})["value"]


def test_no_script_of_ours_reads_cookies():
    scripts = [
        path
        for path in BASE_DIR.glob("*/static/**/*.js")
        if "vendor" not in path.relative_to(BASE_DIR).parts
    ]
    assert scripts
    for script in scripts:
        text = script.read_text()
        assert "document.cookie" not in text, script
        assert "csrftoken" not in text, script
