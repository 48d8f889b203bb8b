"""Session fixtures for the PowerPlatform-Dataverse-Client 1.1.0 conformance suite: one test, two targets.

By default a fresh `dataverse-emulator` is spawned, as a user would run it in front of the SDK:
`serve --host 127.0.0.1 --port 0 --tls --state-dir <tmp> --auth strict`. The SDK insists on an
`https://` base URL and azure-identity on an `https://` authority (client reference §2.1, §2.3), so the
emulator serves TLS with its own local CA and every Web API request needs a real token from its token
endpoint. With DATAVERSE_URL set the same tests run against that live org and nothing is spawned.

The fixture reads the lines the emulator prints at start (README "serve flags"):

    TLS CA certificate (trust it, e.g. REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS): <path>
    Token endpoint: https://127.0.0.1:<port>/<tenant>/oauth2/v2.0/token (auth: strict)
      app '<name>': client id <id>, secret <secret>
    Web API: https://127.0.0.1:<port>/api/data/v9.2/
    Ready. Press Ctrl-C to stop.
"""

from __future__ import annotations

import collections
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import urlsplit

import pytest
from azure.identity import ClientSecretCredential
from PowerPlatform.Dataverse import DataverseClient

from support import ENTRA_AUTHORITY, Created, Target, live_target

#: `<repo>/target/debug/dataverse-emulator`; this file lives in `<repo>/conformance-tests/python/`.
DEFAULT_EMULATOR_BIN = Path(__file__).resolve().parents[2] / "target" / "debug" / "dataverse-emulator"

#: How long the emulator gets to print its `Web API:` and `Ready` lines.
STARTUP_TIMEOUT_S = 15.0

#: How long the teardown waits after SIGTERM before it escalates to SIGKILL and fails.
SHUTDOWN_TIMEOUT_S = 5.0

#: Keep only the tail of the emulator's stderr (its log) for error messages.
STDERR_TAIL_LINES = 200

#: The default org's app registration (README "Using it"), used if the app line changes shape.
DEFAULT_CLIENT_ID = "5b3d8c1e-2f4a-4e6b-9c7d-0000000a0001"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"

CA_LINE = re.compile(r"^TLS CA certificate.*: (\S+)\s*$")
TOKEN_LINE = re.compile(r"^Token endpoint: (https?://\S+)(?: \(auth: (\w+)\))?")
APP_LINE = re.compile(r"^\s*app '.*': client id (\S+), secret (\S+)\s*$")
WEB_API_LINE = re.compile(r"^Web API: (https?://\S+)")

#: requests sends everything through these when set, and 127.0.0.1 traffic must reach the emulator.
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


def pytest_configure(config: pytest.Config) -> None:
    """The xfail marks describe the emulator. Against a live org every test must simply pass, so they are
    ignored there, as with `--runxfail`."""
    if os.environ.get("DATAVERSE_URL"):
        config.option.runxfail = True


