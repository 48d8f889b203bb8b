"""`client.tables` and the metadata helpers of `client.query` (client reference §5.2, §5.1): reads of
EntityDefinitions, Attributes, Keys and RelationshipDefinitions on system tables every org has; then the
metadata writes (tables, columns, alternate keys, relationships), each on a scratch table of its own.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import pytest
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

from support import GUID, Created, unique


def test_tables_get(client: DataverseClient):
    info = client.tables.get("Account")  # the SDK lowercases table names
    assert info is not None
    assert (info.schema_name, info.logical_name, info.entity_set_name) == ("Account", "account", "accounts")
    assert (info.primary_name_attribute, info.primary_id_attribute) == ("name", "accountid")
    assert GUID.match(info.metadata_id)
    # An unknown table is an empty `value`, which the SDK turns into None (client reference §4.1).
    assert client.tables.get("conf_nosuchtable") is None


def test_tables_list(client: DataverseClient):
    one = client.tables.list(filter="SchemaName eq 'Account'", select=["LogicalName", "SchemaName"])
    assert [(t["LogicalName"], t["SchemaName"]) for t in one] == [("account", "Account")]
    everything = client.tables.list(select=["LogicalName"])
    names = {t["LogicalName"] for t in everything}
    assert {"account", "contact"} <= names


def test_list_columns_and_get_column(client: DataverseClient):
    strings = client.tables.list_columns("account", select=["LogicalName", "AttributeType"],
                                         filter="AttributeType eq 'String'")
    assert {c["AttributeType"] for c in strings} == {"String"}
    assert {"name", "accountnumber", "telephone1"} <= {c["LogicalName"] for c in strings}

    name = client.tables.get_column("account", "name")
    assert name["LogicalName"] == "name"
    assert name["AttributeType"] == "String"
    assert name["@odata.type"].lstrip("#") == "Microsoft.Dynamics.CRM.StringAttributeMetadata"
    assert GUID.match(name["MetadataId"])
    assert client.tables.get_column("account", "conf_nosuchcolumn") is None


def test_alternate_keys_of_account(client: DataverseClient):
    # Needs the alternate key on account.accountnumber (the emulator's default org has it; see README).
    keys = client.tables.get_alternate_keys("account")
    matching = [k for k in keys if k.key_attributes == ["accountnumber"]]
    assert len(matching) == 1, keys
    assert GUID.match(matching[0].metadata_id)
    assert matching[0].status == "Active"


def test_get_relationship(client: DataverseClient):
    one_to_many = client.tables.get_relationship("contact_customer_accounts")
    assert one_to_many is not None
    assert one_to_many.relationship_type == "one_to_many"
    assert (one_to_many.referenced_entity, one_to_many.referencing_entity) == ("account", "contact")
    assert GUID.match(one_to_many.relationship_id)

    many_to_many = client.tables.get_relationship("accountleads_association")
    assert many_to_many is not None
    assert many_to_many.relationship_type == "many_to_many"
    assert {many_to_many.entity1_logical_name, many_to_many.entity2_logical_name} == {"account", "lead"}

    assert client.tables.get_relationship("conf_nosuchrelationship") is None


def test_list_relationships(client: DataverseClient):
    n_to_n = client.tables.list_relationships(
        filter="RelationshipType eq Microsoft.Dynamics.CRM.RelationshipType'ManyToManyRelationship'",
        select=["SchemaName"])
    names = {r["SchemaName"] for r in n_to_n}
    assert "accountleads_association" in names
    assert "contact_customer_accounts" not in names

    of_account = client.tables.list_table_relationships("account")
    names = {r["SchemaName"] for r in of_account}
    assert {"contact_customer_accounts", "accountleads_association"} <= names


def test_query_metadata_helpers(client: DataverseClient, created: Created):
    columns = client.query.sql_columns("account")
    by_name = {c["name"]: c for c in columns}
    assert by_name["accountid"]["is_pk"] is True
    assert by_name["name"]["is_name"] is True and by_name["name"]["type"] == "String"
    assert by_name["name"]["label"] == "Account Name"

    with pytest.warns(DeprecationWarning):
        select = client.query.odata_select("account")
    assert {"accountid", "name"} <= set(select)

    to_account = [e for e in client.query.odata_expands("contact") if e["target_table"] == "account"]
    navs = {e["nav_property"] for e in to_account}
    assert "parentcustomerid_account" in navs
    assert {e["target_entity_set"] for e in to_account} == {"accounts"}
    with pytest.warns(DeprecationWarning):
        assert client.query.odata_expand("contact", "account") in navs

    account_id = created.add("account", client.records.create("account", {"name": unique("conf-py-bind")}))
    with pytest.warns(DeprecationWarning):
        bind = client.query.odata_bind("contact", "account", account_id)
    [(key, value)] = bind.items()
    assert key.endswith("@odata.bind") and key.removesuffix("@odata.bind") in navs
    assert value == f"/accounts({account_id})"


def test_typed_columns_use_retrieve_metadata_changes(client: DataverseClient):
    typed = client.tables.list_columns("account", typed=True)
    assert "name" in {c["LogicalName"] for c in typed}
    name = client.tables.get_column("account", "name", typed=True)
    assert (name["LogicalName"], name["AttributeType"], name["MaxLength"]) == ("name", "String", 160)


# --- metadata writes ------------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_table(client: DataverseClient, columns: dict) -> Iterator[str]:
    """Creates a custom table `conf_Py<hex>` with `columns`, yields its schema name, deletes it after."""
    schema = f"conf_Py{unique('t').split('-')[1]}"
    info = client.tables.create(schema, columns, display_name=f"Conformance {schema}")
    try:
        yield info.schema_name
    finally:
        client.tables.delete(schema)


def test_tables_create_records_and_delete(client: DataverseClient):
    with scratch_table(client, {"conf_Count": "int", "conf_Price": "decimal", "conf_Done": "bool"}) as schema:
        info = client.tables.get(schema)
        logical = schema.lower()
        assert (info.logical_name, info.primary_id_attribute, info.primary_name_attribute) == (
            logical, f"{logical}id", "conf_name")
        record_id = client.records.create(schema, {"conf_Name": "one", "conf_Count": 3, "conf_Price": 1.5, "conf_Done": True})
        record = client.records.retrieve(schema, record_id, select=["conf_name", "conf_count", "conf_price", "conf_done"])
        assert (record["conf_name"], record["conf_count"], record["conf_price"], record["conf_done"]) == ("one", 3, 1.5, True)
    assert client.tables.get(schema) is None


def test_columns_add_update_remove(client: DataverseClient):
    with scratch_table(client, {}) as schema:
        client.tables.add_columns(schema, {"conf_Note": "string", "conf_Flag": "bool"})
        names = {c["LogicalName"] for c in client.tables.list_columns(schema, select=["LogicalName"])}
        assert {"conf_note", "conf_flag"} <= names
        client.tables.update_column(schema, "conf_note", {"max_length": 300, "display_name": "Note"})
        assert client.tables.get_column(schema, "conf_note")["MaxLength"] == 300
        client.tables.remove_columns(schema, ["conf_flag"])
        assert client.tables.get_column(schema, "conf_flag") is None


def test_alternate_key_create_get_delete(client: DataverseClient):
    with scratch_table(client, {"conf_Code": "string"}) as schema:
        key = client.tables.create_alternate_key(schema, "conf_CodeKey", ["conf_code"])
        assert GUID.match(key.metadata_id)
        keys = client.tables.get_alternate_keys(schema)
        assert [k.key_attributes for k in keys if k.schema_name == "conf_CodeKey"] == [["conf_code"]]
        client.tables.delete_alternate_key(schema, key.metadata_id)
        assert [k for k in client.tables.get_alternate_keys(schema) if k.schema_name == "conf_CodeKey"] == []


def test_relationships_create_get_delete(client: DataverseClient):
    with scratch_table(client, {}) as schema:
        prefix = schema.lower()
        lookup = client.tables.create_lookup_field(schema, "conf_AccountId", "account")
        assert GUID.match(lookup.relationship_id)
        got = client.tables.get_relationship(lookup.relationship_schema_name)
        assert (got.referenced_entity, got.referencing_entity) == ("account", prefix)

        n_to_n = client.tables.create_many_to_many_relationship(
            _many_to_many(f"{prefix}_account", schema, "account"))
        assert GUID.match(n_to_n.relationship_id)
        client.tables.delete_relationship(n_to_n.relationship_id)
        client.tables.delete_relationship(lookup.relationship_id)
        assert client.tables.get_relationship(lookup.relationship_schema_name) is None


def _many_to_many(schema_name: str, entity1: str, entity2: str):
    from PowerPlatform.Dataverse.models.relationship import ManyToManyRelationshipMetadata

    return ManyToManyRelationshipMetadata(
        schema_name=schema_name, entity1_logical_name=entity1.lower(), entity2_logical_name=entity2,
        intersect_entity_name=schema_name)


def test_files_upload_small_and_chunked(client: DataverseClient, tmp_path):
    with scratch_table(client, {"conf_Document": "file"}) as schema:
        record_id = client.records.create(schema, {"conf_Name": "with a file"})
        small = tmp_path / "hello.txt"
        small.write_bytes(b"hello from the conformance suite")
        client.files.upload(schema, record_id, "conf_Document", str(small))
        big = tmp_path / "blob.bin"
        big.write_bytes(bytes(range(256)) * 40)
        client.files.upload(schema, record_id, "conf_Document", str(big), mode="chunk", if_none_match=False)
        record = client.records.retrieve(schema, record_id, select=["conf_document_name"])
        assert record["conf_document_name"] == "blob.bin"
