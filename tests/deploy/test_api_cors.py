"""Through nginx only: the public API's CORS headers, the micro-cache that shares its answers,
and the rest of the site, which stays same-origin.

nginx keeps one micro-cached copy of an API answer per Origin (infra/nginx/); these tests prove
that no site is ever handed another's Access-Control-Allow-Origin, even while every copy is
cached, and that CORS reaches nothing but /api/.
"""

import socket
import ssl
import time

import pytest
import urllib3

from infra.native_stack import running_stack

pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

ALLOWED_A = "https://a.example"
ALLOWED_B = "https://b.example"
# Another site; an allowed host over plain HTTP; an allowed name inside another domain; a
# sandboxed frame or a file: page, which browsers send as "null".
NOT_ALLOWED = ("https://c.example", "http://a.example", "https://a.example.evil.example", "null")
PERFORMANCES = "/api/v1/performances/"


@pytest.fixture(scope="module")
def api_stack(deployment_database_url, tmp_path_factory):
    """A stack of its own: the shared one allows no origin, as production until some are set."""
    workdir = tmp_path_factory.mktemp("deploy-api")
    with running_stack(
        deployment_database_url, workdir, cors_allowed_origins=(ALLOWED_A, ALLOWED_B)
    ) as stack:
        # A gunicorn worker's first API request is slow (lazy imports, Wagtail's site lookup):
        # made here, past nginx's cache (a session cookie), so that the runs timed against
        # the clock below are not.
        session = stack.session()
        for _ in range(8):
            session.get(stack.https + PERFORMANCES, cookies={"sessionid": "warm-up"})
        yield stack


def access_control(response):
    """Every Access-Control-* header of a response, by lower-case name."""
    return {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-")
    }


def vary(response):
    # requests joins repeated headers with a comma: nginx adds its own Vary beside Django's.
    return {token.strip().lower() for token in response.headers.get("Vary", "").split(",")}


def get(stack, path, origin=None, session=None, **headers):
    if origin is not None:
        headers["Origin"] = origin
    session = session or stack.session()
    return session.get(stack.https + path, headers=headers, allow_redirects=False)


def within_one_second(send, attempts=5):
    """What `send()` returns, from a run that began and ended in the same second.

    nginx shares a copy as fresh until the end of the second it was rendered in (Expires), so
    a run that crosses into the next second would see copies expire half way: it runs again.
    """
    for _ in range(attempts):
        # Start just after a second begins, leaving the run the whole second.
        time.sleep(1.02 - time.time() % 1)
        second = int(time.time())
        result = send()
        if int(time.time()) == second:
            return result
    pytest.fail(f"no run of the requests fitted in one second in {attempts} attempts")


def test_each_origin_gets_its_own_micro_cached_copy_and_no_other_sites_permission(api_stack):
    """(a) A gets A's permission; (b) B, while A's copy is cached, gets B's and never A's;
    (c) other origins and a request without Origin get none, while A's and B's are cached."""

    order = [ALLOWED_A, ALLOWED_A, ALLOWED_B, ALLOWED_B]
    for origin in (*NOT_ALLOWED, None):
        order += [origin, origin]
    # A's and B's copies once more, after everyone else's.
    order += [ALLOWED_A, ALLOWED_B]

    def send():
        # One connection for the run (a TLS handshake per request would eat into the second).
        session = api_stack.session()
        return [(origin, get(api_stack, PERFORMANCES, origin, session)) for origin in order]

    answers = within_one_second(send)
    bodies = set()
    for number, (origin, response) in enumerate(answers):
        assert response.status_code == 200, (origin, response.status_code)
        assert "count" in response.json()
        bodies.add(response.content)
        # The first request of an origin renders its copy (EXPIRED: a copy from an earlier
        # second was there), or is served that earlier copy while the next one renders in
        # the background (STALE); every later one in the second is served from a copy.
        first = all(earlier != origin for earlier, __ in answers[:number])
        expected = ("MISS", "EXPIRED", "STALE") if first else ("HIT", "UPDATING")
        assert response.headers["X-Cache-Status"] in expected, (origin, number)
        assert "origin" in vary(response), origin
        assert response.headers["Cache-Control"] == "public, stale-while-revalidate=1"
        if origin in (ALLOWED_A, ALLOWED_B):
            assert access_control(response) == {
                "access-control-allow-origin": origin,
                "access-control-expose-headers": "ETag",
            }, (origin, number)
        else:
            assert access_control(response) == {}, (origin, number)
    # The copies differ in their CORS headers only.
    assert len(bodies) == 1


