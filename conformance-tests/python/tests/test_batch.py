"""`client.batch`: one `$batch` request built with `batch.records/tables/query/dataframe` and changesets
with `$n` references (client reference §5.4). The SDK runs its metadata lookups as normal requests
before the batch is sent. Every effect is checked afterwards with ordinary (non-batch) calls.
"""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
from PowerPlatform.Dataverse import DataverseClient

from support import GUID, RECORD_NOT_FOUND, Created, Target, unique



def _names(client: DataverseClient, prefix: str) -> list[str]:
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["name"], orderby=["name"])
    return [r["name"] for r in rows]


def _track_by_prefix(client: DataverseClient, created: Created, prefix: str) -> None:
    """Tracks for cleanup whatever accounts a batch made under `prefix` (it returns no id for some)."""
    for row in client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["accountid"]):
        created.add("account", row["accountid"])


def test_batch_with_query_and_changesets_using_content_id_references(client: DataverseClient, created: Created):
    prefix = unique("conf-py-b")
    for suffix in ("q1", "q2", "q3"):
        created.add("account", client.records.create("account", {"name": f"{prefix}-{suffix}"}))

    batch = client.batch.new()
    batch.records.create("account", {"name": f"{prefix}-top"})
    batch.records.list("account", filter=f"startswith(name,'{prefix}-q')", select=["name"], orderby=["name desc"], page_size=2)
    with batch.changeset() as cs:
        ref = cs.records.create("account", {"name": f"{prefix}-cs"})
        cs.records.update("account", ref, {"telephone1": "555-0111"})
    with batch.changeset() as cs:
        gone = cs.records.create("account", {"name": f"{prefix}-gone"})
        cs.records.delete("account", gone)
    assert (ref, gone) == ("$1", "$3"), "Content-IDs are numbered across the whole batch"
    try:
        result = batch.execute()
    finally:
        _track_by_prefix(client, created, prefix)

    assert not result.has_errors, result.failed
    top, page, cs_create, cs_update, gone_create, gone_delete = result.responses
    assert top.status_code == 204 and GUID.match(top.entity_id)
    assert page.status_code == 200
    assert [r["name"] for r in page.data["value"]] == [f"{prefix}-q3", f"{prefix}-q2"]
    assert "@odata.nextLink" in page.data, "only the first page comes back inside a batch"
    assert (cs_create.status_code, cs_create.content_id) == (204, "1") and GUID.match(cs_create.entity_id)
    assert (cs_update.status_code, cs_update.content_id) == (204, "2")
    assert (gone_create.content_id, gone_delete.content_id, gone_delete.status_code) == ("3", "4", 204)
    assert {top.entity_id, cs_create.entity_id} <= set(result.entity_ids)

    record = client.records.retrieve("account", cs_create.entity_id, select=["name", "telephone1"])
    assert (record["name"], record["telephone1"]) == (f"{prefix}-cs", "555-0111")
    assert client.records.retrieve("account", gone_create.entity_id) is None
    assert _names(client, prefix) == [f"{prefix}-{s}" for s in ("cs", "q1", "q2", "q3", "top")]


def test_batch_reads_upserts_deletes_and_table_lookups(client: DataverseClient, created: Created):
    prefix = unique("conf-py-br")
    keep, drop1, drop2, drop3 = (created.add("account", client.records.create("account", {"name": f"{prefix}-{s}"}))
                                 for s in ("keep", "drop1", "drop2", "drop3"))
    number = unique("CONF-PY").upper()

    batch = client.batch.new()
    batch.records.retrieve("account", keep, select=["name"])
    with pytest.warns(DeprecationWarning):
        batch.records.get("account", keep, select=["name"])
    batch.tables.get("account")
    batch.tables.list(filter="SchemaName eq 'Contact'", select=["LogicalName", "EntitySetName"])
    batch.records.upsert("account", [{"alternate_key": {"accountnumber": number}, "record": {"name": f"{prefix}-up"}}])
    batch.records.delete("account", drop1)
    batch.records.delete("account", [drop2, drop3], use_bulk_delete=False)
    batch.dataframe.delete("account", pd.Series([str(uuid.uuid4())]), use_bulk_delete=False)
    try:
        result = batch.execute(continue_on_error=True)
    finally:
        _track_by_prefix(client, created, prefix)

    retrieved, got, table, tables, upsert, delete1, delete2, delete3, delete_missing = result.responses
    assert retrieved.status_code == 200 and retrieved.data["name"] == f"{prefix}-keep"
    assert retrieved.data["accountid"] == keep
    assert got.status_code == 200 and got.data["name"] == f"{prefix}-keep"
    assert table.status_code == 200
    [account] = table.data["value"]
    assert (account["LogicalName"], account["EntitySetName"], account["PrimaryIdAttribute"]) == ("account", "accounts", "accountid")
    assert tables.status_code == 200
    assert [(t["LogicalName"], t["EntitySetName"]) for t in tables.data["value"]] == [("contact", "contacts")]
    assert upsert.status_code == 204
    assert [d.status_code for d in (delete1, delete2, delete3)] == [204, 204, 204]
    assert (delete_missing.status_code, delete_missing.error_code) == (404, RECORD_NOT_FOUND)
    assert result.failed == [delete_missing]

    rows = client.records.list("account", filter=f"accountnumber eq '{number}'", select=["name"])
    assert [r["name"] for r in rows] == [f"{prefix}-up"]
    assert _names(client, prefix) == [f"{prefix}-keep", f"{prefix}-up"]


