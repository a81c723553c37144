"""`make bench`: the production topology under load, with ratios to floors measured alongside.

Starts nginx in front of two gunicorn backends and a fresh PostgreSQL database (the deployment
test's stack), loads a fixed data set, runs each scenario BENCH_ROUNDS times and prints medians,
spreads and ratios to floors measured in the same run, then the targets with ✓ or ✗. Closed-loop
scenarios (wrk, client threads that wait for each answer) give throughput; open-loop ones
(bench/open_loop.py) send at a fixed arrival rate and time each request from its intended send
time, so that queueing shows. Needs PostgreSQL (DATABASE_URL); run as root, it installs the
Debian packages it uses (wrk, nginx, openssl, postgresql-client) when they are missing. Absolute
numbers drift on shared machines: read the ratios.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
import urllib3

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.open_loop import GENERATOR_SLACK_MS, open_loop, percentile  # noqa: E402
from infra.native_stack import (  # noqa: E402
    NGINX,
    SERVER_NAME,
    free_port,
    running_stack,
    wait_for,
)

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
RUSH_CLIENTS, DOOR_SCANNERS = 32, 16
# The door at human pace: each scanner sends one check-in every 2 s (8 a second in all), open
# loop, for four times a wrk run. Then the same scanners at once, closed loop, on other parties.
DOOR_PACED_RATE = DOOR_SCANNERS / 2
DOOR_PACED_SECONDS = 4 * SECONDS
DOOR_BURST_PARTIES = 160
# Each ticket checks in once, so every round's door performance holds both runs' parties.
DOOR_PARTIES = DOOR_BURST_PARTIES + round(DOOR_PACED_RATE * DOOR_PACED_SECONDS)
# Visitors arriving at the micro-cached show page, open loop: a few per cent of what the cache
# serves closed loop, so a healthy stack meets it with room, and a rate the Python generator
# sustains beside the stack on two shared cores (it reports its own lateness).
SHOW_RATE, SHOW_LANES = 300, 32
# Bookers arriving at a fixed rate, each following the link and confirming: about half of
# what the closed-loop rush gets through on this machine.
RUSH_PACED_RATE = 10
MEMORY_REQUESTS = 10_000
# A worker is "not growing" when its RSS rose by at most this over the memory check's requests.
MEMORY_GROWTH_MB = 2.0

# Rows of the results that other rows are compared with or that the targets read.
STATIC_FLOOR = "floor: nginx static file (req/s)"
DJANGO_FLOOR = "floor: bare Django page on one backend (req/s)"
PSYCOPG_FLOOR = "floor: raw psycopg confirmation (tx/s)"
SHOW_CACHED = "show page, 10 performances, micro-cached (req/s)"
SHOW_UNCACHED = "show page, 10 performances, uncached, one backend (req/s)"
SHOW_PACED = f"show page, 10 performances, {SHOW_RATE}/s open loop"
RUSH_RATE = "booking rush (confirmations/s)"
RUSH_PACED = f"booking rush, {RUSH_PACED_RATE}/s open loop"
DOOR_PREVIEW = "door, one scanner (preview p50 ms)"
DOOR_PACED = f"door, {DOOR_SCANNERS} scanners at {DOOR_PACED_RATE:g}/s, open loop"
DOOR_BURST = f"door, {DOOR_SCANNERS} scanners, closed loop"
DOOR_BURST_RATE = f"{DOOR_BURST} (check-ins/s)"
LARGEST_RSS = "largest worker RSS after (MB)"
LARGEST_GROWTH = "largest growth of one worker (MB)"
MEMORY_MADE = "memory check requests"
MEMORY_WORKERS = "workers measured before and after"
# The width of the results' scenario column.
WIDTH = 66


# Straight to a backend, a request says what nginx would: it came over HTTPS.
DIRECT = {"Host": SERVER_NAME, "X-Forwarded-Proto": "https"}
# An anonymous visitor whose (stale) session cookie keeps the page out of the micro-cache.
UNCACHED = {"Cookie": "sessionid=bench"}
# The public API, read by a partner site's script: the browser sends its Origin, which nginx's
# cache key holds (one shared copy per origin) and Django answers with CORS headers.
API_PERFORMANCES = "/api/v1/performances/"
API_ORIGIN = "https://partner.example"


def wrk(url, connections=32, seconds=SECONDS, headers=None):
    """Requests per second, p99 latency (ms), non-2xx/3xx answers and requests made, from wrk."""
    options = [arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")]
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *options, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    made = int(re.search(r"(\d+) requests in", output).group(1))
    return rps, float(p99.group(1)) * scale, int(errors.group(1)) if errors else 0, made


def settle(stack, quick_ms=50, timeout=120):
    """Wait until every backend is idle: wrk stops with up to one request per connection still
    queued for the workers, and the next scenario must not pay for them. A health check sent
    straight to a backend waits behind whatever is queued there; two quick answers in a row
    mean the queue is empty."""
    for port in stack.backend_ports:
        deadline = time.monotonic() + timeout
        quick = 0
        while quick < 2 and time.monotonic() < deadline:
            started = time.perf_counter()
            session().get(f"http://127.0.0.1:{port}/healthz", headers=DIRECT)
            quick = quick + 1 if (time.perf_counter() - started) * 1000 < quick_ms else 0


def session():
    client = requests.Session()
    client.trust_env = False
    client.verify = False
    return client


def psycopg_floor(database_url, performance_id, reservation_id):
    """What a confirmation must do, in raw SQL from 32 threads: transactions per second."""
    stop = time.monotonic() + SECONDS
    counts = []

    def worker():
        done = 0
        with psycopg.connect(database_url, autocommit=False) as connection:
            while time.monotonic() < stop:
                with connection.transaction(), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT id FROM booking_performance WHERE id = %s FOR UPDATE",
                        [performance_id],
                    )
                    cursor.execute(
                        "SELECT COALESCE(SUM(seats), 0) FROM booking_reservation "
                        "WHERE performance_id = %s AND status = 'confirmed'",
                        [performance_id],
                    )
                    cursor.execute(
                        "UPDATE booking_reservation SET status = status WHERE id = %s",
                        [reservation_id],
                    )
                done += 1
        counts.append(done)

    threads = [threading.Thread(target=worker) for _ in range(RUSH_CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


class NginxTimes:
    """What nginx logged as request times for one endpoint, from now on: the server's share of
    a latency, without the load generator's own CPU (it shares the machine)."""

    def __init__(self, stack, request):
        self.log = stack.workdir / "logs" / "access.log"
        self.request = f'"{request} '
        self.offset = self.log.stat().st_size

    def milliseconds(self):
        with open(self.log) as log:
            log.seek(self.offset)
            lines = [line for line in log if self.request in line]
        return [float(re.search(r"time=([\d.]+)", line).group(1)) * 1000 for line in lines]


