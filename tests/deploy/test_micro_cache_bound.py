"""Through real nginx: how stale the micro-cache may be, and what it costs Django.

A shared copy is fresh until the end of the second its render began in; for one more second
nginx may serve it while a single request renders the next copy in the background
(stale-while-revalidate, ADR 0012). So a change to availability reaches every visitor within
two seconds, under load or after a quiet spell, and a busy page costs Django about one render
a second, with no visitor waiting for it.
"""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import urllib3

from infra.native_stack import SERVER_NAME, psql

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

SHOW = "/spettacoli/la-tempesta/"
# The statuses of a response whose request made Django render the page.
RENDERS = ("MISS", "EXPIRED", "STALE")
# nginx reads its clock once per event loop turn: a decision may use a time a few
# milliseconds old.
CLOCK_SLACK = 0.05


def seats_left(html):
    return [int(number) for number in re.findall(r"(\d+) seats? left", html)]


def occupy_a_seat_at_every_performance(stack, seats=1):
    """Change the show's availability in the database, as the box office does; returns the
    time the change was committed."""
    psql(
        stack.env["DATABASE_URL"],
        "UPDATE booking_performance SET manually_occupied_seats = "
        f"manually_occupied_seats + {seats} WHERE show_id = "
        "(SELECT id FROM wagtailcore_page WHERE slug = 'la-tempesta')",
    )
    return time.time()


def fresh_seats_left(stack, url):
    """The seats left as the database has them now: read after any copy has passed its bound,
    so the page is rendered for this request."""
    time.sleep(2 + CLOCK_SLACK)
    response = stack.session().get(url)
    assert response.headers["X-Cache-Status"] in ("EXPIRED", "MISS")
    return seats_left(response.text)


def render_in_every_worker(stack):
    """Have every gunicorn worker render the show page, straight from its backend, before
    anything is measured.

    A worker's first render of the page (templates compiled, its fragment caches filled) takes
    a few hundred milliseconds, more on a slow machine. A render that ends in a later second
    than it began in comes back already expired, so nginx does not store it, and the copy it
    should have replaced may pass its stale second meanwhile: then every visitor renders until
    a copy is stored. Warm workers render in milliseconds; the cold ones are what the bound on
    renders below would otherwise measure (ADR 0012: "a render slower than a second costs
    more renders, not staleness"). Twice as many requests at once as a backend has workers,
    twice over, so that each worker takes some.
    """
    at_once = 2 * int(stack.env["GUNICORN_WORKERS"])
    headers = {"Host": SERVER_NAME, "X-Forwarded-Proto": "https"}

    def render(url):
        return stack.session().get(url, headers=headers).status_code

    for port in stack.backend_ports:
        urls = [f"http://127.0.0.1:{port}{SHOW}"] * at_once
        for _ in range(2):
            with ThreadPoolExecutor(at_once) as pool:
                assert list(pool.map(render, urls)) == [200] * at_once


@pytest.fixture
def show_url(stack):
    url = stack.https + SHOW
    render_in_every_worker(stack)
    assert seats_left(stack.session().get(url).text), "the demo show has performances on sale"
    return url


def test_under_load_a_change_reaches_every_visitor_within_two_seconds(stack, show_url):
    answers = []  # (sent at, X-Cache-Status, seats left)
    stop = threading.Event()

    def visitor():
        session = stack.session()
        while not stop.is_set():
            sent = time.time()
            response = session.get(show_url)
            answers.append((sent, response.headers["X-Cache-Status"], seats_left(response.text)))

    before = fresh_seats_left(stack, show_url)
    visitors = [threading.Thread(target=visitor) for _ in range(4)]
    started = time.time()
    for thread in visitors:
        thread.start()
    try:
        time.sleep(1.5)
        changed = occupy_a_seat_at_every_performance(stack)
        time.sleep(3.0)
    finally:
        stop.set()
        for thread in visitors:
            thread.join()
        occupy_a_seat_at_every_performance(stack, seats=-1)
    elapsed = time.time() - started

    after = [seats - 1 for seats in before]
    assert {tuple(seats) for __, __, seats in answers} <= {tuple(before), tuple(after)}
    late = [seats for sent, __, seats in answers if sent > changed + 2 + CLOCK_SLACK]
    assert late
    assert all(seats == after for seats in late)
    # Each second, the first request after a copy expired was served it stale while the
    # next one rendered: the bound is not met by rendering every request.
    statuses = [status for __, status, __ in answers]
    assert statuses.count("STALE") >= 2, statuses
    renders = sum(status in RENDERS for status in statuses)
    assert renders <= elapsed + 2, statuses
    assert len(answers) > 4 * renders


def test_after_a_quiet_spell_the_first_visitor_gets_a_fresh_page(stack, show_url):
    visitor = stack.session()
    before = fresh_seats_left(stack, show_url)
    assert seats_left(visitor.get(show_url).text) == before  # a copy is cached
    # Past the copy's fresh second and its stale one.
    time.sleep(2 + CLOCK_SLACK)
    occupy_a_seat_at_every_performance(stack)
    try:
        response = visitor.get(show_url)
    finally:
        occupy_a_seat_at_every_performance(stack, seats=-1)
    assert response.headers["X-Cache-Status"] in ("EXPIRED", "MISS")
    assert seats_left(response.text) == [seats - 1 for seats in before]


@pytest.mark.parametrize("path", ["/robots.txt", "/calendar/season.ics"])
def test_responses_django_did_not_mark_as_shared_are_never_stored(stack, path):
    # Both say public, max-age: for browsers and calendar apps, not for nginx.
    session = stack.session()
    responses = [session.get(stack.https + path) for _ in range(3)]
    assert all(response.status_code == 200 for response in responses)
    assert "max-age" in responses[0].headers["Cache-Control"]
    assert [response.headers["X-Cache-Status"] for response in responses] == ["MISS"] * 3
