"""Queries: `records.list` / `list_pages` / `get(table, filter=…)`, the `query.builder` with the `col()`
filter DSL, `query.sql` and `query.fetchxml` (client reference §5.1, §3.2, §6). Every query filters on a
prefix only that test's records carry, because the org has other rows.
"""

from __future__ import annotations

import uuid

import pytest
from PowerPlatform.Dataverse import DataverseClient, col
from PowerPlatform.Dataverse.core.errors import HttpError
from PowerPlatform.Dataverse.models.query_builder import ExpandOption

from support import PROPERTY_NOT_FOUND, Created, unique

FORMATTED = "OData.Community.Display.V1.FormattedValue"

#: (suffix, numberofemployees, address1_city) of the five accounts `five_accounts` creates.
ROWS = [("a", 10, "Rome"), ("b", 20, "Oslo"), ("c", 30, "Rome"), ("d", 40, "Lima"), ("e", 50, None)]


@pytest.fixture
def five_accounts(client: DataverseClient, created: Created) -> str:
    """Creates `<prefix>-a` … `<prefix>-e` (see ROWS) and returns the prefix."""
    prefix = unique("conf-py-q")
    for suffix, employees, city in ROWS:
        data = {"name": f"{prefix}-{suffix}", "numberofemployees": employees}
        if city:
            data["address1_city"] = city
        created.add("account", client.records.create("account", data))
    return prefix


def test_list_with_filter_select_orderby_top(client: DataverseClient, five_accounts: str):
    rows = client.records.list(
        "account",
        filter=f"startswith(name,'{five_accounts}') and numberofemployees ge 20",
        select=["Name", "NumberOfEmployees"],  # the SDK lowercases select and orderby
        orderby=["NumberOfEmployees desc"],
        top=3,
    )
    assert [(r["name"], r["numberofemployees"]) for r in rows] == [
        (f"{five_accounts}-e", 50), (f"{five_accounts}-d", 40), (f"{five_accounts}-c", 30)]
    for r in rows:
        assert set(r.keys()) == {"name", "numberofemployees", "accountid"}, r.keys()
        assert r.id == "", "list rows carry no Record.id (client reference §6)"


def test_list_filter_with_quotes_spaces_and_or(client: DataverseClient, created: Created):
    # The first page is form-encoded: spaces as '+', quotes and commas percent-encoded (client reference §3.2).
    prefix = unique("conf-py-enc")
    odd = f"{prefix} O'Brien & Sons, Ltd"
    created.add("account", client.records.create("account", {"name": odd, "address1_city": "São Paulo"}))
    created.add("account", client.records.create("account", {"name": f"{prefix} plain"}))
    escaped = odd.replace("'", "''")
    rows = client.records.list("account", filter=f"name eq '{escaped}' or (startswith(name,'{prefix}') and address1_city eq 'São Paulo')",
                               select=["name", "address1_city"])
    assert [(r["name"], r["address1_city"]) for r in rows] == [(odd, "São Paulo")]


def test_list_follows_next_links_across_pages(client: DataverseClient, five_accounts: str):
    query = dict(filter=f"startswith(name,'{five_accounts}')", select=["name"], orderby=["name asc"], page_size=2)
    rows = client.records.list("account", **query)
    assert [r["name"] for r in rows] == [f"{five_accounts}-{s}" for s, _, _ in ROWS]

    pages = list(client.records.list_pages("account", **query))
    assert [[r["name"][-1] for r in page] for page in pages] == [["a", "b"], ["c", "d"], ["e"]]

    # `$count=true` rides along; the SDK ignores @odata.count but the pages must not change.
    pages = list(client.records.list_pages("account", count=True, **query))
    assert [len(page) for page in pages] == [2, 2, 1]


def test_deprecated_get_with_filter_yields_pages(client: DataverseClient, five_accounts: str):
    with pytest.warns(DeprecationWarning):
        pages = list(client.records.get("account", filter=f"startswith(name,'{five_accounts}')",
                                        select=["name"], orderby=["name desc"], page_size=3))
    assert [[r["name"][-1] for r in page] for page in pages] == [["e", "d", "c"], ["b", "a"]]


def test_list_with_formatted_values(client: DataverseClient, created: Created):
    prefix = unique("conf-py-fmt")
    created.add("account", client.records.create("account", {"name": prefix, "industrycode": 7, "numberofemployees": 1234}))
    rows = client.records.list("account", filter=f"name eq '{prefix}'", select=["industrycode", "numberofemployees"],
                               include_annotations=FORMATTED)
    assert len(rows) == 1
    assert rows[0][f"industrycode@{FORMATTED}"] == "Consulting"
    assert rows[0][f"numberofemployees@{FORMATTED}"] == "1,234"  # en-US number format assumed


