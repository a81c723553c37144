"""Signals the website sends: how the apps built on it join in without website importing them."""

from django.dispatch import Signal

# Sent by `manage.py load_demo` once the demo's pages, images, settings and users are built,
# inside the command's transaction: what a receiver writes commits or rolls back with them.
# Keyword arguments:
#   shows: the demo's ShowPages, keyed by slug, in the order of the content file;
#   today: the date the demo's relative dates count from.
# A receiver may return a short count, such as "15 performances", which the command adds to
# the summary it prints.
demo_content_loaded = Signal()
