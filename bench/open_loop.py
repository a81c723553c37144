"""Open-loop load: requests sent at a fixed arrival rate whatever the answers, each timed from
the moment it was meant to leave, so that a request held back by a slow answer counts its wait.

Closed-loop clients (wrk, a thread that sends its next request when the last one is answered)
slow down with the server and hide its queue: the coordinated omission of wrk2's README. Neither
Debian 12 nor PyPI packages wrk2, so the benchmark schedules its own arrivals, as wrk2 does: a
fixed number n of lanes (one thread and one keep-alive connection each, as a wrk2 connection or
a door scanner), lane i sending arrivals i, i + n, i + 2n, …, arrival k due at k / rate
seconds. A lane whose previous answer is late sends late, and that lateness is part of
the latency. The generator's own lateness (a lane that was free but woke late: the two cores are
shared) is measured apart, to tell whether the generator kept up.
"""

import sys
import threading
import time
from dataclasses import dataclass

# Every lane's thread is started and waiting before the first arrival is due.
START_AFTER_SECONDS = 0.2
# How long a thread may keep the GIL while another wants it (Python's default is 5 ms): a lane
# woken for its next arrival waits at most this for the lanes parsing their answers.
SWITCH_INTERVAL_SECONDS = 0.0005
# Lateness of the generator itself, per arrival, above which it did not keep up: a tenth of
# the 50 ms latency targets.
GENERATOR_SLACK_MS = 5.0


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class OpenLoopRun:
    """What one open-loop run measured; latencies and lags in milliseconds."""

    rate: float
    seconds: float
    # From each arrival's intended send time to its answer, one per arrival.
    latencies: list
    # Arrivals whose answer was not the one expected (or that got none).
    failures: int
    # How late each arrival left although its lane was free: the generator's own delay.
    generator_lags: list
    # From the first intended send to the last answer, in seconds.
    elapsed: float

    @property
    def p50(self):
        return percentile(self.latencies, 0.5)

    @property
    def p99(self):
        return percentile(self.latencies, 0.99)

    @property
    def answered_per_s(self):
        """Answers per second: the intended rate when every answer came in its time slot."""
        return len(self.latencies) / max(self.seconds, self.elapsed)

    @property
    def generator_lag_p99(self):
        return percentile(self.generator_lags, 0.99)


def open_loop(lanes, rate, seconds, send):
    """Send `rate` requests a second for `seconds` over `lanes`; `send(lane, arrival)` makes
    request number `arrival` on that lane and returns whether the answer was the one expected.
    """
    arrivals = round(rate * seconds)
    latencies = [0.0] * arrivals
    lags = [0.0] * arrivals
    expected = [False] * arrivals
    start = time.perf_counter() + START_AFTER_SECONDS

    def run_lane(number, lane):
        free_since = start
        for arrival in range(number, arrivals, len(lanes)):
            due = start + arrival / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent = time.perf_counter()
            try:
                expected[arrival] = send(lane, arrival)
            except Exception:  # no answer (a reset, a timeout, not JSON) is a failed arrival
                expected[arrival] = False
            answered = time.perf_counter()
            latencies[arrival] = (answered - due) * 1000
            lags[arrival] = (sent - max(due, free_since)) * 1000
            free_since = answered

    threads = [
        threading.Thread(target=run_lane, args=(number, lane)) for number, lane in enumerate(lanes)
    ]
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    return OpenLoopRun(
        rate=rate,
        seconds=seconds,
        latencies=latencies,
        failures=expected.count(False),
        generator_lags=lags,
        elapsed=time.perf_counter() - start,
    )
