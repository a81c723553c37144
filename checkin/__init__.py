"""Check-in at the door, in the Wagtail admin: scan, preview, admit, never twice."""