def follow_link(stack, browser, token):
    """The booker opens the emailed link: its redirect to the reservation page, and the page."""
    browser.get(f"{stack.https}/b/{token}/")


def confirm(stack, browser):
    """The booker's confirm POST, from the reservation page; answered by a redirect."""
    return browser.post(
        f"{stack.https}/booking/reservation/confirm/",
        data={"csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
        headers={"Origin": stack.https},
        allow_redirects=False,
    )


def confirmed_seats(stack, performance):
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        return connection.execute(
            "SELECT COALESCE(SUM(seats), 0) FROM booking_reservation "
            "WHERE performance_id = %s AND status = 'confirmed'",
            [performance],
        ).fetchone()[0]


def booking_rush(stack, rush):
    """32 clients confirm their bookings at once; fewer seats than bookers."""
    tokens = list(rush["tokens"])
    lock = threading.Lock()
    latencies, statuses = [], []

    def client():
        browser = session()
        while True:
            with lock:
                if not tokens:
                    return
                token = tokens.pop()
            follow_link(stack, browser, token)
            started = time.perf_counter()
            response = confirm(stack, browser)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses.append(response.status_code)

    nginx = NginxTimes(stack, "POST /booking/reservation/confirm/")
    started = time.monotonic()
    with ThreadPoolExecutor(RUSH_CLIENTS) as pool:
        for _ in range(RUSH_CLIENTS):
            pool.submit(client)
    elapsed = time.monotonic() - started
    served = nginx.milliseconds()
    return {
        "confirmations_per_s": len(statuses) / elapsed,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "nginx_p50": percentile(served, 0.5),
        "nginx_p99": percentile(served, 0.99),
        "server_errors": sum(status >= 500 for status in statuses),
        "confirmed": confirmed_seats(stack, rush["performance"]),
        "seats": rush["seats"],
    }


def booking_rush_open_loop(stack, rush):
    """Bookers arriving at RUSH_PACED_RATE a second whatever the answers, over RUSH_CLIENTS
    keep-alive connections: each follows its emailed link and confirms. Latency runs from the
    intended arrival to the confirmation's answer (the link's redirect, the reservation page
    and the confirm POST). Fewer seats than bookers, as in the closed-loop rush."""
    tokens = rush["tokens"]
    statuses = [0] * len(tokens)
    lanes = [session() for _ in range(RUSH_CLIENTS)]
    for browser in lanes:  # connected (TLS handshake done) before the clock starts
        browser.get(stack.https + "/")

    def book(browser, arrival):
        follow_link(stack, browser, tokens[arrival])
        statuses[arrival] = confirm(stack, browser).status_code
        return statuses[arrival] == 302

    run = open_loop(lanes, RUSH_PACED_RATE, len(tokens) / RUSH_PACED_RATE, book)
    return {
        **open_loop_rows(RUSH_PACED, run, "not 302"),
        f"{RUSH_PACED} (5xx)": sum(status >= 500 for status in statuses),
        f"{RUSH_PACED} (confirmed - seats)": (
            confirmed_seats(stack, rush["performance"]) - rush["seats"]
        ),
    }


def staff_session(stack):
    browser = session()
    page = browser.get(f"{stack.https}/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    browser.post(
        f"{stack.https}/admin/login/",
        data={"csrfmiddlewaretoken": token, "username": "porta", "password": "azionelab-demo"},
        headers={"Origin": stack.https},
    )
    browser.headers.update(
        {
            "X-CSRFToken": browser.cookies["csrftoken"],
            "X-Requested-With": "XMLHttpRequest",
            "Origin": stack.https,
        }
    )
    return browser


def show_page_open_loop(stack, url):
    """Anonymous visitors arriving at SHOW_RATE a second, whatever the answers, over SHOW_LANES
    keep-alive connections through nginx: latency from each request's intended send time."""
    lanes = [session() for _ in range(SHOW_LANES)]
    for browser in lanes:  # connected (TLS handshake done) before the clock starts
        browser.get(stack.https + url)

    def visit(browser, arrival):
        return browser.get(stack.https + url).status_code == 200

    return open_loop(lanes, SHOW_RATE, SECONDS, visit)


def check_in(stack, scanner, performance, code):
    """One scan at the door; True only when it let the party in (a second scan of the same
    ticket answers already_checked_in, which is no check-in)."""
    response = scanner.post(
        f"{stack.https}/admin/checkin/check-in/", json={"performance": performance, "code": code}
    )
    try:
        return response.json().get("state") == "checked_in"
    except requests.JSONDecodeError:  # an error page (a 502, a 403) is no check-in
        return False


def door_preview(stack, scanner, party):
    """One scanner previewing 100 tickets in a row: latency of each (ms)."""
    latencies = []
    for code in party["codes"][:100]:
        started = time.perf_counter()
        scanner.post(
            f"{stack.https}/admin/checkin/preview/",
            json={"performance": party["performance"], "code": code},
        )
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def door_paced(stack, scanners, party, codes):
    """The door at human pace, open loop: each scanner sends one check-in every 2 s, whether
    or not the last one was answered; latency from the intended send time."""
    nginx = NginxTimes(stack, "POST /admin/checkin/check-in/")
    run = open_loop(
        scanners,
        DOOR_PACED_RATE,
        DOOR_PACED_SECONDS,
        lambda scanner, arrival: check_in(stack, scanner, party["performance"], codes[arrival]),
    )
    return run, nginx.milliseconds()


def door_burst(stack, scanners, party, codes):
    """The 16 scanners checking parties in as fast as they are answered, closed loop: the
    door's capacity (check-ins a second) and the latency under that queue."""
    codes = list(codes)
    lock = threading.Lock()
    latencies, checked_in = [], []

    def scan(scanner):
        while True:
            with lock:
                if not codes:
                    return
                code = codes.pop()
            started = time.perf_counter()
            admitted = check_in(stack, scanner, party["performance"], code)
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                checked_in.append(admitted)

    nginx = NginxTimes(stack, "POST /admin/checkin/check-in/")
    started = time.monotonic()
    with ThreadPoolExecutor(DOOR_SCANNERS) as pool:
        for scanner in scanners:
            pool.submit(scan, scanner)
    elapsed = time.monotonic() - started
    return latencies, checked_in, elapsed, nginx.milliseconds()


def door(stack, party):
    """Preview with one scanner; the 16 scanners at human pace (open loop); then the 16 at once
    (closed loop) on other parties of the same performance.

    The scanners log in before the clock starts, as door staff do before the doors open: a
    login hashes a password (hundreds of milliseconds of CPU by design) and is not a scan.
    """
    scanners = [staff_session(stack) for _ in range(DOOR_SCANNERS)]
    previews = door_preview(stack, scanners[0], party)
    burst_codes = party["codes"][:DOOR_BURST_PARTIES]
    paced, paced_served = door_paced(stack, scanners, party, party["codes"][DOOR_BURST_PARTIES:])
    latencies, checked_in, elapsed, served = door_burst(stack, scanners, party, burst_codes)
    return {
        DOOR_PREVIEW: percentile(previews, 0.5),
        **open_loop_rows(DOOR_PACED, paced, "not checked in"),
        f"{DOOR_PACED} (p99 ms in nginx)": percentile(paced_served, 0.99),
        DOOR_BURST_RATE: checked_in.count(True) / elapsed,
        f"{DOOR_BURST} (p50 ms)": percentile(latencies, 0.5),
        f"{DOOR_BURST} (p99 ms)": percentile(latencies, 0.99),
        f"{DOOR_BURST} (p50 ms in nginx)": percentile(served, 0.5),
        f"{DOOR_BURST} (p99 ms in nginx)": percentile(served, 0.99),
        f"{DOOR_BURST} (not checked in)": checked_in.count(False),
    }


def worker_rss_mb(masters):
    """Resident memory of every gunicorn worker (the masters' children), in MB, by pid."""
    parents = {str(master.pid) for master in masters}
    sizes = {}
    for process in Path("/proc").glob("[0-9]*"):
        try:
            stat = (process / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[1] in parents:
                rss = re.search(r"VmRSS:\s+(\d+)", (process / "status").read_text())
                if rss:  # not a worker that has just exited
                    sizes[process.name] = int(rss.group(1)) / 1024
        except (OSError, IndexError):
            continue
    return sizes


# The Debian packages the benchmark runs, by the command each provides.
TOOLS = {"wrk": "wrk", "nginx": "nginx", "openssl": "openssl", "psql": "postgresql-client"}


def ensure_tools():
    """Install the packages that are missing (as root), or say which they are."""
    missing = [
        package
        for command, package in TOOLS.items()
        if not shutil.which(command) and not (command == "nginx" and os.path.exists(NGINX))
    ]
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"make bench needs: apt-get install {' '.join(missing)}")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=environment)


