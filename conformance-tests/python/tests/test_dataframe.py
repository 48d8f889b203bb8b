"""`client.dataframe`: pandas in and out. `get` is a list query; `update` and `delete` of one row are a
PATCH and a DELETE; several rows go through UpdateMultiple and BulkDelete, and `create` always uses
CreateMultiple (client reference §5.1, §6).
"""

from __future__ import annotations

import pandas as pd
import pytest
from PowerPlatform.Dataverse import DataverseClient
from PowerPlatform.Dataverse.core.errors import HttpError

from support import GUID, Created, unique


def _names(client: DataverseClient, prefix: str) -> list[str]:
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["name"], orderby=["name"])
    return [r["name"] for r in rows]


def test_dataframe_get(client: DataverseClient, created: Created):
    prefix = unique("conf-py-df")
    ids = [created.add("account", client.records.create("account", {"name": f"{prefix}-{i}", "numberofemployees": n}))
           for i, n in enumerate((5, 6, 7))]
    # Deprecated in favour of query.builder(...).execute().to_dataframe(), but still public.
    with pytest.warns(DeprecationWarning):
        frame = client.dataframe.get("account", filter=f"startswith(name,'{prefix}')",
                                     select=["name", "numberofemployees"], orderby=["name desc"], page_size=2)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["name"]) == [f"{prefix}-2", f"{prefix}-1", f"{prefix}-0"]
    assert list(frame["numberofemployees"]) == [7, 6, 5]

    with pytest.warns(DeprecationWarning):
        one = client.dataframe.get("account", record_id=ids[1], select=["name"])
    assert list(one["name"]) == [f"{prefix}-1"]


def test_dataframe_update_and_delete_one_row(client: DataverseClient, created: Created):
    prefix = unique("conf-py-df1")
    ids = [created.add("account", client.records.create("account", {"name": f"{prefix}-{i}"})) for i in range(2)]
    client.dataframe.update("account", pd.DataFrame([{"accountid": ids[0], "telephone1": "555-0123"}]), id_column="accountid")
    assert client.records.retrieve("account", ids[0], select=["telephone1"])["telephone1"] == "555-0123"
    client.dataframe.delete("account", pd.Series([ids[1]]))
    assert _names(client, prefix) == [f"{prefix}-0"]


def test_dataframe_delete_several_rows_without_bulk_delete(client: DataverseClient, created: Created):
    prefix = unique("conf-py-df2")
    ids = [created.add("account", client.records.create("account", {"name": f"{prefix}-{i}"})) for i in range(3)]
    client.dataframe.delete("account", pd.Series(ids[:2]), use_bulk_delete=False)
    assert _names(client, prefix) == [f"{prefix}-2"]


def test_dataframe_create(client: DataverseClient, created: Created):
    prefix = unique("conf-py-dfc")
    frame = pd.DataFrame([{"name": f"{prefix}-{i}", "numberofemployees": i} for i in range(3)])
    ids = client.dataframe.create("account", frame)
    created.add_all("account", list(ids))
    assert len(ids) == 3 and all(GUID.match(i) for i in ids)
    assert _names(client, prefix) == [f"{prefix}-{i}" for i in range(3)]


def test_dataframe_update_several_rows(client: DataverseClient, created: Created):
    prefix = unique("conf-py-dfu")
    ids = [created.add("account", client.records.create("account", {"name": f"{prefix}-{i}"})) for i in range(2)]
    client.dataframe.update("account", pd.DataFrame({"accountid": ids, "numberofemployees": [11, 12]}), id_column="accountid")
    rows = client.records.list("account", filter=f"startswith(name,'{prefix}')", select=["numberofemployees"], orderby=["name"])
    assert [r["numberofemployees"] for r in rows] == [11, 12]


def test_dataframe_sql(client: DataverseClient, created: Created):
    prefix = unique("conf-py-dfs")
    account_id = created.add("account", client.records.create("account", {"name": prefix, "numberofemployees": 3}))
    frame = client.dataframe.sql(f"SELECT name, numberofemployees FROM account WHERE name = '{prefix}'")
    # The primary key comes back too, as with $select (Microsoft Learn, "Use SQL to query data
    # by using the Dataverse Web API": `$metadata#accounts(name,accountid)`).
    assert frame.to_dict("records") == [{"name": prefix, "numberofemployees": 3, "accountid": account_id}]
