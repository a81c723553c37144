from django.urls import path

from booking import views

app_name = "booking"

urlpatterns = [
    # Short paths for the emailed link and the QR code; their tokens are redacted from logs.
    path("b/<str:token>/", views.open_link, name="link"),
    path("t/<str:token>/", views.ticket_code, name="ticket_code"),
    path("booking/show/<int:show_id>/", views.book, name="book"),
    path("booking/check-your-email/", views.check_your_email, name="requested"),
    path("booking/check-your-email/resend/", views.resend_link, name="resend"),
    path("booking/reservation/", views.reservation, name="reservation"),
    path("booking/reservation/confirm/", views.confirm, name="confirm"),
    path("booking/reservation/cancel/", views.cancel, name="cancel"),
    path("booking/reservation/calendar.ics", views.calendar, name="calendar"),
]
