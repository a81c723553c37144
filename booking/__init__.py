"""Booking: venues, performances, reservations, capacity, tokens and tickets.

The models and the services that change them arrive with the booking issue; the app is
installed now so that the layout, settings and translations are in place from the start.
"""
