"""What a visitor does in the browser, shared by the end-to-end tests."""


def book_on_a_phone(phone, live_server, show, performance, seats):
    """Fill in and send the show page's booking form, as a visitor would."""
    phone.goto(live_server.url + show.url)
    phone.check(f"#performance-{performance.pk}")
    phone.fill("#id_name", "Ada Lovelace")
    phone.fill("#id_email", "ada@example.org")
    phone.fill("#id_seats", str(seats))
    phone.check("#id_privacy_acknowledged")
    phone.click(".booking-form button[type=submit]")
    phone.wait_for_url("**/booking/check-your-email/**")
