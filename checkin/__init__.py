"""Check-in at the door, in the Wagtail admin: scan, preview, admit, never twice.

The door view arrives with the check-in issue; the app is installed now so that the layout,
settings and translations are in place from the start.
"""
