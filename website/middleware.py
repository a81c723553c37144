"""Request checks that must run before anything reads the request body."""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class RefuseFormsNotInUTF8:
    """Answer 400 to a form body declared in a charset other than UTF-8.

    Django refuses such a body (HTML forms are always UTF-8) by raising BadRequest from
    `request.POST`, but raises it again on every later read: its CSRF check reads the body in
    the 400 and 500 views too, so the refusal escapes as a bare 500 from the server. Refused
    here, before any reader, it is a plain 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        encoding = request.encoding
        if (
            request.content_type == "application/x-www-form-urlencoded"
            and encoding
            # Exactly the test Django's request makes before it refuses the body.
            and encoding.lower() != "utf-8"
        ):
            return HttpResponseBadRequest(
                _("This form was not sent in UTF-8, the only encoding a form may use."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