def test_batch_stops_at_the_first_error_unless_continue_on_error(client: DataverseClient, created: Created):
    prefix = unique("conf-py-be")

    def build():
        batch = client.batch.new()
        batch.records.update("account", str(uuid.uuid4()), {"name": f"{prefix}-ghost"})
        batch.records.create("account", {"name": f"{prefix}-after"})
        return batch

    try:
        stopped = build().execute()
    finally:
        _track_by_prefix(client, created, prefix)
    assert [(r.status_code, r.error_code) for r in stopped.responses] == [(404, RECORD_NOT_FOUND)]
    assert stopped.has_errors
    assert "Does Not Exist" in stopped.responses[0].error_message
    assert _names(client, prefix) == [], "the create after the failure never ran"

    try:
        went_on = build().execute(continue_on_error=True)
    finally:
        _track_by_prefix(client, created, prefix)
    failed, after = went_on.responses
    assert (failed.status_code, failed.error_code) == (404, RECORD_NOT_FOUND)
    assert after.status_code == 204 and GUID.match(after.entity_id)
    assert _names(client, prefix) == [f"{prefix}-after"]


def test_a_failing_changeset_rolls_back_as_a_whole(client: DataverseClient, created: Created):
    prefix = unique("conf-py-ba")
    existing = created.add("account", client.records.create("account", {"name": f"{prefix}-old", "telephone1": "1"}))
    batch = client.batch.new()
    with batch.changeset() as cs:
        cs.records.create("account", {"name": f"{prefix}-new"})
        cs.records.update("account", existing, {"telephone1": "2"})
        cs.records.update("account", str(uuid.uuid4()), {"telephone1": "3"})
    try:
        result = batch.execute()
    finally:
        _track_by_prefix(client, created, prefix)
    assert result.has_errors
    assert [(r.status_code, r.error_code) for r in result.failed] == [(404, RECORD_NOT_FOUND)]
    assert _names(client, prefix) == [f"{prefix}-old"]
    assert client.records.retrieve("account", existing, select=["telephone1"])["telephone1"] == "1"


def test_batch_response_urls_keep_the_https_origin(target: Target, client: DataverseClient, created: Created):
    prefix = unique("conf-py-bu")
    account_id = created.add("account", client.records.create("account", {"name": f"{prefix}-1"}))
    created.add("account", client.records.create("account", {"name": f"{prefix}-2"}))
    batch = client.batch.new()
    batch.records.retrieve("account", account_id, select=["name"])
    batch.records.list("account", filter=f"startswith(name,'{prefix}')", select=["name"], page_size=1)
    retrieved, page = batch.execute().responses
    base = f"{target.org_url}/api/data/v9.2/"
    assert retrieved.data["@odata.context"] == f"{base}$metadata#accounts(name)/$entity"
    assert page.data["@odata.context"] == f"{base}$metadata#accounts(name)"
    assert page.data["@odata.nextLink"].startswith(f"{base}accounts?")


def test_batch_create_with_a_list_uses_create_multiple(client: DataverseClient, created: Created):
    prefix = unique("conf-py-bcm")
    batch = client.batch.new()
    batch.records.create("account", [{"name": f"{prefix}-{i}"} for i in range(2)])
    try:
        result = batch.execute()
    finally:
        _track_by_prefix(client, created, prefix)
    [response] = result.responses
    assert response.status_code == 200 and len(response.data["Ids"]) == 2
    assert _names(client, prefix) == [f"{prefix}-0", f"{prefix}-1"]


def test_batch_dataframe_update_uses_update_multiple(client: DataverseClient, created: Created):
    # batch.dataframe.update sends UpdateMultiple even for a single row.
    prefix = unique("conf-py-bum")
    account_id = created.add("account", client.records.create("account", {"name": prefix}))
    batch = client.batch.new()
    batch.dataframe.update("account", pd.DataFrame([{"accountid": account_id, "telephone1": "555-0177"}]), id_column="accountid")
    [response] = batch.execute().responses
    assert response.status_code == 204
    assert client.records.retrieve("account", account_id, select=["telephone1"])["telephone1"] == "555-0177"


def test_batch_query_sql(client: DataverseClient, created: Created):
    prefix = unique("conf-py-bsql")
    created.add("account", client.records.create("account", {"name": prefix, "numberofemployees": 4}))
    batch = client.batch.new()
    batch.query.sql(f"SELECT name, numberofemployees FROM account WHERE name = '{prefix}'")
    [response] = batch.execute().responses
    assert response.status_code == 200
    assert [(r["name"], r["numberofemployees"]) for r in response.data["value"]] == [(prefix, 4)]
    assert all("revenue" not in r for r in response.data["value"])
