"""Booking: venues, performances, reservations, capacity, tokens, tickets and the box office."""