def summary(values):
    return statistics.median(values), min(values), max(values)


def median(results, row):
    return statistics.median(results[row])


def share(results, row, floor):
    """A scenario's median as a fraction of its floor's median, both measured in this run."""
    return median(results, row) / median(results, floor)


@dataclass
class Target:
    """A row of issue 16's table: the value checked (from this run's results, by row name),
    how it is shown, the target, and whether the value meets it."""

    scenario: str
    target: str
    value: Callable[[dict], float]
    shown: Callable[[float, dict], str]
    met: Callable[[float], bool]


TARGETS = [
    Target(
        "show page, 10 performances, uncached, one backend",
        "≥ 10 % of bare Django",
        lambda results: share(results, SHOW_UNCACHED, DJANGO_FLOOR),
        lambda ratio, results: f"{median(results, SHOW_UNCACHED):,.1f} req/s = {ratio:.1%}",
        lambda ratio: ratio >= 0.10,
    ),
    Target(
        "show page, 10 performances, micro-cached",
        "≥ 25 % of nginx static",
        lambda results: share(results, SHOW_CACHED, STATIC_FLOOR),
        lambda ratio, results: f"{median(results, SHOW_CACHED):,.0f} req/s = {ratio:.1%}",
        lambda ratio: ratio >= 0.25,
    ),
    Target(
        "show page, 10 performances, micro-cached",
        f"p99 < 50 ms at {SHOW_RATE}/s, open loop",
        lambda results: median(results, f"{SHOW_PACED} (p99 ms)"),
        lambda p99, results: f"p99 {p99:,.1f} ms",
        lambda p99: p99 < 50,
    ),
    Target(
        "show page, open loop: every visitor served",
        "0 answers not 200",
        lambda results: max(results[f"{SHOW_PACED} (not 200)"]),
        lambda failed, results: f"{failed:,.0f} (worst round)",
        lambda failed: failed == 0,
    ),
    Target(
        f"booking rush, {RUSH_CLIENTS} clients, 50 seats",
        "≥ 6 % of raw psycopg",
        lambda results: share(results, RUSH_RATE, PSYCOPG_FLOOR),
        lambda ratio, results: f"{median(results, RUSH_RATE):,.1f} confirmations/s = {ratio:.1%}",
        lambda ratio: ratio >= 0.06,
    ),
    Target(
        "booking rush",
        "p99 < 100 ms",
        lambda results: median(results, "booking rush (p99 ms)"),
        lambda p99, results: (
            f"p99 {p99:,.1f} ms (open loop {RUSH_PACED_RATE}/s, link to answer: "
            f"{median(results, f'{RUSH_PACED} (p99 ms)'):,.0f})"
        ),
        lambda p99: p99 < 100,
    ),
    Target(
        "booking rush: overbooked",
        "confirmed - seats = 0",
        lambda results: max(
            results["booking rush (confirmed - seats)"]
            + results[f"{RUSH_PACED} (confirmed - seats)"]
        ),
        lambda over, results: f"{over:,.0f} (worst round, both rushes)",
        lambda over: over == 0,
    ),
    Target(
        "booking rush: server errors",
        "0 5xx",
        lambda results: max(results["booking rush (5xx)"] + results[f"{RUSH_PACED} (5xx)"]),
        lambda errors, results: f"{errors:,.0f} (worst round, both rushes)",
        lambda errors: errors == 0,
    ),
    Target(
        "door preview, one scanner",
        "p50 < 5 ms",
        lambda results: median(results, DOOR_PREVIEW),
        lambda p50, results: f"p50 {p50:,.1f} ms",
        lambda p50: p50 < 5,
    ),
    Target(
        f"door check-in, {DOOR_SCANNERS} scanners at human pace",
        "p99 < 50 ms, open loop",
        lambda results: median(results, f"{DOOR_PACED} (p99 ms)"),
        lambda p99, results: (
            f"p99 {p99:,.1f} ms (closed loop: {median(results, DOOR_BURST_RATE):,.1f} check-ins/s)"
        ),
        lambda p99: p99 < 50,
    ),
    Target(
        "door, open loop: every scan a check-in",
        "0 not checked in",
        lambda results: max(results[f"{DOOR_PACED} (not checked in)"]),
        lambda failed, results: f"{failed:,.0f} (worst round)",
        lambda failed: failed == 0,
    ),
    Target(
        f"largest gunicorn worker after {MEMORY_REQUESTS:,} requests",
        "< 150 MB",
        lambda results: results[LARGEST_RSS][0],
        lambda rss, results: f"{rss:,.1f} MB after {results[MEMORY_MADE][0]:,} requests",
        lambda rss: rss < 150,
    ),
    Target(
        "gunicorn workers not growing",
        f"each ≤ {MEMORY_GROWTH_MB:g} MB more",
        lambda results: results[LARGEST_GROWTH][0],
        lambda growth, results: f"+{growth:,.1f} MB, {results[MEMORY_WORKERS][0]}",
        lambda growth: growth <= MEMORY_GROWTH_MB,
    ),
]