def test_a_caller_that_asks_again_with_the_etag_gets_304(api_stack):
    """(g) From the cached copy, and after the second has ended (from a fresh copy, or from
    the stale one while the next renders)."""
    first = get(api_stack, PERFORMANCES, ALLOWED_A)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = get(api_stack, PERFORMANCES, ALLOWED_A, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    # The page script that sent If-None-Match reads the 304 too: it carries the permission.
    assert again.headers["Access-Control-Allow-Origin"] == ALLOWED_A
    time.sleep(1.02)
    later = get(api_stack, PERFORMANCES, ALLOWED_A, **{"If-None-Match": etag})
    assert later.status_code == 304
    assert later.headers["X-Cache-Status"] in ("MISS", "EXPIRED", "STALE")
    stale = get(api_stack, PERFORMANCES, ALLOWED_A, **{"If-None-Match": '"not-the-etag"'})
    assert stale.status_code == 200


def preflight(stack, origin, method, path=PERFORMANCES):
    return stack.session().options(
        stack.https + path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "if-none-match",
        },
    )


def test_a_preflight_allows_reading_only_and_no_credentials(api_stack):
    """(d) The methods allowed are GET, HEAD and OPTIONS, whatever the preflight asks for."""
    allowed = preflight(api_stack, ALLOWED_A, "GET")
    assert allowed.status_code == 200
    headers = access_control(allowed)
    assert headers["access-control-allow-origin"] == ALLOWED_A
    methods = {method.strip() for method in headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    assert "if-none-match" in headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in headers
    # Not a method nginx caches: every preflight reaches Django, which decides for its Origin.
    assert "X-Cache-Status" not in allowed.headers

    for method in ("POST", "DELETE", "PUT", "PATCH"):
        # django-cors-headers answers every preflight from an allowed origin with the same
        # list; the browser then refuses to send a method that is not in it.
        headers = access_control(preflight(api_stack, ALLOWED_A, method))
        assert method not in headers["access-control-allow-methods"], method
        assert "access-control-allow-credentials" not in headers
    # And the API refuses them if sent anyway (a plain form POST needs no preflight).
    posted = api_stack.session().post(
        api_stack.https + PERFORMANCES, data={"x": "1"}, headers={"Origin": ALLOWED_A}
    )
    assert posted.status_code == 405

    for origin in NOT_ALLOWED:
        assert access_control(preflight(api_stack, origin, "GET")) == {}, origin


def test_nothing_outside_the_api_gets_cors_headers(api_stack):
    """(e) Pages, the season's calendar feed and their cached copies stay same-origin."""
    for path in ("/", "/spettacoli/", "/spettacoli/la-tempesta/", "/calendar/season.ics"):
        for _ in range(2):  # the second may come from the micro-cache
            response = get(api_stack, path, ALLOWED_A)
            assert response.status_code == 200, path
            assert access_control(response) == {}, path
        assert access_control(preflight(api_stack, ALLOWED_A, "GET", path)) == {}, path


def test_a_cross_site_booking_post_is_refused_without_cors_headers(api_stack):
    """(f) The booking form refuses another site's POST (ADR 0012), allowed origin or not."""
    shows = get(api_stack, "/api/v1/shows/").json()["results"]
    show_id = next(show["id"] for show in shows if show["title"] == "La tempesta")
    refused = api_stack.session().post(
        f"{api_stack.https}/booking/show/{show_id}/",
        data={"name": "Eve", "email": "eve@example.org", "seats": "1"},
        headers={"Origin": ALLOWED_A, "Sec-Fetch-Site": "cross-site"},
        allow_redirects=False,
    )
    assert refused.status_code == 403
    assert access_control(refused) == {}
    assert "X-Cache-Status" not in refused.headers


def test_the_api_keeps_the_sites_security_headers_once_each(api_stack):
    """The API's location inherits the server's add_header, proxy_set_header and
    proxy_hide_header: a location that set any of its own would lose all of them."""
    response = get(api_stack, PERFORMANCES)
    assert response.status_code == 200  # Host reached Django: proxy_set_header inherited
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    # Django sends these too: nginx hides its copies, so each appears once.
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_uri_cannot_pass_for_another_uri_plus_an_origin(api_stack):
    """The API's cache key is "<URL> <Origin>": nginx refuses a request line whose URI holds a
    space, so no request can make the key of another request with another Origin."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    line = f"GET {PERFORMANCES}?page=1 {ALLOWED_A} HTTP/1.1"
    with (
        socket.create_connection(("127.0.0.1", api_stack.https_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as connection,
    ):
        connection.sendall(f"{line}\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 400 Bad Request"
