"""Serve the fake Stripe API (ledger/tests/fixtures/stripe/fake.py) in a process of its own.

`python -m tests.cluster.stripe_server PORT [WEBHOOK_URL WEBHOOK_SECRET]` serves one FakeStripe,
with a thread per request, on 127.0.0.1:PORT until killed; with a webhook URL and secret it POSTs
its events there, signed (the browser journey of tests/browser/test_stripe_journey.py). Two paths of this runner's own (not Stripe's, not the fake's)
let the cluster driver act as Stripe's dashboard and read the fake's state:

- `POST /__cluster__/onboard/<acct>`: the owner finished onboarding at Stripe;
- `GET /__cluster__/state`: every object, and per PaymentIntent the captures and refunds the
  fake carried out (an idempotent replay, answered from the stored first answer, is not counted),
  the events it sent and their deliveries, and any answer of the wrong shape.
"""

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIServer, make_server

from barnraise.ledger.tests.fixtures.stripe.fake import FakeStripe, _QuietHandler


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class ClusterStripe:
    """The fake, plus the counts a double capture or refund would show."""

    def __init__(self, webhook_url: str = "", webhook_secret: str = "") -> None:
        self.fake = FakeStripe(webhook_url=webhook_url, webhook_secret=webhook_secret)
        self.executed: Counter[tuple[str, str]] = Counter()  # (operation, PaymentIntent or charge id)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        if path.startswith("/__cluster__/"):
            return self._control(environ["REQUEST_METHOD"], path, start_response)
        answer: dict[str, Any] = {}

        def recording(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            answer["status"] = int(status.split()[0])
            answer["replayed"] = any(name == "Idempotent-Replayed" for name, _ in headers)
            return start_response(status, headers, *rest)

        body = self.fake(environ, recording)
        if environ["REQUEST_METHOD"] == "POST" and answer["status"] == 200 and not answer["replayed"]:
            parts = path.strip("/").split("/")
            if len(parts) == 4 and parts[1] == "payment_intents" and parts[3] in ("capture", "cancel"):
                self.executed[(parts[3], parts[2])] += 1
            elif parts[1:] == ["refunds"]:
                refund = json.loads(b"".join(body))
                self.executed[("refund", str(refund.get("payment_intent") or refund.get("charge")))] += 1
        return body

    def _control(self, method: str, path: str, start_response: Callable[..., Any]) -> list[bytes]:
        parts = path.strip("/").split("/")
        status, data = "404 Not Found", {"error": "unknown control path"}
        with self.fake._lock:
            if method == "POST" and len(parts) == 3 and parts[1] == "onboard":
                if parts[2] in self.fake.objects:
                    self.fake.complete_onboarding(parts[2])
                    status, data = "200 OK", {"onboarded": parts[2]}
            elif method == "GET" and parts[1:] == ["state"]:
                status = "200 OK"
                data = {
                    "objects": self.fake.objects,
                    "executed": [[op, obj, n] for (op, obj), n in sorted(self.executed.items())],
                    "requests": len(self.fake.requests),
                    "events": [[e["id"], e["type"]] for e in self.fake.events],
                    "deliveries": [list(d) for d in self.fake.deliveries],
                    "shape_failures": list(self.fake.shape_failures),
                }
            payload = json.dumps(data).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [payload]


def main(port: int, webhook_url: str = "", webhook_secret: str = "") -> None:
    app = ClusterStripe(webhook_url, webhook_secret)
    server = make_server("127.0.0.1", port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    app.fake.base = f"http://127.0.0.1:{port}"
    print(f"fake Stripe serving on {app.fake.base}", flush=True)
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    main(int(sys.argv[1]), *sys.argv[2:4])
