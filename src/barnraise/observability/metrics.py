"""The metrics Barnraise counts as it runs (prometheus-client), and what times them.

They are counted only where METRICS_TOKEN is set (otherwise nothing reads them). Under
`barnraise serve` and `worker` each process writes its values to files in its own directory
(prometheus-client's multiprocess mode, `multiprocess.py`), which `/metrics` adds up; in a
single process (tests, `manage runserver`) they stay in memory. What is read from the database
or the queue at scrape time is in `collector.py`.
"""

import time
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from prometheus_client import Counter, Histogram

from barnraise.db import StatementTimer

# Seconds: from a cached page (a few ms) to a slow upload or report (10 s).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUESTS = Counter(
    "barnraise_http_requests",
    "Requests answered, by method, route (the URL pattern, not the path) and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "barnraise_http_request_duration_seconds",
    "Time to answer a request, by method and route.",
    ["method", "route"],
    buckets=REQUEST_BUCKETS,
)
DB_QUERY_DURATION = Histogram(
    "barnraise_db_query_duration_seconds",
    "Time of one database statement: the ORM's (orm) or hand-written SQL (direct).",
    ["kind"],
    buckets=QUERY_BUCKETS,
)
TASK_DURATION = Histogram(
    "barnraise_task_duration_seconds",
    "Time a task ran in the worker, by task and outcome (complete, error, retrying, …).",
    ["task", "outcome"],
    buckets=TASK_BUCKETS,
)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


def observe_task(task: str, outcome: str, seconds: float) -> None:
    TASK_DURATION.labels(task, outcome).observe(seconds)


def _observe_statement(kind: str, seconds: float) -> None:
    DB_QUERY_DURATION.labels(kind).observe(seconds)


TIMER = StatementTimer(_observe_statement)


def time_statements(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On each new database connection: time its statements (connection_created)."""
    if not any(isinstance(wrapper, StatementTimer) for wrapper in connection.execute_wrappers):
        connection.execute_wrappers.append(TIMER)


def monotonic() -> float:
    return time.perf_counter()
