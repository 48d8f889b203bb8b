// Issue 8, scenario 3: every action of a typical Dataverse connector, driven through the real
// dynamics-web-api 2.5.0 client (one `it` per connector action). What the client sends and needs back:
// shared/reference/client-dynamics-web-api.md (§3.1 records, §3.2 queries and FetchXML paging, §3.5
// metadata, §6 $batch); Dataverse's side: dataverse-wire.md. Against a live org every record and the
// scratch table carry a unique per-run name and are deleted at the end.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { clientCredentials, useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

/** "<entity> With Id = … Does Not Exist". */
const RECORD_NOT_FOUND = "0x80040217";
/** Service protection: "Number of requests exceeded the limit of 6000 over time window of 300 seconds." */
const THROTTLED_REQUESTS = "0x80072322";
const COOKIE = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie";
/** The connector's page size for "List Entity Types" (metadata has no server paging, dataverse-wire.md §6.1). */
const ENTITY_TYPES_PAGE = 10;
/** How many times the raw request is tried before it gives up on 429s. */
const MAX_ATTEMPTS = 5;

describe("dynamics-web-api 2.5.0: every action of a typical connector (scenario 3)", { timeout: 60_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  /** Creates accounts `<prefix> 01`… with 10, 20, … employees; returns their ids in order. */
  async function accounts(prefix, n) {
    const ids = [];
    for (let i = 1; i <= n; i++) {
      const data = { name: `${prefix} ${String(i).padStart(2, "0")}`, numberofemployees: 10 * i };
      ids.push(created.add("accounts", await suite.dwa.create({ collection: "accounts", data })));
    }
    return ids;
  }

  it("Create, Update, Upsert, Delete and Get Entity", async () => {
    const name = unique("conf-conn");
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name, numberofemployees: 5 } }));
    assert.match(id, GUID);
    const got = await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["name", "numberofemployees"] });
    assert.deepEqual([got.accountid, got.name, got.numberofemployees], [id, name, 5]);

    assert.equal(await suite.dwa.update({ collection: "accounts", key: id, data: { numberofemployees: 6 } }), true);
    assert.equal((await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["numberofemployees"] })).numberofemployees, 6);

    // Upsert at a connector-chosen id: the first call creates, the second updates.
    const upsertId = randomUUID();
    assert.equal(created.add("accounts", await suite.dwa.upsert({ collection: "accounts", key: upsertId, data: { name: `${name}-u` } })), upsertId);
    assert.equal(await suite.dwa.upsert({ collection: "accounts", key: upsertId, data: { name: `${name}-u2` } }), upsertId);
    assert.equal((await suite.dwa.retrieve({ collection: "accounts", key: upsertId, select: ["name"] })).name, `${name}-u2`);

    assert.equal(await suite.dwa.deleteRecord({ collection: "accounts", key: id }), true);
    await assert.rejects(suite.dwa.retrieve({ collection: "accounts", key: id }), (e) => e.status === 404 && e.code === RECORD_NOT_FOUND);
  });

  it("Query Entities with fetch-all paging and a manual next page", async () => {
    const prefix = unique("conf-connq");
    const ids = await accounts(prefix, 5);
    const request = { collection: "accounts", select: ["name"], filter: `startswith(name,'${prefix}')`, orderBy: ["name asc"], maxPageSize: 2 };

    const all = await suite.dwa.retrieveAll(request);
    assert.deepEqual(all.value.map((r) => r.accountid), ids);
    assert.equal(all.oDataNextLink, undefined);

    const first = await suite.dwa.retrieveMultiple(request);
    assert.deepEqual(first.value.map((r) => r.accountid), ids.slice(0, 2));
    assert.ok(first.oDataNextLink.startsWith(suite.dwa.Utility.toAbsoluteUrl("accounts?")), first.oDataNextLink);
    const second = await suite.dwa.retrieveMultiple(request, first.oDataNextLink);
    assert.deepEqual(second.value.map((r) => r.accountid), ids.slice(2, 4));
    assert.ok(second.oDataNextLink);
  });

  it("Run Fetch XML with page numbers, paging cookies, annotations and impersonation", async () => {
    const prefix = unique("conf-connf");
    const ids = await accounts(prefix, 5);
    const fetchXml =
      `<fetch mapping="logical" count="2"><entity name="account"><attribute name="name"/><attribute name="numberofemployees"/>` +
      `<order attribute="name"/><filter><condition attribute="name" operator="begins-with" value="${prefix}"/></filter></entity></fetch>`;

    // Page 1 with every annotation: formatted values and the paging cookie.
    const page1 = await suite.dwa.fetch({ collection: "accounts", fetchXml, includeAnnotations: "*" });
    assert.deepEqual(page1.value.map((r) => r.accountid), ids.slice(0, 2));
    assert.equal(page1.value[0].numberofemployees_Formatted, "10");
    assert.equal(page1.PagingInfo.nextPage, 2);
    // Page 2 by number and cookie; page 3 by number alone (Dataverse pages without a cookie too).
    const page2 = await suite.dwa.fetch({ collection: "accounts", fetchXml, includeAnnotations: COOKIE, pageNumber: 2, pagingCookie: page1.PagingInfo.cookie });
    assert.deepEqual(page2.value.map((r) => r.accountid), ids.slice(2, 4));
    const page3 = await suite.dwa.fetch({ collection: "accounts", fetchXml, includeAnnotations: COOKIE, pageNumber: 3 });
    assert.deepEqual(page3.value.map((r) => r.accountid), ids.slice(4));
    assert.equal(page3.PagingInfo, undefined, "no cookie on the last page");

    // Impersonation (MSCRMCallerID): eq-userid is the impersonated user. On a live org the app user
    // impersonates itself; the emulator's seed has a second user to impersonate.
    const me = await suite.dwa.callFunction("WhoAmI");
    let who = me.UserId;
    if (suite.target.kind === "emulator") {
      const users = await suite.dwa.retrieveMultiple({ collection: "systemusers", select: ["systemuserid"] });
      who = users.value.map((u) => u.systemuserid).find((id) => id !== me.UserId);
      assert.ok(who, "the seed org has a second user");
    }
    const whoAmIXml = `<fetch><entity name="systemuser"><attribute name="systemuserid"/><filter><condition attribute="systemuserid" operator="eq-userid"/></filter></entity></fetch>`;
    const impersonated = await suite.dwa.fetch({ collection: "systemusers", fetchXml: whoAmIXml, impersonate: who });
    assert.deepEqual(impersonated.value.map((u) => u.systemuserid), [who]);
  });

  it("Run Batch Operations with creates, updates and deletes in one request", async () => {
    const prefix = unique("conf-connb");
    const [kept, doomed] = await accounts(prefix, 2);
    suite.dwa.startBatch();
    suite.dwa.create({ collection: "accounts", data: { name: `${prefix} 03` } });
    suite.dwa.create({ collection: "accounts", data: { name: `${prefix} 04` } });
    suite.dwa.update({ collection: "accounts", key: kept, data: { numberofemployees: 99 } });
    suite.dwa.deleteRecord({ collection: "accounts", key: doomed });
    const results = await suite.dwa.executeBatch();
    // One changeset of four: the results are positional and unreliable after the first (client quirk §8),
    // so the effects are checked with ordinary calls.
    assert.equal(results.length, 4);
    assert.match(results[0], GUID);
    const rows = await suite.dwa.retrieveAll({ collection: "accounts", select: ["name", "numberofemployees"], filter: `startswith(name,'${prefix}')`, orderBy: ["name"] });
    for (const row of rows.value) created.add("accounts", row.accountid);
    assert.deepEqual(rows.value.map((r) => [r.name, r.numberofemployees]), [[`${prefix} 01`, 99], [`${prefix} 03`, null], [`${prefix} 04`, null]]);
    await assert.rejects(suite.dwa.retrieve({ collection: "accounts", key: doomed }), (e) => e.status === 404);
  });

  it("Create, Update, Get, List and Query Attributes", async () => {
    const schema = `conf_Conn${unique("t").split("-")[1]}`;
    const logical = schema.toLowerCase();
    const entityId = await suite.dwa.createEntity({ data: table(schema) });
    assert.match(entityId, GUID);
    try {
      const entityKey = `LogicalName='${logical}'`;
      const attributeId = await suite.dwa.createAttribute({
        entityKey,
        data: { "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", SchemaName: "conf_Code", MaxLength: 20, DisplayName: label("Code"), RequiredLevel: { Value: "None" } },
      });
      assert.match(attributeId, GUID);

      const cast = "Microsoft.Dynamics.CRM.StringAttributeMetadata";
      const got = await suite.dwa.retrieveAttribute({ entityKey, attributeKey: "LogicalName='conf_code'", castType: cast });
      assert.deepEqual([got.MetadataId, got.LogicalName, got.MaxLength], [attributeId, "conf_code", 20]);
      got.MaxLength = 40;
      assert.equal(await suite.dwa.updateAttribute({ entityKey: entityId, castType: cast, data: got }), true);
      assert.equal((await suite.dwa.retrieveAttribute({ entityKey, attributeKey: attributeId, castType: cast })).MaxLength, 40);

      const list = await suite.dwa.retrieveAttributes({ entityKey, select: ["LogicalName", "AttributeType"] });
      const names = list.value.map((a) => a.LogicalName);
      for (const expected of ["conf_code", "conf_name", `${logical}id`]) assert.ok(names.includes(expected), `${expected} in ${names}`);

      const strings = await suite.dwa.retrieveAttributes({ entityKey, select: ["LogicalName"], filter: "AttributeType eq Microsoft.Dynamics.CRM.AttributeTypeCode'String'" });
      assert.deepEqual(strings.value.map((a) => a.LogicalName).sort(), ["conf_code", "conf_name"]);
    } finally {
      await suite.dwa.deleteRecord({ collection: "EntityDefinitions", key: entityId });
    }
  });

  it("Get Entity Metadata by logical name and by entity set name", async () => {
    const select = ["LogicalName", "EntitySetName", "PrimaryIdAttribute", "PrimaryNameAttribute"];
    const byLogicalName = await suite.dwa.retrieveEntity({ key: "LogicalName='account'", select });
    assert.deepEqual(
      [byLogicalName.LogicalName, byLogicalName.EntitySetName, byLogicalName.PrimaryIdAttribute, byLogicalName.PrimaryNameAttribute],
      ["account", "accounts", "accountid", "name"],
    );
    assert.match(byLogicalName.MetadataId, GUID);
    // EntityDefinitions has no entity-set-name key: the connector filters on it.
    const bySetName = await suite.dwa.retrieveEntities({ select, filter: "EntitySetName eq 'contacts'" });
    assert.equal(bySetName.value.length, 1);
    assert.deepEqual([bySetName.value[0].LogicalName, bySetName.value[0].PrimaryIdAttribute], ["contact", "contactid"]);
  });

  it("List Entities, and List Entity Types paged", async () => {
    const entities = await suite.dwa.retrieveEntities({ select: ["LogicalName", "EntitySetName"] });
    const names = entities.value.map((e) => e.LogicalName);
    for (const expected of ["account", "contact", "systemuser", "phonecall"]) assert.ok(names.includes(expected), expected);
    assert.equal(new Set(names).size, names.length, "each table once");

    // Metadata queries have no server paging (dataverse-wire.md §6.1): odata.maxpagesize is ignored and
    // every table comes back at once, so the connector pages the list itself.
    const asked = await suite.dwa.retrieveMultiple({ collection: "EntityDefinitions", select: ["LogicalName", "EntitySetName"], maxPageSize: ENTITY_TYPES_PAGE });
    assert.equal(asked.oDataNextLink, undefined);
    assert.equal(asked.value.length, entities.value.length);
    const sorted = asked.value.map((e) => e.LogicalName).sort();
    const pages = [];
    for (let start = 0; start < sorted.length; start += ENTITY_TYPES_PAGE) pages.push(sorted.slice(start, start + ENTITY_TYPES_PAGE));
    assert.ok(pages.length >= 2, `the org has more than one page of tables (${sorted.length})`);
    assert.deepEqual(pages.flat(), [...names].sort());
  });

  it("Get Current User", async () => {
    const me = await suite.dwa.callFunction("WhoAmI");
    for (const key of ["UserId", "BusinessUnitId", "OrganizationId"]) assert.match(me[key], GUID, key);
    const user = await suite.dwa.retrieve({ collection: "systemusers", key: me.UserId, select: ["fullname", "_businessunitid_value"] });
    assert.equal(user.systemuserid, me.UserId);
    assert.equal(user._businessunitid_value, me.BusinessUnitId);
    assert.ok(user.fullname);
  });

  it("a raw request with retries on 429", async (t) => {
    if (suite.target.kind === "live") {
      t.skip("a live org can't be made to throttle on demand");
      return;
    }
    const { serverUrl, auth } = suite.target;
    const token = await clientCredentials(auth.tokenEndpoint, auth.clientId, auth.clientSecret, `${serverUrl}/.default`)();
    const headers = { authorization: `Bearer ${token}`, accept: "application/json", "odata-version": "4.0", "odata-maxversion": "4.0" };
    const faults = `${serverUrl}/_emulator/faults`;
    const probe = await fetch(faults, { headers });
    if (probe.status === 404) {
      t.skip("fault injection lands with issue 10");
      return;
    }
    const set = await fetch(faults, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ throttleNext: { count: 2, retryAfter: 1 } }) });
    assert.ok(set.ok, `POST /_emulator/faults answered ${set.status}`);
    try {
      // The raw request: GET WhoAmI with the connector's retry policy (honour Retry-After on 429).
      const statuses = [];
      let response;
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        response = await fetch(`${serverUrl}/api/data/v${suite.target.version}/WhoAmI`, { headers });
        statuses.push(response.status);
        if (response.status !== 429) break;
        const body = await response.json();
        assert.equal(body.error.code, THROTTLED_REQUESTS);
        const retryAfter = Number(response.headers.get("retry-after"));
        assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `Retry-After: ${response.headers.get("retry-after")}`);
        await sleep(retryAfter * 1000);
      }
      assert.deepEqual(statuses, [429, 429, 200]);
      assert.match((await response.json()).UserId, GUID);
    } finally {
      await fetch(faults, { method: "DELETE", headers });
    }
  });
});

/** A Dataverse label in the user's language (1033). */
function label(text) {
  return {
    "@odata.type": "Microsoft.Dynamics.CRM.Label",
    LocalizedLabels: [{ "@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", Label: text, LanguageCode: 1033 }],
  };
}

/** A user-owned scratch table with its primary name column `conf_Name`. */
function table(schema) {
  return {
    "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
    SchemaName: schema,
    DisplayName: label("Conformance Connector Table"),
    DisplayCollectionName: label("Conformance Connector Tables"),
    Description: label("Created by the dynamics-web-api connector scenario"),
    OwnershipType: "UserOwned",
    HasActivities: false,
    HasNotes: false,
    IsActivity: false,
    Attributes: [{
      "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
      AttributeType: "String",
      AttributeTypeName: { Value: "StringType" },
      SchemaName: "conf_Name",
      IsPrimaryName: true,
      MaxLength: 100,
      FormatName: { Value: "Text" },
      RequiredLevel: { Value: "None", CanBeChanged: true, ManagedPropertyLogicalName: "canmodifyrequirementlevelsettings" },
      DisplayName: label("Name"),
    }],
  };
}