def open_loop_rows(scenario, run, failure):
    """An open-loop run's rows: latency from the intended send time, the rate answered (to
    compare with the one intended), the answers that failed, and the generator's lateness."""
    return {
        f"{scenario} (p50 ms)": run.p50,
        f"{scenario} (p99 ms)": run.p99,
        f"{scenario} (answered/s)": run.answered_per_s,
        f"{scenario} ({failure})": run.failures,
        f"{scenario} (generator lag p99 ms)": run.generator_lag_p99,
    }


def load_data(stack):
    """The data set (bench/data.py), with as many rounds and door parties as this run uses."""
    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", (BASE_DIR / "bench" / "data.py").read_text()],
        cwd=BASE_DIR,
        env={**stack.env, "BENCH_ROUNDS": str(ROUNDS), "BENCH_DOOR_PARTIES": str(DOOR_PARTIES)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.split("BENCH-DATA ", 1)[1])


def memory_check(stack, masters, url):
    """Every worker's RSS before and after at least MEMORY_REQUESTS uncached page requests
    (the cache would answer most of them), in wrk runs of 20 s until there have been enough:
    the largest worker after, and the largest growth of a worker measured both times."""
    before = worker_rss_mb(masters)
    made = 0
    while made < MEMORY_REQUESTS:
        made += wrk(url, seconds=20, headers=UNCACHED)[3]
    after = worker_rss_mb(masters)
    same = before.keys() & after.keys()
    print(
        f"{f'largest worker RSS before / after {made:,} requests (MB)':<{WIDTH}} "
        f"{max(before.values()):>10.1f} {max(after.values()):>10.1f}"
    )
    growth = max(after[pid] - before[pid] for pid in same) if same else float("inf")
    workers = f"{len(same)} of {len(after)} workers measured both times"
    print(f"{'largest growth of one worker (MB)':<{WIDTH}} {growth:>10.1f}   ({workers})")
    return {
        LARGEST_RSS: max(after.values()),
        LARGEST_GROWTH: growth,
        MEMORY_MADE: made,
        MEMORY_WORKERS: workers,
    }


