"""SDK operations the other files don't reach, so every public operation the emulator supports has a test
(conformance-tests/operations/python.json maps each operation to its tests): `batch.tables.*` (table,
column and relationship writes inside `$batch`), `tables.update_columns`, `tables.list_table_relationships`,
`records.upsert` with `UpsertItem` objects and `batch.dataframe.create`. Wire: client reference §5.2, §5.4.
"""

from __future__ import annotations

import pandas as pd
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.models.relationship import ManyToManyRelationshipMetadata
from PowerPlatform.Dataverse.models.upsert import UpsertItem

from support import GUID, Created, unique


def _ok(result) -> None:
    failed = [(r.status_code, r.error_code, r.error_message) for r in result.failed]
    assert not failed, f"batch parts failed: {failed}"


def test_batch_table_writes(client: DataverseClient):
    schema = f"conf_PyB{unique('t').split('-')[1]}"
    logical = schema.lower()
    batch = client.batch.new()
    batch.tables.create(schema, {"conf_Count": "int"}, display_name="Conformance batch table")
    _ok(batch.execute())
    try:
        assert client.tables.get(schema).logical_name == logical

        # Lookups (MetadataIds) run as ordinary requests when the batch executes; the writes ride in it.
        batch = client.batch.new()
        batch.tables.add_columns(schema, {"conf_Note": "string", "conf_Flag": "bool"})
        batch.tables.get(schema)
        batch.tables.list(filter=f"LogicalName eq '{logical}'", select=["LogicalName"])
        result = batch.execute()
        _ok(result)
        assert len(result.responses) == 4  # one per column, then the two reads
        assert result.responses[2].data["value"][0]["LogicalName"] == logical
        assert [t["LogicalName"] for t in result.responses[3].data["value"]] == [logical]
        names = {c["LogicalName"] for c in client.tables.list_columns(schema, select=["LogicalName"])}
        assert {"conf_note", "conf_flag", "conf_count"} <= names

        lookup_schema = f"account_{logical}_conf_AccountId"  # the SDK's name: <referenced>_<referencing>_<lookup>
        n_to_n = f"{logical}_account"
        batch = client.batch.new()
        batch.tables.remove_columns(schema, ["conf_Flag"])
        batch.tables.create_lookup_field(logical, "conf_AccountId", "account")
        batch.tables.create_many_to_many_relationship(ManyToManyRelationshipMetadata(
            schema_name=n_to_n, entity1_logical_name=logical, entity2_logical_name="account", intersect_entity_name=n_to_n))
        result = batch.execute()
        _ok(result)
        relationship_ids = [r.entity_id for r in result.responses[1:]]
        assert all(GUID.match(i or "") for i in relationship_ids), relationship_ids
        assert client.tables.get_column(schema, "conf_flag") is None

        lookup = client.tables.get_relationship(lookup_schema)
        assert (lookup.referenced_entity, lookup.referencing_entity) == ("account", logical)
        batch = client.batch.new()
        batch.tables.get_relationship(n_to_n)
        for relationship_id in relationship_ids:
            batch.tables.delete_relationship(relationship_id)
        result = batch.execute()
        _ok(result)
        assert result.responses[0].data["value"][0]["SchemaName"] == n_to_n
        assert client.tables.get_relationship(n_to_n) is None
    finally:
        batch = client.batch.new()
        batch.tables.delete(schema)
        _ok(batch.execute())
    assert client.tables.get(schema) is None


def test_update_columns_and_list_table_relationships(client: DataverseClient):
    schema = f"conf_PyU{unique('t').split('-')[1]}"
    client.tables.create(schema, {"conf_Note": "string", "conf_Code": "string"})
    try:
        client.tables.update_columns(schema, {"conf_note": {"max_length": 300}, "conf_code": {"max_length": 50}})
        assert client.tables.get_column(schema, "conf_note")["MaxLength"] == 300
        assert client.tables.get_column(schema, "conf_code")["MaxLength"] == 50
    finally:
        client.tables.delete(schema)
    relationships = client.tables.list_table_relationships("account", select=["SchemaName"])
    names = {r["SchemaName"] for r in relationships}
    assert "contact_customer_accounts" in names


def test_upsert_with_upsert_items(client: DataverseClient, created: Created):
    prefix = unique("conf-py-ui")
    numbers = [f"CONF-{prefix.split('-')[-1].upper()}-{i}" for i in range(2)]  # accountnumber holds 20 characters
    client.records.upsert("account", [UpsertItem(alternate_key={"accountnumber": n}, record={"name": f"{prefix}-{i}"})
                                      for i, n in enumerate(numbers)])
    client.records.upsert("account", [UpsertItem(alternate_key={"accountnumber": numbers[0]}, record={"name": f"{prefix}-0b"})])
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["name", "accountnumber"], orderby=["accountnumber"])
    rows = [(r["name"], r["accountnumber"], created.add("account", r["accountid"])) for r in rows]
    assert [(name, number) for name, number, _ in rows] == [(f"{prefix}-0b", numbers[0]), (f"{prefix}-1", numbers[1])]


def test_batch_dataframe_create(client: DataverseClient, created: Created):
    prefix = unique("conf-py-bdf")
    batch = client.batch.new()
    batch.dataframe.create("account", pd.DataFrame([{"name": f"{prefix}-{i}", "numberofemployees": i} for i in range(3)]))
    _ok(batch.execute())
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["name", "numberofemployees"], orderby=["name"])
    rows = [(r["name"], r["numberofemployees"], created.add("account", r["accountid"])) for r in rows]
    assert [(name, n) for name, n, _ in rows] == [(f"{prefix}-{i}", i) for i in range(3)]