def test_builder_with_col_filters(client: DataverseClient, five_accounts: str):
    def names(where) -> list[str]:
        result = (client.query.builder("account").select("name").where(col("name").startswith(five_accounts))
                  .where(where).order_by("name").execute())
        return [r["name"][-1] for r in result]

    assert names(col("numberofemployees") > 30) == ["d", "e"]
    assert names(col("numberofemployees").between(20, 40)) == ["b", "c", "d"]
    assert names(col("address1_city").in_(["Rome", "Lima"])) == ["a", "c", "d"]
    # SQL null semantics: a null city is neither in nor not in the list.
    assert names(col("address1_city").not_in(["Rome", "Lima"])) == ["b"]
    assert names(col("address1_city").is_null()) == ["e"]
    assert names((col("address1_city") == "Oslo") | (col("numberofemployees") <= 10)) == ["a", "b"]
    assert names(~(col("address1_city") == "Rome") & col("address1_city").is_not_null()) == ["b", "d"]
    # The random hex in the prefix may itself contain "-d", so match the whole name part.
    assert names(col("name").endswith("-c") | col("name").contains(f"{five_accounts}-d")) == ["c", "d"]


def test_builder_paging_descending_order_and_dataframe(client: DataverseClient, five_accounts: str):
    # page_size plus formatted values: `Prefer: odata.maxpagesize=2,odata.include-annotations="…"`, on every page.
    query = (client.query.builder("account").select("name", "numberofemployees")
             .where(col("name").startswith(five_accounts)).order_by("numberofemployees", descending=True)
             .page_size(2).include_formatted_values())
    pages = list(query.execute_pages())
    assert [[r["numberofemployees"] for r in page] for page in pages] == [[50, 40], [30, 20], [10]]
    assert [r[f"numberofemployees@{FORMATTED}"] for page in pages for r in page] == ["50", "40", "30", "20", "10"]

    frame = (client.query.builder("account").select("name", "numberofemployees")
             .where(col("name").startswith(five_accounts)).order_by("name").top(2).execute().to_dataframe())
    assert list(frame["numberofemployees"]) == [10, 20]


def test_builder_expand_with_nested_options(client: DataverseClient, created: Created):
    name = unique("conf-py-exp")
    account_id = created.add("account", client.records.create("account", {"name": name}))
    bind = {"parentcustomerid_account@odata.bind": f"/accounts({account_id})"}
    for last in ("b", "c", "a"):
        created.add("contact", client.records.create("contact", {"firstname": "Ada", "lastname": f"{name}-{last}", **bind}))
    result = (client.query.builder("account").select("name").where(col("accountid") == uuid.UUID(account_id))  # a UUID goes out unquoted
              .expand(ExpandOption("contact_customer_accounts").select("lastname").order_by("lastname", descending=True).top(2))
              .include_formatted_values().execute())
    assert len(result) == 1
    children = result[0]["contact_customer_accounts"]
    assert [c["lastname"] for c in children] == [f"{name}-c", f"{name}-b"]


def test_unknown_column_in_filter_is_400(client: DataverseClient):
    with pytest.raises(HttpError) as caught:
        client.records.list("account", filter="conf_nosuchcolumn eq 'x'")
    assert caught.value.status_code == 400
    assert caught.value.details["service_error_code"] == PROPERTY_NOT_FOUND
    assert "conf_nosuchcolumn" in str(caught.value)


def test_query_sql(client: DataverseClient, five_accounts: str):
    rows = client.query.sql(
        f"SELECT TOP 2 name, numberofemployees FROM account WHERE name LIKE '{five_accounts}%' ORDER BY name")
    assert [(r["name"], r["numberofemployees"]) for r in rows] == [(f"{five_accounts}-a", 10), (f"{five_accounts}-b", 20)]
    assert all("revenue" not in r for r in rows), "only the selected columns"


def test_query_fetchxml_pages(client: DataverseClient, five_accounts: str):
    fetch = (
        '<fetch count="2"><entity name="account"><attribute name="name"/><attribute name="numberofemployees"/>'
        f'<filter><condition attribute="name" operator="like" value="{five_accounts}%"/></filter>'
        '<order attribute="name"/></entity></fetch>'
    )
    pages = list(client.query.fetchxml(fetch).execute_pages())
    assert [[r["name"][-1] for r in page] for page in pages] == [["a", "b"], ["c", "d"], ["e"]]
    assert [r["numberofemployees"] for r in client.query.fetchxml(fetch).execute()] == [10, 20, 30, 40, 50]
