"""Test utilities shared by the conformance tests: the target description, a hand-written credential,
unique names and record cleanup. All Dataverse traffic goes through the SDK; the only HTTP here is the
credential's token request, which is what a user's own credential class would send.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import requests
from azure.core.credentials import AccessToken
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

#: Lower-case hyphenated GUID, the form the SDK returns ids in.
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: A weak ETag as Dataverse sends it: `W/"<row version>"`.
WEAK_ETAG = re.compile(r'^W/"(\d+)"$')

#: Dataverse error code for "<entity> With Id = … Does Not Exist".
RECORD_NOT_FOUND = "0x80040217"

#: Dataverse error code for "Could not find a property named '…' on type '…'" in a query option.
PROPERTY_NOT_FOUND = "0x80060888"

#: The Entra ID authority a live org's tokens come from, unless DATAVERSE_AUTHORITY says otherwise.
ENTRA_AUTHORITY = "https://login.microsoftonline.com"


@dataclass(frozen=True)
class Target:
    """Where the suite runs and how a user would authenticate there."""

    #: "emulator" (spawned by the suite) or "live" (DATAVERSE_URL).
    kind: str
    #: The org URL handed to `DataverseClient`, with no `/api/data/...` suffix (the SDK appends it).
    org_url: str
    #: `https://` origin of the token service: the emulator itself, or Entra ID.
    authority: str
    tenant_id: str
    client_id: str
    client_secret: str
    #: `<authority>/<tenant>/oauth2/v2.0/token`
    token_endpoint: str
    #: The emulator's local CA (PEM), trusted through REQUESTS_CA_BUNDLE; None for a live org.
    ca_file: Optional[str] = None

    @property
    def scope(self) -> str:
        """The scope the SDK asks its credential for (client reference §2.1)."""
        return f"{self.org_url}/.default"


def live_target() -> Target:
    """The live org named by DATAVERSE_URL and the app credentials in DATAVERSE_TENANT_ID,
    DATAVERSE_CLIENT_ID and DATAVERSE_CLIENT_SECRET (DATAVERSE_AUTHORITY is optional)."""
    names = ("DATAVERSE_TENANT_ID", "DATAVERSE_CLIENT_ID", "DATAVERSE_CLIENT_SECRET")
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        raise RuntimeError(f"DATAVERSE_URL is set, so a live org is targeted, but {', '.join(missing)} is empty")
    url = urlsplit(os.environ["DATAVERSE_URL"])
    if url.scheme != "https":
        raise RuntimeError(f"DATAVERSE_URL must be https:// (the SDK refuses anything else), got {url.geturl()}")
    # Accept both the org URL and a `.../api/data/v9.x/` URL.
    path = re.sub(r"/api/data/v\d+(\.\d+)?/?$", "", url.path).rstrip("/")
    authority = os.environ.get("DATAVERSE_AUTHORITY", ENTRA_AUTHORITY).rstrip("/")
    tenant = os.environ["DATAVERSE_TENANT_ID"]
    return Target(
        kind="live",
        org_url=f"https://{url.netloc}{path}",
        authority=authority,
        tenant_id=tenant,
        client_id=os.environ["DATAVERSE_CLIENT_ID"],
        client_secret=os.environ["DATAVERSE_CLIENT_SECRET"],
        token_endpoint=f"{authority}/{tenant}/oauth2/v2.0/token",
    )


class ClientCredentialsTokenCredential:
    """A minimal `azure.core.credentials.TokenCredential`: POSTs the OAuth 2.0 client-credentials grant
    to a v2.0 token endpoint and caches the token per scope (client reference §2.2).

    The SDK calls `get_token(scope)` before every request and caches nothing itself, so the cache is the
    credential's job. TLS trust comes from REQUESTS_CA_BUNDLE, as for any requests user.
    """

    #: Refresh this many seconds before the token expires.
    REFRESH_MARGIN_S = 300

    def __init__(self, token_endpoint: str, client_id: str, client_secret: str, timeout: float = 10.0) -> None:
        self.token_endpoint = token_endpoint
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        #: Token requests actually sent, so tests can check the cache.
        self.requests_sent = 0
        self._cache: Dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def get_token(self, *scopes: str, claims: Optional[str] = None, tenant_id: Optional[str] = None,
                  enable_cae: bool = False, **kwargs: object) -> AccessToken:
        scope = " ".join(scopes)
        with self._lock:
            cached = self._cache.get(scope)
            if cached and cached.expires_on - self.REFRESH_MARGIN_S > time.time():
                return cached
            response = requests.post(
                self.token_endpoint,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": scope,
                },
                timeout=self.timeout,
            )
            self.requests_sent += 1
            response.raise_for_status()
            body = response.json()
            token = AccessToken(body["access_token"], int(time.time()) + int(body["expires_in"]))
            self._cache[scope] = token
            return token


def unique(prefix: str) -> str:
    """A name no other test (or an earlier run against a live org) uses: `<prefix>-<8 hex chars>`."""
    return f"{prefix}-{secrets.token_hex(4)}"


def etag_version(etag: Optional[str]) -> int:
    """The row version inside a weak ETag."""
    match = WEAK_ETAG.match(etag or "")
    assert match, f"not a weak ETag: {etag!r}"
    return int(match.group(1))


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.5) -> bool:
    """Polls `predicate` until it holds or `timeout_s` passed; returns its last value.

    For effects that real Dataverse applies asynchronously (BulkDelete runs as a system job).
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)


class Created:
    """Records a test created, deleted newest first through the SDK when the test ends.

    Records the test already deleted (404) are fine; other failures are reported after every delete ran,
    so a live org is left as clean as possible.
    """

    def __init__(self) -> None:
        self._records: List[Tuple[str, str]] = []

    def add(self, table: str, record_id: str) -> str:
        """Tracks `record_id` of `table` and returns it, so a create call can be wrapped inline."""
        assert isinstance(record_id, str) and GUID.match(record_id), f"not a record id: {record_id!r}"
        self._records.append((table, record_id))
        return record_id

    def add_all(self, table: str, record_ids: List[str]) -> List[str]:
        """`add` for each id of a bulk create."""
        assert isinstance(record_ids, list), f"not a list of ids: {record_ids!r}"
        return [self.add(table, record_id) for record_id in record_ids]

    def delete_all(self, client: DataverseClient) -> None:
        failures = []
        for table, record_id in reversed(self._records):
            try:
                client.records.delete(table, record_id)
            except HttpError as exc:
                if exc.status_code != 404:
                    failures.append(f"{table} {record_id}: {exc}")
        self._records = []
        assert not failures, f"cleanup: {len(failures)} delete(s) failed:\n" + "\n".join(failures)
