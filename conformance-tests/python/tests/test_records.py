"""`client.records`: create, retrieve, get, update, delete, upsert, lookups and picklist labels
(client reference §5.1), plus the bulk forms the SDK sends as CreateMultiple, UpdateMultiple,
UpsertMultiple and BulkDelete. Every test creates its own uniquely named records and deletes them.
"""

from __future__ import annotations

import uuid

import pytest
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError, MetadataError

from support import GUID, RECORD_NOT_FOUND, Created, etag_version, unique, wait_until

#: Annotation the SDK asks for to get choice labels and formatted numbers.
FORMATTED = "OData.Community.Display.V1.FormattedValue"


def names_starting_with(client: DataverseClient, prefix: str) -> list[str]:
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["name"], orderby=["name"])
    return [r["name"] for r in rows]


def test_create_retrieve_update_delete(client: DataverseClient, created: Created):
    name = unique("conf-py-crud")
    account_id = created.add("account", client.records.create(
        "account", {"Name": name, "revenue": 5000, "numberofemployees": 12, "telephone1": "555-0100"}))
    assert GUID.match(account_id)

    record = client.records.retrieve("account", account_id, select=["name", "revenue", "numberofemployees", "telephone1"])
    assert record is not None
    assert record.id == account_id
    assert record.table == "account"
    # Keys were lowercased by the SDK ("Name" -> "name").
    assert record["name"] == name
    assert record["revenue"] == 5000
    assert record["numberofemployees"] == 12
    assert record["telephone1"] == "555-0100"
    assert record["accountid"] == account_id
    before = etag_version(record.etag)
    assert not any(key.startswith("@odata.") for key in record.keys()), "the SDK drops @odata.* keys"

    assert client.records.update("account", account_id, {"telephone1": "555-0199", "numberofemployees": 13}) is None
    record = client.records.retrieve("account", account_id, select=["name", "telephone1", "numberofemployees"])
    assert (record["name"], record["telephone1"], record["numberofemployees"]) == (name, "555-0199", 13)
    assert etag_version(record.etag) > before

    assert client.records.delete("account", account_id) is None
    assert client.records.retrieve("account", account_id) is None


def test_get_by_id_is_retrieve_and_raises_on_404(client: DataverseClient, created: Created):
    name = unique("conf-py-get")
    account_id = created.add("account", client.records.create("account", {"name": name}))
    with pytest.warns(DeprecationWarning):
        record = client.records.get("account", account_id, select=["name"])
    assert record.id == account_id and record["name"] == name

    missing = str(uuid.uuid4())
    with pytest.warns(DeprecationWarning), pytest.raises(HttpError) as caught:
        client.records.get("account", missing)
    assert caught.value.status_code == 404
    assert caught.value.details["service_error_code"] == RECORD_NOT_FOUND
    assert missing in str(caught.value)


def test_update_of_a_missing_id_is_404_and_creates_nothing(client: DataverseClient):
    missing = str(uuid.uuid4())
    with pytest.raises(HttpError) as caught:
        client.records.update("account", missing, {"name": unique("conf-py-ghost")})
    assert caught.value.status_code == 404
    assert caught.value.details["service_error_code"] == RECORD_NOT_FOUND
    assert caught.value.details.get("service_request_id"), "x-ms-service-request-id on errors"
    assert client.records.retrieve("account", missing) is None


def test_picklist_labels_are_sent_as_option_values(client: DataverseClient, created: Created):
    # The SDK reads the table's PicklistAttributeMetadata and replaces a matching label by its value
    # (client reference §4.2): "Consulting" goes on the wire as 7.
    account_id = created.add("account", client.records.create(
        "account", {"name": unique("conf-py-pick"), "industrycode": "Consulting"}))
    record = client.records.retrieve("account", account_id, select=["industrycode"], include_annotations=FORMATTED)
    assert record["industrycode"] == 7
    assert record[f"industrycode@{FORMATTED}"] == "Consulting"

    # Case-insensitive match, on update too.
    client.records.update("account", account_id, {"industrycode": "accounting"})
    record = client.records.retrieve("account", account_id, select=["industrycode"], include_annotations=FORMATTED)
    assert (record["industrycode"], record[f"industrycode@{FORMATTED}"]) == (1, "Accounting")

    # After a flush the SDK fetches the option sets again.
    assert client.flush_cache("picklist") >= 1
    client.records.update("account", account_id, {"industrycode": "Brokers"})
    assert client.records.retrieve("account", account_id, select=["industrycode"])["industrycode"] == 4

    # A label the option set doesn't have goes out as the string and the service rejects it.
    with pytest.raises(HttpError) as caught:
        client.records.update("account", account_id, {"industrycode": "Conf No Such Industry"})
    assert caught.value.status_code == 400
    assert client.records.retrieve("account", account_id, select=["industrycode"])["industrycode"] == 4