def print_results(results, data):
    """Medians, spreads and ratios to the floors, one row per measurement."""
    ratio_to = {
        RUSH_RATE: PSYCOPG_FLOOR,
        SHOW_UNCACHED: DJANGO_FLOOR,
        SHOW_CACHED: STATIC_FLOOR,
        "API performances, uncached, one backend (req/s)": DJANGO_FLOOR,
        "API performances, micro-cached (req/s)": STATIC_FLOOR,
    }
    print(f"\nAzioneLab benchmark: {ROUNDS} rounds of {SECONDS} s, {os.cpu_count()} CPUs")
    print(f"{data['listed_performances']} performances listed in the API, 50 a page\n")
    print(f"{'scenario':<{WIDTH}} {'median':>10} {'min':>10} {'max':>10} {'ratio':>8}")
    for name, values in results.items():
        median_value, low, high = summary(values)
        floor = ratio_to.get(name)
        ratio = f"{share(results, name, floor):.1%}" if floor else ""
        print(f"{name:<{WIDTH}} {median_value:>10.1f} {low:>10.1f} {high:>10.1f} {ratio:>8}")


def print_generators(results):
    """Whether the open-loop generator sent its arrivals on time, in every round."""
    print()
    paced = ((SHOW_PACED, SHOW_RATE), (RUSH_PACED, RUSH_PACED_RATE), (DOOR_PACED, DOOR_PACED_RATE))
    for scenario, rate in paced:
        answered = median(results, f"{scenario} (answered/s)")
        lag = max(results[f"{scenario} (generator lag p99 ms)"])
        verdict = (
            "it kept up"
            if lag <= GENERATOR_SLACK_MS
            else "it could NOT keep up, and its lateness is in the latencies above"
        )
        print(
            f"{scenario}: {rate:g}/s intended, {answered:,.1f}/s answered (median); "
            f"generator lag p99 ≤ {lag:,.1f} ms in every round: {verdict}"
        )


