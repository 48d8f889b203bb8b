"""Issue 8, scenario 4: a sync job's shape through PowerPlatform-Dataverse-Client 1.1.0.

Bulk-load 10,000 records with `records.create(table, [..])` (CreateMultiple, in chunks as a sync job
sends them), then read everything back with `records.list_pages(page_size=…)`, which follows
`@odata.nextLink` page by page, and check the count and every record's content.
Wire: client reference §5.1 (CreateMultiple, list paging), §5.2 (tables); dataverse-wire.md §3 (paging).

The records go into a scratch table that the test drops at the end: one request cleans up all 10,000
rows, on a live org as on the emulator. (Deleting them one by one costs about 7 ms each on a debug
emulator build, 70 s in all, and a BulkDelete of 10,000 ids stalls it for longer.)
"""

from __future__ import annotations

from PowerPlatform.Dataverse import DataverseClient

from support import GUID, unique

#: Records the job loads.
TOTAL = 10_000
#: Records per CreateMultiple request: Microsoft's guidance is 100 to 1,000 per bulk request.
CHUNK = 1_000
#: Records per page on the way back (Prefer: odata.maxpagesize); 5,000 is Dataverse's maximum.
PAGE_SIZE = 2_500


def test_bulk_load_through_create_multiple_then_read_back_through_next_links(client: DataverseClient):
    schema = f"conf_PySync{unique('t').split('-')[1]}"
    client.tables.create(schema, {"conf_Index": "int", "conf_Email": "string"}, display_name="Conformance sync job")
    try:
        table = schema.lower()
        rows = [{"conf_name": f"{i:05d}", "conf_index": i, "conf_email": f"{i:05d}@sync.example"} for i in range(TOTAL)]
        ids: list[str] = []
        for start in range(0, TOTAL, CHUNK):
            chunk_ids = client.records.create(table, rows[start:start + CHUNK])
            assert len(chunk_ids) == len(rows[start:start + CHUNK])
            ids.extend(chunk_ids)
        assert len(set(ids)) == TOTAL and all(GUID.match(i) for i in ids)

        pages = list(client.records.list_pages(
            table, select=["conf_name", "conf_index", "conf_email"], orderby=["conf_index asc"], page_size=PAGE_SIZE))
        assert [len(page) for page in pages] == [PAGE_SIZE] * (TOTAL // PAGE_SIZE), "full pages; the last has no nextLink"
        records = [record for page in pages for record in page]
        assert len(records) == TOTAL
        # The same ids, each once, in load order.
        assert [r[f"{table}id"] for r in records] == ids
        for i, r in enumerate(records):
            assert (r["conf_name"], r["conf_index"], r["conf_email"]) == (f"{i:05d}", i, f"{i:05d}@sync.example"), f"record {i}"
    finally:
        client.tables.delete(schema)
    assert client.tables.get(schema) is None
