"""Service protection as the SDK sees it: a 429 with `Retry-After`, injected through the emulator's admin API
(`POST /_emulator/faults {"throttleNext": …}`, README "Admin API").

The SDK surfaces a 429 as `HttpError(status_code=429, is_transient=True, details.retry_after=<Retry-After>)` and does
not retry it itself (client reference §3.3, observed), so the caller's retry loop waits `retry_after` seconds and
tries again, as Microsoft's service-protection guidance asks. Emulator only: a live org can't be told to throttle.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

import pytest
import requests
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

from support import GUID, Created, Target, unique

T = TypeVar("T")

#: Dataverse's "Number of requests exceeded the limit" service-protection code.
REQUESTS_THROTTLED = "0x80072322"


def retrying(call: Callable[[], T], seen: list[HttpError], attempts: int = 3) -> T:
    """Runs `call`, retrying transient errors after the server's `Retry-After`; records each error in `seen`."""
    for attempt in range(attempts):
        try:
            return call()
        except HttpError as e:
            if not e.is_transient or attempt == attempts - 1:
                raise
            seen.append(e)
            time.sleep(e.details.get("retry_after") or 1)
    raise AssertionError("unreachable")


@pytest.fixture
def admin(target: Target):
    if target.kind != "emulator":
        pytest.skip("faults are injected through the emulator's admin API")
    session = requests.Session()
    session.trust_env = False
    session.verify = target.ca_file
    yield session
    session.delete(f"{target.org_url}/_emulator/faults").raise_for_status()
    session.close()


def test_a_throttled_create_is_retried_after_retry_after(client: DataverseClient, target: Target, created: Created, admin):
    # Warm the SDK's table metadata first, so the throttled request is the create itself.
    created.add("account", client.records.create("account", {"name": unique("conf-py-429-warm")}))
    admin.post(f"{target.org_url}/_emulator/faults", json={"throttleNext": {"count": 1, "retryAfter": 1}}).raise_for_status()

    seen: list[HttpError] = []
    started = time.monotonic()
    account_id = created.add("account", retrying(lambda: client.records.create("account", {"name": unique("conf-py-429")}), seen))
    assert GUID.match(account_id)
    assert time.monotonic() - started >= 1.0, "the retry waited Retry-After"

    assert len(seen) == 1
    error = seen[0]
    assert error.status_code == 429
    assert error.is_transient
    assert error.details["retry_after"] == 1
    assert error.details["service_error_code"] == REQUESTS_THROTTLED
    assert "Number of requests exceeded the limit of 6000 over time window of 300 seconds." in str(error)

    # The journal saw the 429 and then the successful retry.
    journal = admin.get(f"{target.org_url}/_emulator/journal", params={"method": "POST", "path": "accounts", "limit": 2}).json()
    assert [(e["status"], e["fault"]) for e in journal["entries"]] == [(429, "throttle"), (204, None)]
    verify = admin.post(f"{target.org_url}/_emulator/journal/verify", json={"method": "POST", "path": "accounts", "status": 429, "count": 1})
    assert verify.status_code == 200 and verify.json()["ok"], verify.text