class _Emulator:
    """A spawned `dataverse-emulator serve` process whose stdout and stderr are drained by threads.

    Both pipes are read for the whole life of the process: a full pipe would block the emulator.
    """

    def __init__(self, bin_path: str, state_dir: str) -> None:
        self.args = [
            bin_path, "serve", "--host", "127.0.0.1", "--port", "0",
            "--tls", "--state-dir", state_dir, "--auth", "strict",
        ]
        env = dict(os.environ, NO_COLOR="1")
        spawn_error: Optional[OSError] = None
        try:
            self.proc = subprocess.Popen(
                self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, encoding="utf-8", errors="replace", env=env,
            )
        except OSError as exc:
            spawn_error = exc
        if spawn_error is not None:  # outside the except block, so the failure isn't a chained traceback
            pytest.fail(self._describe(f"could not spawn it ({spawn_error})", ""), pytrace=False)
        self.stdout_lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self.stdout_seen: list[str] = []
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        echo = bool(os.environ.get("DATAVERSE_EMULATOR_LOG"))
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, args=(echo,), daemon=True).start()

    def _pump_stdout(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.stdout_lines.put(line.rstrip("\n"))
        self.stdout_lines.put(None)

    def _pump_stderr(self, echo: bool) -> None:
        for line in self.proc.stderr:  # type: ignore[union-attr]
            self.stderr_tail.append(line)
            if echo:
                sys.stderr.write(line)

    def _describe(self, why: str, stdout: str) -> str:
        stderr = "".join(getattr(self, "stderr_tail", ()))
        return (
            f"dataverse-emulator did not become ready: {why}\n"
            f"  command: {' '.join(self.args)}\n"
            "  (set DATAVERSE_EMULATOR_BIN, or build it with `cargo build -p dataverse-emulator`)\n"
            f"--- stdout ---\n{stdout or '(empty)'}\n--- stderr ---\n{stderr or '(empty)'}"
        )

    def wait_ready(self) -> Target:
        """Reads stdout until `Web API:` and then `Ready`; fails (and kills it) after STARTUP_TIMEOUT_S."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        ca_file = token_endpoint = web_api = auth_mode = None
        client_id = client_secret = None
        while True:
            remaining = deadline - time.monotonic()
            line, timed_out = None, remaining <= 0
            if not timed_out:
                try:
                    line = self.stdout_lines.get(timeout=remaining)  # None: stdout closed
                except queue.Empty:
                    timed_out = True
            if line is None:
                if timed_out:
                    why = f"no `Web API: …` + `Ready` lines within {STARTUP_TIMEOUT_S:.0f} s"
                else:
                    try:
                        why = f"it exited before it was ready (exit code {self.proc.wait(timeout=2)})"
                    except subprocess.TimeoutExpired:
                        why = "it closed its stdout before it was ready"
                self._kill()
                time.sleep(0.2)  # let the stderr thread drain what the process said last
                pytest.fail(self._describe(why, "\n".join(self.stdout_seen)), pytrace=False)
            self.stdout_seen.append(line)
            if m := CA_LINE.match(line):
                ca_file = m.group(1)
            elif m := TOKEN_LINE.match(line):
                token_endpoint, auth_mode = m.group(1), m.group(2)
            elif (m := APP_LINE.match(line)) and client_id is None:
                client_id, client_secret = m.group(1), m.group(2)
            elif m := WEB_API_LINE.match(line):
                web_api = m.group(1)
            elif web_api and line.startswith("Ready"):
                break
        missing = [n for n, v in (("TLS CA certificate", ca_file), ("Token endpoint", token_endpoint)) if not v]
        if missing or auth_mode not in (None, "strict") or not web_api.startswith("https://"):
            self._kill()
            pytest.fail(self._describe(
                f"unexpected start-up lines (missing {missing}, auth {auth_mode!r}, Web API {web_api!r}); "
                "the suite needs --tls and --auth strict", "\n".join(self.stdout_seen)), pytrace=False)
        # Keep draining stdout after Ready, or a chatty emulator would block on a full pipe.
        threading.Thread(target=self._drain_queue, daemon=True).start()
        web = urlsplit(web_api)
        if not web.path.rstrip("/").endswith("/api/data/v9.2"):
            self._kill()
            pytest.fail(f"the SDK hard-codes /api/data/v9.2, but the emulator printed {web_api}", pytrace=False)
        token = urlsplit(token_endpoint)
        return Target(
            kind="emulator",
            # The SDK appends /api/data/v9.2 itself and uses `<org_url>/.default` as the token scope.
            org_url=f"{web.scheme}://{web.netloc}{web.path.rstrip('/')[: -len('/api/data/v9.2')]}",
            authority=f"{token.scheme}://{token.netloc}",
            tenant_id=token.path.strip("/").split("/")[0],
            client_id=client_id or DEFAULT_CLIENT_ID,
            client_secret=client_secret or DEFAULT_CLIENT_SECRET,
            token_endpoint=token_endpoint,
            ca_file=ca_file,
        )

    def _drain_queue(self) -> None:
        while self.stdout_lines.get() is not None:
            pass

    def _kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM and wait; fails if the emulator died during the tests or ignored SIGTERM."""
        if (code := self.proc.poll()) is not None:
            raise RuntimeError(
                f"dataverse-emulator died during the tests (exit code {code})\n"
                f"--- stderr ---\n{''.join(self.stderr_tail)}"
            )
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._kill()
            raise RuntimeError(f"dataverse-emulator ignored SIGTERM for {SHUTDOWN_TIMEOUT_S:.0f} s and was killed")
        if code not in (0, -signal.SIGTERM):
            raise RuntimeError(
                f"dataverse-emulator exited badly on SIGTERM (exit code {code})\n"
                f"--- stderr ---\n{''.join(self.stderr_tail)}"
            )


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    """The org the suite runs against: a fresh emulator (default) or the live org in DATAVERSE_URL."""
    if os.environ.get("DATAVERSE_URL"):
        yield live_target()
        return

    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
    bin_path = os.environ.get("DATAVERSE_EMULATOR_BIN") or str(DEFAULT_EMULATOR_BIN)
    state_dir = tempfile.mkdtemp(prefix="dataverse-emulator-state-")
    saved = {name: os.environ.get(name) for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    emulator: Optional[_Emulator] = None
    try:
        emulator = _Emulator(bin_path, state_dir)
        found = emulator.wait_ready()  # on failure the process is already gone
        # requests (the SDK's HTTP and azure-core's default transport) reads REQUESTS_CA_BUNDLE;
        # SSL_CERT_FILE is what Python's ssl module (and aiohttp) read. SSL_CERT_FILE alone is not
        # enough for requests (client reference §2.2).
        os.environ["REQUESTS_CA_BUNDLE"] = found.ca_file
        os.environ["SSL_CERT_FILE"] = found.ca_file
        try:
            yield found
        finally:
            emulator.stop()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def credential(target: Target) -> ClientSecretCredential:
    """azure-identity's ClientSecretCredential, pointed at the target's authority (client reference §2.3).

    For any authority but Entra ID's own, instance discovery would call login.microsoftonline.com to
    validate it (offline, that fails); no environment variable turns it off, so it is a constructor argument.
    """
    return ClientSecretCredential(
        target.tenant_id,
        target.client_id,
        target.client_secret,
        authority=target.authority,
        disable_instance_discovery=target.authority != ENTRA_AUTHORITY,
    )


@pytest.fixture(scope="session")
def client(target: Target, credential: ClientSecretCredential) -> Iterator[DataverseClient]:
    """The SDK client most tests share, authenticated with azure-identity."""
    dv = DataverseClient(target.org_url, credential)
    yield dv
    dv.close()


@pytest.fixture
def created(client: DataverseClient) -> Iterator[Created]:
    """Records a test creates, deleted through the SDK when the test ends (even when it fails)."""
    tracker = Created()
    yield tracker
    tracker.delete_all(client)
