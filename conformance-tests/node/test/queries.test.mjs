// Queries, paging, counting and $expand driven through the real dynamics-web-api 2.5.0 client.
// Request and response shapes: shared/reference/client-dynamics-web-api.md §3.2 (queries, paging, counting,
// the nextLink contract), §2.2 (annotations), §2.3 (errors). Seed rows exist, so every query filters on a
// prefix that only the current test's records carry.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, WEAK_ETAG, unique } from "../lib/helpers.mjs";

/** Dataverse error code for "Could not find a property named '…' on type '…'" in a query option. */
// Microsoft's "Troubleshoot Dataverse Web API client errors" page shows this code for an unknown property.
const PROPERTY_NOT_FOUND = "0x80060888";

describe("dynamics-web-api 2.5.0: queries", { timeout: 30_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  /** Creates an account (`data` must carry a unique `name`) and tracks it for cleanup. */
  async function createAccount(data) {
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data }));
    assert.match(id, GUID);
    return { id, ...data };
  }

  /** Creates a contact `Ada <lastname>` (unique lastname unless given) and tracks it for cleanup. */
  async function createContact(extra = {}) {
    const data = { firstname: "Ada", lastname: unique("Lovelace"), ...extra };
    const id = created.add("contacts", await suite.dwa.create({ collection: "contacts", data }));
    assert.match(id, GUID);
    return { id, fullname: `${data.firstname} ${data.lastname}`, ...data };
  }

  /** A `$filter` clause matching only names that start with `prefix` (which must not contain a quote). */
  const namePrefix = (prefix) => `startswith(name,'${prefix}')`;

  /** The row's own data: every key except OData annotations and the client's `oData*` decorations. */
  const dataKeys = (row) => Object.keys(row).filter((key) => !key.includes("@") && !key.startsWith("oData")).sort();

  describe("retrieveMultiple", () => {
    it("$select, $filter (escaped quote, &, numbers, and/or), $orderby, $top and $count", async () => {
      const prefix = unique("conf-q");
      // A name holding both a quote (sent as '' inside the literal) and an ampersand (%26 on the wire).
      const tricky = await createAccount({ name: `${prefix} O'Brien & Sons`, numberofemployees: 50, address1_city: "Dublin" });
      const alpha = await createAccount({ name: `${prefix} Alpha`, numberofemployees: 10, address1_city: "Oslo" });
      const beta = await createAccount({ name: `${prefix} Beta`, numberofemployees: 200, address1_city: "Oslo" });
      const gamma = await createAccount({ name: `${prefix} Gamma`, numberofemployees: 200, address1_city: "Rome" });
      const delta = await createAccount({ name: `${prefix} Delta`, numberofemployees: 5, address1_city: "Rome" });

      // String equality with '' and &; $select limits the columns to the selected ones plus the key.
      const exact = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name", "numberofemployees"],
        filter: `name eq '${prefix} O''Brien & Sons'`,
      });
      assert.equal(exact.value.length, 1, JSON.stringify(exact.value));
      assert.equal(exact.value[0].accountid, tricky.id);
      assert.equal(exact.value[0].name, tricky.name);
      assert.equal(exact.value[0].numberofemployees, 50);
      assert.deepEqual(dataKeys(exact.value[0]), ["accountid", "name", "numberofemployees"]);
      assert.match(exact.value[0]["@odata.etag"], WEAK_ETAG);
      assert.ok(
        exact.oDataContext.endsWith("$metadata#accounts(name,numberofemployees)"),
        `unexpected @odata.context: ${exact.oDataContext}`,
      );
      assert.equal(exact.oDataCount, undefined, "no $count was asked for");

      // Number comparison, and/or with parentheses, two sort keys, $count.
      const filter = `${namePrefix(prefix)} and (numberofemployees ge 100 or address1_city eq 'Rome')`;
      const orderBy = ["numberofemployees desc", "name asc"];
      const select = ["name", "numberofemployees", "address1_city"];
      const counted = await suite.dwa.retrieveMultiple({ collection: "accounts", select, filter, orderBy, count: true });
      assert.deepEqual(
        counted.value.map((row) => [row.name, row.numberofemployees, row.address1_city]),
        [
          [beta.name, 200, "Oslo"],
          [gamma.name, 200, "Rome"],
          [delta.name, 5, "Rome"],
        ],
      );
      assert.equal(counted.oDataCount, 3);

      // The other direction on both keys.
      const reversed = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name"],
        filter: `${namePrefix(prefix)} and numberofemployees lt 100`,
        orderBy: ["numberofemployees asc", "name desc"],
      });
      assert.deepEqual(
        reversed.value.map((row) => row.name),
        [delta.name, alpha.name, tricky.name],
      );

      // $top cuts the sorted result. (The client's docs say not to combine $top with $count.)
      const top = await suite.dwa.retrieveMultiple({ collection: "accounts", select: ["name"], filter, orderBy, top: 2 });
      assert.deepEqual(
        top.value.map((row) => row.accountid),
        [beta.id, gamma.id],
      );
      assert.equal(top.oDataNextLink, undefined, "$top is not paging");

      // $count counts every match, not just the rows on the page.
      const paged = await suite.dwa.retrieveMultiple({ collection: "accounts", select: ["name"], filter, orderBy, count: true, maxPageSize: 2 });
      assert.equal(paged.value.length, 2);
      assert.equal(paged.oDataCount, 3);
    });

    it("trackChanges returns an @odata.deltaLink that answers the rows changed and deleted since", async () => {
      // Other tests write accounts meanwhile: the delta is checked for this test's rows only.
      const prefix = unique("conf-delta");
      const kept = await createAccount({ name: `${prefix}-kept` });
      const doomed = await createAccount({ name: `${prefix}-doomed` });
      const first = await suite.dwa.retrieveMultiple({ collection: "accounts", select: ["name"], trackChanges: true });
      assert.equal(typeof first.oDataDeltaLink, "string", "a tracked query carries @odata.deltaLink");
      assert.match(first.oDataDeltaLink, /\/accounts\?\$select=name&\$deltatoken=\d+%21/);
      assert.ok(first.value.some((row) => row.accountid === kept.id), "the first answer has every row");

      const added = await createAccount({ name: `${prefix}-added` });
      await suite.dwa.update({ collection: "accounts", key: kept.id, data: { name: `${prefix}-renamed` } });
      assert.equal(await suite.dwa.deleteRecord({ collection: "accounts", key: doomed.id }), true);

      const delta = await suite.dwa.retrieveMultiple({ collection: "accounts" }, first.oDataDeltaLink);
      const changed = delta.value.filter((row) => row.accountid);
      assert.deepEqual(
        changed.filter((row) => row.name?.startsWith(prefix)).map((row) => [row.accountid, row.name]),
        [[added.id, `${prefix}-added`], [kept.id, `${prefix}-renamed`]],
        "new and updated rows, oldest change first",
      );
      const deleted = delta.value.filter((row) => row.reason === "deleted");
      assert.ok(deleted.some((row) => row.id === doomed.id), `the deleted account is a $deletedEntity: ${JSON.stringify(deleted)}`);
      assert.equal(typeof delta.oDataDeltaLink, "string", "and the delta carries the next link");
      assert.notEqual(delta.oDataDeltaLink, first.oDataDeltaLink);
    });

    it("maxPageSize returns an absolute @odata.nextLink that retrieveMultiple(request, nextLink) follows", async () => {
      const prefix = unique("conf-page");
      const accounts = [];
      for (const suffix of ["a", "b", "c", "d", "e"]) accounts.push(await createAccount({ name: `${prefix}-${suffix}` }));
      const request = {
        collection: "accounts",
        select: ["name"],
        filter: namePrefix(prefix),
        orderBy: ["name asc"],
        maxPageSize: 2,
      };
      const dataApiUrl = suite.dwa.Utility.toAbsoluteUrl("");
      assert.match(dataApiUrl, /\/api\/data\/v\d+\.\d+\/$/, "precondition: the client's data API URL");

      const first = await suite.dwa.retrieveMultiple(request);
      assert.deepEqual(
        first.value.map((row) => row.name),
        accounts.slice(0, 2).map((a) => a.name),
      );
      assert.equal(typeof first.oDataNextLink, "string", "page 1 of 3 must carry @odata.nextLink");
      assert.ok(first.oDataNextLink.startsWith(dataApiUrl), `nextLink ${first.oDataNextLink} does not start with ${dataApiUrl}`);
      assert.ok(first.oDataNextLink.startsWith(`${dataApiUrl}accounts?`), `nextLink ${first.oDataNextLink} is not a query on accounts`);

      const second = await suite.dwa.retrieveMultiple(request, first.oDataNextLink);
      assert.deepEqual(
        second.value.map((row) => row.name),
        accounts.slice(2, 4).map((a) => a.name),
      );
      assert.equal(typeof second.oDataNextLink, "string", "page 2 of 3 must carry @odata.nextLink");
      assert.ok(second.oDataNextLink.startsWith(dataApiUrl), `nextLink ${second.oDataNextLink} does not start with ${dataApiUrl}`);
      assert.notEqual(second.oDataNextLink, first.oDataNextLink);

      const last = await suite.dwa.retrieveMultiple(request, second.oDataNextLink);
      assert.deepEqual(
        last.value.map((row) => row.accountid),
        [accounts[4].id],
      );
      assert.equal(last.oDataNextLink, undefined, "the last page has no @odata.nextLink");
    });

    it("retrieveAll follows nextLink across 3 pages: every row once, in order", async () => {
      const prefix = unique("conf-all");
      const accounts = [];
      for (let i = 0; i < 7; i++) accounts.push(await createAccount({ name: `${prefix}-${i}`, numberofemployees: i }));
      const request = {
        collection: "accounts",
        select: ["name", "numberofemployees"],
        filter: namePrefix(prefix),
        orderBy: ["name desc"],
        maxPageSize: 3,
      };

      // The same request really is paged: 3 + 3 + 1.
      const firstPage = await suite.dwa.retrieveMultiple(request);
      assert.equal(firstPage.value.length, 3);
      assert.equal(typeof firstPage.oDataNextLink, "string");

      const all = await suite.dwa.retrieveAll(request);
      const expected = [...accounts].reverse();
      assert.deepEqual(
        all.value.map((row) => [row.accountid, row.name, row.numberofemployees]),
        expected.map((a) => [a.id, a.name, a.numberofemployees]),
      );
      assert.equal(new Set(all.value.map((row) => row.accountid)).size, 7, "no row twice");
      assert.equal(all.oDataNextLink, undefined);
    });
  });

  describe("count / countAll", () => {
    it("count with a filter ($count=true), count of the whole set (/$count), countAll", async () => {
      const prefix = unique("conf-count");
      for (let i = 0; i < 5; i++) await createAccount({ name: `${prefix}-${i}`, numberofemployees: i * 10 });

      // GET accounts?$filter=…&$count=true → @odata.count
      assert.equal(await suite.dwa.count({ collection: "accounts", filter: namePrefix(prefix) }), 5);
      assert.equal(await suite.dwa.count({ collection: "accounts", filter: `${namePrefix(prefix)} and numberofemployees ge 20` }), 3);
      assert.equal(await suite.dwa.count({ collection: "accounts", filter: `${namePrefix(prefix)} and numberofemployees gt 1000` }), 0);

      // GET accounts/$count → text/plain number; one more account moves it by exactly one.
      const total = await suite.dwa.count({ collection: "accounts" });
      assert.equal(typeof total, "number");
      assert.ok(Number.isInteger(total) && total >= 5, `accounts/$count = ${total}`);
      await createAccount({ name: `${prefix}-extra`, numberofemployees: 1 });
      assert.equal(await suite.dwa.count({ collection: "accounts" }), total + 1);

      // countAll = retrieveAll(…).value.length. countAll hands its request to retrieveMultiple as-is, so
      // maxPageSize (absent from CountAllRequest's typings) still pages it.
      assert.equal(await suite.dwa.countAll({ collection: "accounts", filter: namePrefix(prefix), select: ["name"] }), 6);
      assert.equal(
        await suite.dwa.countAll({ collection: "accounts", filter: `${namePrefix(prefix)} and numberofemployees lt 20`, select: ["accountid"], maxPageSize: 2 }),
        3,
      );
    });
  });

  describe("$expand", () => {
    /** An account with a primary contact and four child contacts `<prefix>-a` … `-d` (via parentcustomerid). */
    async function accountWithContacts() {
      const prefix = unique("Kid");
      const primary = await createContact();
      const account = await createAccount({
        name: unique("conf-expand"),
        "primarycontactid@odata.bind": `/contacts(${primary.id})`,
      });
      const kids = [];
      for (const suffix of ["a", "b", "c", "d"]) {
        kids.push(await createContact({ lastname: `${prefix}-${suffix}`, "parentcustomerid_account@odata.bind": `/accounts(${account.id})` }));
      }
      return { prefix, primary, account, kids };
    }

    /** primarycontactid($select=fullname), contact_customer_accounts($select=fullname;$filter=…;$orderby=fullname desc;$top=2) */
    const expandFor = (prefix) => [
      { property: "primarycontactid", select: ["fullname"] },
      {
        property: "contact_customer_accounts",
        select: ["fullname"],
        orderBy: ["fullname desc"],
        top: 2,
        filter: `lastname ne '${prefix}-d'`,
      },
    ];

    /** Asserts the expanded values of `row` (an account fetched with expandFor). */
    function assertExpanded(row, { primary, account, kids }) {
      assert.equal(row.accountid, account.id);
      assert.equal(row.name, account.name);

      assert.equal(typeof row.primarycontactid, "object");
      assert.notEqual(row.primarycontactid, null, "primarycontactid must be expanded");
      assert.equal(row.primarycontactid.contactid, primary.id);
      assert.equal(row.primarycontactid.fullname, primary.fullname);

      // Filter drops -d; fullname desc gives -c, -b, -a; $top=2 keeps -c, -b.
      assert.ok(Array.isArray(row.contact_customer_accounts), "contact_customer_accounts must be an array");
      assert.deepEqual(
        row.contact_customer_accounts.map((c) => [c.contactid, c.fullname]),
        [kids[2], kids[1]].map((k) => [k.id, k.fullname]),
      );
    }

    it("retrieve with nested $select/$filter/$orderby/$top", async () => {
      const fixture = await accountWithContacts();
      const row = await suite.dwa.retrieve({
        collection: "accounts",
        key: fixture.account.id,
        select: ["name"],
        expand: expandFor(fixture.prefix),
      });
      assertExpanded(row, fixture);
      assert.ok(
        row.oDataContext.endsWith("$metadata#accounts(name,primarycontactid(fullname),contact_customer_accounts(fullname))/$entity"),
        `unexpected @odata.context: ${row.oDataContext}`,
      );
    });

    it("retrieveMultiple with the same nested options", async () => {
      const fixture = await accountWithContacts();
      const result = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name"],
        filter: `accountid eq ${fixture.account.id}`,
        expand: expandFor(fixture.prefix),
      });
      assert.equal(result.value.length, 1);
      assertExpanded(result.value[0], fixture);
      assert.ok(
        result.oDataContext.endsWith("$metadata#accounts(name,primarycontactid(fullname),contact_customer_accounts(fullname))"),
        `unexpected @odata.context: ${result.oDataContext}`,
      );
    });
  });

  describe("$filter beyond plain columns", () => {
    it("a lookup path: primarycontactid/fullname eq '…'", async () => {
      const prefix = unique("conf-path");
      const wanted = await createContact();
      const other = await createContact();
      const match = await createAccount({ name: `${prefix}-1`, "primarycontactid@odata.bind": `/contacts(${wanted.id})` });
      await createAccount({ name: `${prefix}-2`, "primarycontactid@odata.bind": `/contacts(${other.id})` });
      await createAccount({ name: `${prefix}-3` });

      const result = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name", "_primarycontactid_value"],
        filter: `${namePrefix(prefix)} and primarycontactid/fullname eq '${wanted.fullname}'`,
      });
      assert.deepEqual(
        result.value.map((row) => [row.accountid, row._primarycontactid_value]),
        [[match.id, wanted.id]],
      );
    });

    it("a lambda: contact_customer_accounts/any(c:c/lastname eq '…')", async () => {
      const prefix = unique("conf-any");
      const withKid = await createAccount({ name: `${prefix}-1` });
      const withOtherKid = await createAccount({ name: `${prefix}-2` });
      await createAccount({ name: `${prefix}-3` });
      const kid = await createContact({ "parentcustomerid_account@odata.bind": `/accounts(${withKid.id})` });
      const otherKid = await createContact({ "parentcustomerid_account@odata.bind": `/accounts(${withOtherKid.id})` });

      const any = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name"],
        filter: `${namePrefix(prefix)} and contact_customer_accounts/any(c:c/lastname eq '${kid.lastname}')`,
      });
      assert.deepEqual(
        any.value.map((row) => row.accountid),
        [withKid.id],
      );

      // Both accounts with a child contact, and not the childless one.
      const either = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name"],
        filter: `${namePrefix(prefix)} and contact_customer_accounts/any(c:c/lastname eq '${kid.lastname}' or c/lastname eq '${otherKid.lastname}')`,
        orderBy: ["name asc"],
      });
      assert.deepEqual(
        either.value.map((row) => row.accountid),
        [withKid.id, withOtherKid.id],
      );
    });

    it("query functions: Microsoft.Dynamics.CRM.In and Microsoft.Dynamics.CRM.Today", async () => {
      const prefix = unique("conf-fn");
      const cityA = unique("CityA");
      const cityB = unique("CityB");
      const inA = await createAccount({ name: `${prefix}-1`, address1_city: cityA });
      const inB = await createAccount({ name: `${prefix}-2`, address1_city: cityB });
      const elsewhere = await createAccount({ name: `${prefix}-3`, address1_city: unique("CityC") });

      const inResult = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name", "address1_city"],
        filter: `${namePrefix(prefix)} and Microsoft.Dynamics.CRM.In(PropertyName='address1_city',PropertyValues=["${cityA}","${cityB}"])`,
        orderBy: ["name asc"],
      });
      assert.deepEqual(
        inResult.value.map((row) => [row.accountid, row.address1_city]),
        [
          [inA.id, cityA],
          [inB.id, cityB],
        ],
      );

      // Records created just now were created today (in the caller's time zone; UNCONFIRMED near midnight).
      const today = await suite.dwa.retrieveMultiple({
        collection: "accounts",
        select: ["name"],
        filter: `${namePrefix(prefix)} and Microsoft.Dynamics.CRM.Today(PropertyName='createdon')`,
        orderBy: ["name asc"],
      });
      assert.deepEqual(
        today.value.map((row) => row.accountid),
        [inA.id, inB.id, elsewhere.id],
      );
    });
  });

  it('includeAnnotations: "*" adds _Formatted values for lookups and money', async () => {
    const contact = await createContact();
    const account = await createAccount({
      name: unique("conf-annot"),
      revenue: 1234.5,
      "primarycontactid@odata.bind": `/contacts(${contact.id})`,
    });

    const result = await suite.dwa.retrieveMultiple({
      collection: "accounts",
      select: ["name", "revenue", "_primarycontactid_value"],
      filter: `accountid eq ${account.id}`,
      includeAnnotations: "*",
    });
    assert.equal(result.value.length, 1);
    const row = result.value[0];
    assert.equal(row._primarycontactid_value, contact.id);
    assert.equal(row._primarycontactid_value_Formatted, contact.fullname);
    assert.equal(row._primarycontactid_value_LogicalName, "contact");
    assert.equal(row._primarycontactid_value_NavigationProperty, "primarycontactid");
    assert.equal(row.revenue, 1234.5);
    assert.equal(typeof row.revenue_Formatted, "string", "revenue must carry a FormattedValue annotation");
    // The exact currency symbol depends on the org's base currency; the digits follow the caller's locale
    // (en-US grouping assumed here, as on a default org).
    assert.match(row.revenue_Formatted, /1,234\.50/);
  });

  it("a $filter on an unknown column rejects with 400 0x80060888", async () => {
    await assert.rejects(
      suite.dwa.retrieveMultiple({ collection: "accounts", select: ["name"], filter: "conf_nosuchcolumn eq 'x'" }),
      (error) => {
        assert.equal(error.status, 400);
        assert.equal(error.code, PROPERTY_NOT_FOUND);
        assert.match(error.message, /conf_nosuchcolumn/);
        return true;
      },
    );
  });
});
