"""`make bench`: the production topology under load, with ratios to floors measured alongside.

Starts nginx in front of two gunicorn backends and a fresh PostgreSQL database (the deployment
test's stack), loads a fixed data set, runs each scenario BENCH_ROUNDS times and prints medians,
spreads and ratios to floors measured in the same run. Needs PostgreSQL (DATABASE_URL); run as
root, it installs the Debian packages it uses (wrk, nginx, openssl, postgresql-client) when they
are missing. Absolute numbers drift on shared machines: read the ratios.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests
import urllib3

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

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
MEMORY_REQUESTS = 10_000


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


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


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
            browser.get(f"{stack.https}/b/{token}/")
            started = time.perf_counter()
            response = browser.post(
                f"{stack.https}/booking/reservation/confirm/",
                data={"csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
                headers={"Origin": stack.https},
                allow_redirects=False,
            )
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
    with psycopg.connect(stack.env["DATABASE_URL"]) as connection:
        confirmed = connection.execute(
            "SELECT COALESCE(SUM(seats), 0) FROM booking_reservation "
            "WHERE performance_id = %s AND status = 'confirmed'",
            [rush["performance"]],
        ).fetchone()[0]
    return {
        "confirmations_per_s": len(statuses) / elapsed,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "nginx_p50": percentile(served, 0.5),
        "nginx_p99": percentile(served, 0.99),
        "server_errors": sum(status >= 500 for status in statuses),
        "confirmed": confirmed,
        "seats": rush["seats"],
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


def door(stack, party):
    """Preview with one scanner; then 16 scanners checking in at once.

    The scanners log in before the clock starts, as door staff do before the doors open: a
    login hashes a password (hundreds of milliseconds of CPU by design) and is not a scan.
    """
    codes = list(party["codes"])
    scanners = [staff_session(stack) for _ in range(DOOR_SCANNERS)]
    scanner = scanners[0]
    previews = []
    for code in codes[:100]:
        started = time.perf_counter()
        scanner.post(
            f"{stack.https}/admin/checkin/preview/",
            json={"performance": party["performance"], "code": code},
        )
        previews.append((time.perf_counter() - started) * 1000)

    lock = threading.Lock()
    check_ins = []

    def scan(browser):
        while True:
            with lock:
                if not codes:
                    return
                code = codes.pop()
            started = time.perf_counter()
            response = browser.post(
                f"{stack.https}/admin/checkin/check-in/",
                json={"performance": party["performance"], "code": code},
            )
            assert response.json()["state"] == "checked_in", response.text
            with lock:
                check_ins.append((time.perf_counter() - started) * 1000)

    nginx = NginxTimes(stack, "POST /admin/checkin/check-in/")
    with ThreadPoolExecutor(DOOR_SCANNERS) as pool:
        for browser in scanners:
            pool.submit(scan, browser)
    served = nginx.milliseconds()
    return {
        "preview p50 ms": percentile(previews, 0.5),
        "check-in p50 ms": percentile(check_ins, 0.5),
        "check-in p99 ms": percentile(check_ins, 0.99),
        "check-in p50 ms in nginx": percentile(served, 0.5),
        "check-in p99 ms in nginx": percentile(served, 0.99),
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
        data = stack.manage("shell", "-c", (BASE_DIR / "bench" / "data.py").read_text()).stdout
        data = json.loads(data.split("BENCH-DATA ", 1)[1])

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
            record("floor: nginx static file (req/s)", wrk(stack.https + stylesheet)[0])
            record(
                "floor: bare Django page on one backend (req/s)",
                wrk(f"http://127.0.0.1:{floor_port}/", headers=DIRECT)[0],
            )
            rush = data["rush"][round_number]
            record(
                "floor: raw psycopg confirmation (tx/s)",
                psycopg_floor(stack.env["DATABASE_URL"], rush["performance"], 1),
            )
            for count, url in data["shows"].items():
                rps, p99, *__ = wrk(stack.https + url)
                record(f"show page, {count} performances, micro-cached (req/s)", rps)
                record(f"show page, {count} performances, micro-cached (p99 ms)", p99)
            # A session cookie makes nginx bypass its cache (and Django not mark the page).
            rps, p99, *__ = wrk(stack.https + data["shows"]["10"], headers=UNCACHED)
            record("show page, 10 performances, uncached via nginx (req/s)", rps)
            record("show page, 10 performances, uncached via nginx (p99 ms)", p99)
            record(
                "show page, 10 performances, uncached, one backend (req/s)",
                wrk(direct + data["shows"]["10"], headers=DIRECT)[0],
            )
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
            outcome = booking_rush(stack, rush)
            record("booking rush (confirmations/s)", outcome["confirmations_per_s"])
            record("booking rush (p50 ms)", outcome["p50"])
            record("booking rush (p99 ms)", outcome["p99"])
            record("booking rush (p50 ms in nginx)", outcome["nginx_p50"])
            record("booking rush (p99 ms in nginx)", outcome["nginx_p99"])
            record("booking rush (5xx)", outcome["server_errors"])
            record("booking rush (confirmed - seats)", outcome["confirmed"] - outcome["seats"])
            for label, value in door(stack, data["door"][round_number]).items():
                record(f"door ({label})", value)

        before = worker_rss_mb(masters)
        # Requests that reach the workers (the cache would answer most of them), in runs of
        # 20 s until there have been enough.
        made = 0
        while made < MEMORY_REQUESTS:
            made += wrk(stack.https + data["shows"]["10"], seconds=20, headers=UNCACHED)[3]
        after = worker_rss_mb(masters)

    floors = {
        "static": statistics.median(results["floor: nginx static file (req/s)"]),
        "django": statistics.median(results["floor: bare Django page on one backend (req/s)"]),
        "psycopg": statistics.median(results["floor: raw psycopg confirmation (tx/s)"]),
    }
    ratio_to = {
        "booking rush (confirmations/s)": "psycopg",
        "show page, 10 performances, uncached, one backend (req/s)": "django",
        "show page, 10 performances, micro-cached (req/s)": "static",
        "API performances, uncached, one backend (req/s)": "django",
        "API performances, micro-cached (req/s)": "static",
    }
    print(f"\nAzioneLab benchmark: {ROUNDS} rounds of {SECONDS} s, {os.cpu_count()} CPUs")
    print(f"{data['listed_performances']} performances listed in the API, 50 a page\n")
    print(f"{'scenario':<58} {'median':>10} {'min':>10} {'max':>10} {'ratio':>8}")
    for name, values in results.items():
        median, low, high = summary(values)
        floor_name = ratio_to.get(name)
        ratio = f"{median / floors[floor_name]:.0%}" if floor_name else ""
        print(f"{name:<58} {median:>10.1f} {low:>10.1f} {high:>10.1f} {ratio:>8}")
    print(
        f"{f'largest worker RSS before / after {made:,} requests (MB)':<58} "
        f"{max(before.values()):>10.1f} {max(after.values()):>10.1f}"
    )
    same = before.keys() & after.keys()
    print(f"{'workers measured both times (not recycled)':<58} {len(same):>10} of {len(after)}")


if __name__ == "__main__":
    main()
