from django.urls import path, register_converter

from booking import views
from booking.tokens import TOKEN_PATTERN


class TokenConverter:
    """Only a well-formed token reaches a view: anything else is the site's 404.

    A token cannot hold a character a header refuses, so the link's cookie is always valid.
    """

    regex = TOKEN_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TokenConverter, "token")

app_name = "booking"

urlpatterns = [
    # Short paths for the emailed link and the QR code; their tokens are redacted from logs.
    path("b/<token:token>/", views.open_link, name="link"),
    path("b/<token:token>/cancel/", views.open_link_to_cancel, name="link_cancel"),
    path("t/<token:token>/", views.ticket_code, name="ticket_code"),
    path("booking/show/<int:show_id>/", views.book, name="book"),
    path(
        "booking/show/<int:show_id>/waiting-list/",
        views.join_waiting_list,
        name="join_waiting_list",
    ),
    path("booking/show/<int:show_id>/group-request/", views.group_request, name="group_request"),
    path("booking/group-request/sent/", views.group_request_sent, name="group_request_sent"),
    path("booking/check-your-email/", views.check_your_email, name="requested"),
    path("booking/check-your-email/resend/", views.resend_link, name="resend"),
    path("booking/reservation/", views.reservation, name="reservation"),
    path("booking/reservation/confirm/", views.confirm, name="confirm"),
    path("booking/reservation/cancel/", views.cancel, name="cancel"),
    path("booking/reservation/calendar.ics", views.calendar, name="calendar"),
    # Calendar feeds to subscribe to: public, cacheable, no personal data.
    path("calendar/season.ics", views.season_calendar, name="season_calendar"),
    path("calendar/show/<int:show_id>.ics", views.show_calendar, name="show_calendar"),
]