def print_targets(results):
    """Issue 16's table: every target with its measured value and ✓ or ✗."""
    rows = [("target row (issue 16)", "measured (same-run medians)", "target", "met")]
    for row in TARGETS:
        value = row.value(results)
        mark = "✓" if row.met(value) else "✗"
        rows.append((row.scenario, row.shown(value, results), row.target, mark))
    widths = [max(len(cells[column]) for cells in rows) for column in range(3)]
    print()
    for scenario, measured, target, mark in rows:
        print(f"{scenario:<{widths[0]}}  {measured:<{widths[1]}}  {target:<{widths[2]}}  {mark}")


def main():
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench needs DATABASE_URL pointing to PostgreSQL")
    ensure_tools()
    results = {}
    with (
        tempfile.TemporaryDirectory(prefix="azionelab-bench-") as workdir,
        # Workers are never recycled here, so that the memory check sees the same processes.
        running_stack(
            database_url,
            workdir,
            max_requests=0,
            public_post_rate="100000r/s",
            public_post_burst=100000,
            cors_allowed_origins=(API_ORIGIN,),
        ) as stack,
    ):
        print("Loading the data set…", flush=True)
        data = load_data(stack)

        floor_port = free_port()
        floor = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "infra/gunicorn.conf.py", "website.wsgi"],
            cwd=BASE_DIR,
            env={
                **stack.env,
                "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
                "GUNICORN_BIND": f"127.0.0.1:{floor_port}",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.processes.append(floor)
        wait_for(f"http://127.0.0.1:{floor_port}/", headers=DIRECT)
        home = session().get(stack.https + "/").text
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home).group(1)
        masters = stack.processes[: len(stack.backend_ports)]
        direct = f"http://127.0.0.1:{stack.backend_ports[0]}"
        # wrk counts any answer: make sure the API's is the page a partner's script reads.
        api = session().get(stack.https + API_PERFORMANCES, headers={"Origin": API_ORIGIN})
        assert api.status_code == 200 and len(api.json()["results"]) == 50, api.text[:200]
        assert api.headers["Access-Control-Allow-Origin"] == API_ORIGIN

        def record(name, value):
            results.setdefault(name, []).append(value)

        for round_number in range(ROUNDS):
            print(f"Round {round_number + 1} of {ROUNDS}…", flush=True)
            settle(stack)
            record(STATIC_FLOOR, wrk(stack.https + stylesheet)[0])
            record(DJANGO_FLOOR, wrk(f"http://127.0.0.1:{floor_port}/", headers=DIRECT)[0])
            rush = data["rush"][round_number]
            record(
                PSYCOPG_FLOOR,
                psycopg_floor(stack.env["DATABASE_URL"], rush["performance"], 1),
            )
            for count, url in data["shows"].items():
                rps, p99, *__ = wrk(stack.https + url)
                show = f"show page, {count} performance{'' if count == '1' else 's'}"
                record(f"{show}, micro-cached (req/s)", rps)
                record(f"{show}, micro-cached (p99 ms)", p99)
            paced = show_page_open_loop(stack, data["shows"]["10"])
            for name, value in open_loop_rows(SHOW_PACED, paced, "not 200").items():
                record(name, value)
            # A session cookie makes nginx bypass its cache (and Django not mark the page).
            rps, p99, *__ = wrk(stack.https + data["shows"]["10"], headers=UNCACHED)
            record("show page, 10 performances, uncached via nginx (req/s)", rps)
            record("show page, 10 performances, uncached via nginx (p99 ms)", p99)
            settle(stack)
            record(SHOW_UNCACHED, wrk(direct + data["shows"]["10"], headers=DIRECT)[0])
            settle(stack)
            # The API's first page of performances (50 of the season's), as a partner's
            # script asks for it: through nginx, from the copy kept for its origin...
            rps, p99, *__ = wrk(stack.https + API_PERFORMANCES, headers={"Origin": API_ORIGIN})
            record("API performances, micro-cached (req/s)", rps)
            record("API performances, micro-cached (p99 ms)", p99)
            # ... and rendered every time, straight to one backend (nothing caches there).
            record(
                "API performances, uncached, one backend (req/s)",
                wrk(direct + API_PERFORMANCES, headers={**DIRECT, "Origin": API_ORIGIN})[0],
            )
            settle(stack)
            outcome = booking_rush(stack, rush)
            record(RUSH_RATE, outcome["confirmations_per_s"])
            record("booking rush (p50 ms)", outcome["p50"])
            record("booking rush (p99 ms)", outcome["p99"])
            record("booking rush (p50 ms in nginx)", outcome["nginx_p50"])
            record("booking rush (p99 ms in nginx)", outcome["nginx_p99"])
            record("booking rush (5xx)", outcome["server_errors"])
            record("booking rush (confirmed - seats)", outcome["confirmed"] - outcome["seats"])
            for name, value in booking_rush_open_loop(
                stack, data["paced_rush"][round_number]
            ).items():
                record(name, value)
            for name, value in door(stack, data["door"][round_number]).items():
                record(name, value)

        print_results(results, data)
        memory = memory_check(stack, masters, stack.https + data["shows"]["10"])
    print_generators(results)
    print_targets({**results, **{name: [value] for name, value in memory.items()}})


if __name__ == "__main__":
    main()
