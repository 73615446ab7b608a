"""The cluster test's load: locust users walking a marketplace journey through the public API.

Each user is a pair of seeded members (verified emails; tokens from POST /api/v1/auth/token):
a provider who lists a thing with a photo (read back from the media bucket on the S3 store,
where its URL points), and a customer who searches, buys it with a card
(Stripe's test card, at the fake Stripe), writes to the provider, and once the provider shipped,
confirms receipt (completion: escrow is released and the settlement timer scheduled) and reviews.
One journey in six ends with the provider cancelling after payment instead (a full refund).

Every request is written to CLUSTER_REQUEST_LOG (one JSON line: start time, step, status, ms;
status 0 is a dropped connection or a timeout), every deal and listing the API said it created
to CLUSTER_TOLD. A POST that got no answer or a 5xx is retried with the same Idempotency-Key,
as a client should, so a retry never acts twice. Run by tests/cluster/run.py; not by pytest.
"""

import itertools
import json
import os
import random
import time
import uuid
from typing import Any

from locust import HttpUser, between, events, task

WORLD = json.loads(open(os.environ["CLUSTER_WORLD"]).read())  # noqa: SIM115 - read once at import
REQUEST_LOG = open(os.environ["CLUSTER_REQUEST_LOG"], "a", buffering=1)  # noqa: SIM115 - for the run
TOLD = open(os.environ["CLUSTER_TOLD"], "a", buffering=1)  # noqa: SIM115 - for the run
PAIRS = itertools.count()
RETRY_FOR_SECONDS = 60.0
WORDS = ("lamp", "chair", "kettle", "bike", "table", "radio", "desk", "mirror")


PHOTO = open(os.environ["CLUSTER_PHOTO"], "rb").read()  # noqa: SIM115 - a small JPEG the driver made
MEDIA_URL = os.environ["CLUSTER_MEDIA_URL"]  # the media bucket on moto's S3 server


@events.request.add_listener
def _log(request_type: str, name: str, response_time: float, response: Any, exception: Any, **_: Any) -> None:
    status = getattr(response, "status_code", 0) or 0
    started = time.time() - response_time / 1000
    REQUEST_LOG.write(
        json.dumps({"t": round(started, 3), "step": name, "status": status, "ms": round(response_time, 1)})
        + "\n"
    )


class Journey(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        n = next(PAIRS)
        providers, customers = WORLD["providers"], WORLD["customers"]
        self.provider = self._login(providers[n % len(providers)])
        self.customer = self._login(customers[n % len(customers)])

    def _login(self, email: str) -> dict[str, str]:
        body = {"email": email, "password": WORLD["password"], "name": "cluster"}
        answer = self._send("POST", "/api/v1/auth/token", "login", json=body)
        return {"Authorization": f"Bearer {answer['token']}"}

    def _send(self, method: str, path: str, step: str, *, ok: tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        """One call, retried (same Idempotency-Key) while it gets no answer, a 5xx or a 429."""
        headers = dict(kw.pop("headers", {}))
        if method == "POST" and not path.startswith("/api/v1/auth/"):
            headers["Idempotency-Key"] = str(uuid.uuid4())
        give_up = time.monotonic() + RETRY_FOR_SECONDS
        while True:
            response = self.client.request(method, path, name=step, headers=headers, **kw)
            status = response.status_code or 0
            if status in ok:
                return response.json()
            busy = status == 409 and '"idempotency_in_progress"' in response.text
            retry = status == 0 or status >= 500 or status == 429 or busy
            if not retry or time.monotonic() > give_up:
                raise RuntimeError(f"{step}: {method} {path} answered {status}: {response.text[:300]}")
            time.sleep(1.0 if status != 429 else 3.0)

    def _fetch_photo(self, url: str) -> None:
        """The uploaded photo, read back from where its URL points: the media bucket (no app
        process serves media), as a browser would, without credentials."""
        if not url.startswith(MEDIA_URL):
            raise RuntimeError(f"photo_fetch: the photo's URL {url} is not in the media bucket {MEDIA_URL}")
        response = self.client.get(url, name="photo_fetch")
        if response.status_code != 200 or response.content[:3] != b"\xff\xd8\xff":
            raise RuntimeError(f"photo_fetch: {url} answered {response.status_code}, not a JPEG")

    def _step(self, actor: dict[str, str], tx: str, name: str, step: str, **params: Any) -> Any:
        return self._send(
            "POST",
            f"/api/v1/transactions/{tx}/transitions",
            step,
            headers=actor,
            json={"name": name, "params": params},
        )

    @task
    def journey(self) -> None:
        self._send("GET", f"/api/v1/listings?q={random.choice(WORDS)}", "search", headers=self.customer)
        price = random.randint(5, 80) * 100
        listing = self._send(
            "POST",
            "/api/v1/listings",
            "list",
            headers=self.provider,
            json={
                "kind": "sale",
                "category": WORLD["category"],
                "title": f"Used {random.choice(WORDS)}",
                "description": "Listed by the cluster test.",
                "unit": "item",
                "stock": 1,
                "price": {"amount_minor": price, "currency": WORLD["currency"]},
                "location": {"lat": 50.85 + random.random() / 10, "lng": 4.35 + random.random() / 10},
            },
        )
        TOLD.write(f"listing {listing['id']}\n")
        files = {"file": ("photo.jpg", PHOTO, "image/jpeg")}
        photo = self._send(
            "POST", f"/api/v1/listings/{listing['id']}/photos", "photo", headers=self.provider, files=files
        )
        self._fetch_photo(photo["url"])
        self._send("GET", f"/api/v1/listings/{listing['id']}", "view", headers=self.customer)
        deal = self._send(
            "POST",
            "/api/v1/transactions",
            "book_and_pay",
            headers=self.customer,
            json={"listing_id": listing["id"], "payment_method": "pm_card_visa"},
        )
        tx = deal["id"]
        TOLD.write(f"deal {tx}\n")
        self._step(self.provider, tx, "accept", "accept")
        # The capture is the worker's: wait until the money is in escrow.
        deadline = time.monotonic() + 120
        state = ""
        while time.monotonic() < deadline:
            state = self._send("GET", f"/api/v1/transactions/{tx}", "deal", headers=self.customer)["state"]
            if state != "payment_pending":
                break
            time.sleep(1.0)
        if state != "accepted":
            raise RuntimeError(f"deal {tx} is {state} after the capture")
        self._send(
            "POST",
            f"/api/v1/transactions/{tx}/messages",
            "message",
            headers=self.customer,
            json={"body": "Thanks, when can you send it?"},
        )
        if random.random() < 1 / 6:
            self._step(self.provider, tx, "cancel_by_provider", "cancel", reason="Sold elsewhere, sorry.")
            return
        self._step(self.provider, tx, "mark_shipped", "ship", tracking="TRACK-1")
        self._step(self.customer, tx, "confirm_receipt", "complete")
        self._send(
            "POST",
            f"/api/v1/transactions/{tx}/reviews",
            "review",
            headers=self.customer,
            json={"rating": random.randint(3, 5), "text": "As described."},
        )
