"""The site's settings with a URLconf of one trivial page: the benchmark's Django floor."""

from website.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
