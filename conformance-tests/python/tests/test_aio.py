"""The SDK's AsyncDataverseClient (the `[async]` extra: aiohttp, and azure-identity's aio credential):
the same emulator through the async transport.

aiohttp builds its default TLS context when it is imported, so the emulator's CA must be in
SSL_CERT_FILE before the process starts, as it would be for a user's program; the session fixture
only sets it later. The scenario therefore runs in a child Python process started with that
environment, and reports what it saw as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from support import ENTRA_AUTHORITY, Created, Target, unique

SCENARIO = textwrap.dedent(
    """
    import asyncio, json, os, sys
    from azure.identity.aio import ClientSecretCredential
    from PowerPlatform.Dataverse.aio import AsyncDataverseClient

    t = json.loads(os.environ["CONF_TARGET"])
    prefix = os.environ["CONF_PREFIX"]

    async def run():
        credential = ClientSecretCredential(t["tenant_id"], t["client_id"], t["client_secret"],
                                            authority=t["authority"], disable_instance_discovery=t["disable_discovery"])
        async with credential, AsyncDataverseClient(t["org_url"], credential) as client:
            first, second = await asyncio.gather(
                client.records.create("account", {"name": prefix + "-a", "numberofemployees": 1}),
                client.records.create("account", {"name": prefix + "-b", "numberofemployees": 2}),
            )
            read = await client.records.retrieve("account", first, select=["name", "numberofemployees"])
            await client.records.update("account", second, {"numberofemployees": 20})
            rows = await client.query.sql(
                "SELECT name, numberofemployees FROM account WHERE name LIKE '" + prefix + "%' ORDER BY name")
            await client.records.delete("account", first)
            gone = await client.records.retrieve("account", first)
            return {"first": first, "second": second, "read": [read["name"], read["numberofemployees"]],
                    "rows": [[r["name"], r["numberofemployees"]] for r in rows], "gone": gone is None}

    json.dump(asyncio.run(run()), sys.stdout)
    """
)


def test_async_client_creates_concurrently_reads_updates_queries_and_deletes(target: Target, created: Created):
    prefix = unique("conf-py-aio")
    env = dict(os.environ)
    env["CONF_PREFIX"] = prefix
    env["CONF_TARGET"] = json.dumps({
        "tenant_id": target.tenant_id, "client_id": target.client_id, "client_secret": target.client_secret,
        "authority": target.authority, "org_url": target.org_url, "disable_discovery": target.authority != ENTRA_AUTHORITY,
    })
    if target.ca_file:
        env["SSL_CERT_FILE"] = target.ca_file
    done = subprocess.run([sys.executable, "-c", SCENARIO], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the async scenario failed:\n{done.stderr[-4000:]}"
    seen = json.loads(done.stdout)
    created.add("account", seen["second"])
    assert seen["first"] != seen["second"]
    assert seen["read"] == [f"{prefix}-a", 1]
    assert seen["rows"] == [[f"{prefix}-a", 1], [f"{prefix}-b", 20]]
    assert seen["gone"] is True