def test_lookup_bind_and_expand(client: DataverseClient, created: Created):
    account_name = unique("conf-py-parent")
    account_id = created.add("account", client.records.create("account", {"name": account_name}))
    # A relative bind, as the SDK's docs show (query.odata_bind builds the same; see test_tables).
    bind = {"parentcustomerid_account@odata.bind": f"/accounts({account_id})"}
    lastname = unique("conf-py-child")
    contact_id = created.add("contact", client.records.create("contact", {"firstname": "Ada", "lastname": lastname, **bind}))

    contact = client.records.retrieve(
        "contact", contact_id, select=["fullname", "_parentcustomerid_value"],
        expand=["parentcustomerid_account($select=name)"])
    assert contact["fullname"] == f"Ada {lastname}"
    assert contact["_parentcustomerid_value"] == account_id
    assert contact["parentcustomerid_account"]["accountid"] == account_id
    assert contact["parentcustomerid_account"]["name"] == account_name


def test_upsert_one_item_by_alternate_key_creates_then_updates(client: DataverseClient, created: Created):
    # Needs the alternate key on account.accountnumber (the emulator's default org has it; see README).
    number = unique("CONF-PY").upper()
    name = unique("conf-py-upsert")
    assert client.records.upsert("account", [{"alternate_key": {"accountnumber": number}, "record": {"name": name}}]) is None
    rows = client.records.list("account", filter=f"accountnumber eq '{number}'", select=["name", "accountid"])
    assert len(rows) == 1 and rows[0]["name"] == name
    account_id = created.add("account", rows[0]["accountid"])

    client.records.upsert("account", [{"alternate_key": {"accountnumber": number}, "record": {"telephone1": "555-0142"}}])
    rows = client.records.list("account", filter=f"accountnumber eq '{number}'", select=["name", "telephone1", "accountid"])
    assert [(r["accountid"], r["name"], r["telephone1"]) for r in rows] == [(account_id, name, "555-0142")]


def test_delete_of_several_ids_without_bulk_delete(client: DataverseClient, created: Created):
    prefix = unique("conf-py-del")
    ids = [created.add("account", client.records.create("account", {"name": f"{prefix}-{i}"})) for i in range(3)]
    assert client.records.delete("account", ids[:2], use_bulk_delete=False) is None
    assert names_starting_with(client, prefix) == [f"{prefix}-2"]


def test_unknown_table_is_a_metadata_error(client: DataverseClient):
    # The entity-set lookup answers 200 with an empty `value` (client reference §4.1).
    with pytest.raises(MetadataError):
        client.records.create("conf_nosuchtable", {"conf_name": "x"})


def test_unknown_column_is_400(client: DataverseClient):
    with pytest.raises(HttpError) as caught:
        client.records.create("account", {"name": unique("conf-py-bad"), "conf_nosuchcolumn": 1})
    assert caught.value.status_code == 400
    assert "conf_nosuchcolumn" in str(caught.value)


# --- bulk forms: CreateMultiple, UpdateMultiple, UpsertMultiple, BulkDelete ---------------------------


def test_create_with_a_list_uses_create_multiple(client: DataverseClient, created: Created):
    prefix = unique("conf-py-cm")
    ids = created.add_all("account", client.records.create("account", [{"name": f"{prefix}-{i}"} for i in range(3)]))
    assert len(ids) == 3 and all(GUID.match(i) for i in ids)
    # Ids come back in the order of the targets.
    assert [client.records.retrieve("account", i, select=["name"])["name"] for i in ids] == [f"{prefix}-{i}" for i in range(3)]


def test_update_with_a_list_uses_update_multiple(client: DataverseClient, created: Created):
    prefix = unique("conf-py-um")
    ids = [created.add("account", client.records.create("account", {"name": f"{prefix}-{i}"})) for i in range(3)]
    # One change for all ids, then one change per id.
    client.records.update("account", ids, {"telephone1": "555-0001"})
    client.records.update("account", ids[:2], [{"numberofemployees": 1}, {"numberofemployees": 2}])
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')",
                               select=["name", "telephone1", "numberofemployees"], orderby=["name"])
    assert [(r["telephone1"], r["numberofemployees"]) for r in rows] == [("555-0001", 1), ("555-0001", 2), ("555-0001", None)]


def test_upsert_with_several_items_uses_upsert_multiple(client: DataverseClient, created: Created):
    prefix = unique("conf-py-upm")
    numbers = [unique("CONF-PY").upper() for _ in range(2)]
    items = [{"alternate_key": {"accountnumber": n}, "record": {"name": f"{prefix}-{i}"}} for i, n in enumerate(numbers)]
    try:
        client.records.upsert("account", items)
    finally:
        for row in client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["accountid"]):
            created.add("account", row["accountid"])
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["name", "accountnumber"], orderby=["name"])
    assert [(r["name"], r["accountnumber"]) for r in rows] == [(f"{prefix}-0", numbers[0]), (f"{prefix}-1", numbers[1])]


def test_delete_of_several_ids_uses_bulk_delete(client: DataverseClient, created: Created):
    prefix = unique("conf-py-bd")
    ids = [created.add("account", client.records.create("account", {"name": f"{prefix}-{i}"})) for i in range(3)]
    job_id = client.records.delete("account", ids[:2])
    assert job_id is None or GUID.match(job_id)
    # Real Dataverse runs BulkDelete as a system job, so the rows may take a while to go.
    assert wait_until(lambda: names_starting_with(client, prefix) == [f"{prefix}-2"], timeout_s=120)
