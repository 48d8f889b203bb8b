// FetchXML driven through the real dynamics-web-api 2.5.0 client: `fetch` (page numbers, paging cookies,
// annotations, link-entity columns, impersonation) and `fetchAll`, which keeps paging for as long as the
// `@Microsoft.Dynamics.CRM.fetchxmlpagingcookie` annotation is present (shared/reference/
// client-dynamics-web-api.md, "The FetchXML paging-cookie contract").

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

const COOKIE = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie";

describe("dynamics-web-api 2.5.0: FetchXML", { timeout: 60_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  /** Creates `n` accounts `<prefix> 01`… with 10, 20, … employees; returns their ids in order. */
  async function accounts(prefix, n) {
    const ids = [];
    for (let i = 1; i <= n; i++) {
      const name = `${prefix} ${String(i).padStart(2, "0")}`;
      ids.push(created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name, numberofemployees: 10 * i } })));
    }
    return ids;
  }

  const byPrefix = (prefix, extra = "") =>
    `<fetch version="1.0" mapping="logical" count="2"><entity name="account"><attribute name="name"/><attribute name="numberofemployees"/>` +
    `<order attribute="name"/><filter><condition attribute="name" operator="begins-with" value="${prefix}"/></filter>${extra}</entity></fetch>`;

  it("fetch: pages by number and paging cookie, with the cookie only while more rows exist", async () => {
    const prefix = unique("conf-fx");
    const ids = await accounts(prefix, 5);
    const fetchXml = byPrefix(prefix);
    const first = await suite.dwa.fetch({ collection: "accounts", fetchXml, includeAnnotations: COOKIE });
    assert.deepEqual(first.value.map((r) => r.name), [`${prefix} 01`, `${prefix} 02`]);
    assert.equal(first.value[0].accountid, ids[0]);
    assert.ok(first.PagingInfo, "PagingInfo comes from the cookie annotation");
    assert.equal(first.PagingInfo.nextPage, 2);
    // The client keeps the inner cookie XML-escaped, ready for the paging-cookie attribute.
    assert.match(first.PagingInfo.cookie, /^&lt;cookie page=&quot;1&quot;&gt;.*&lt;accountid last=&quot;\{[0-9A-F-]{36}\}&quot; first=&quot;\{[0-9A-F-]{36}\}&quot; \/&gt;&lt;\/cookie&gt;$/);

    const second = await suite.dwa.fetch({
      collection: "accounts",
      fetchXml,
      includeAnnotations: COOKIE,
      pageNumber: first.PagingInfo.nextPage,
      pagingCookie: first.PagingInfo.cookie,
    });
    assert.deepEqual(second.value.map((r) => r.name), [`${prefix} 03`, `${prefix} 04`]);
    const last = await suite.dwa.fetch({
      collection: "accounts",
      fetchXml,
      includeAnnotations: COOKIE,
      pageNumber: second.PagingInfo.nextPage,
      pagingCookie: second.PagingInfo.cookie,
    });
    assert.deepEqual(last.value.map((r) => r.name), [`${prefix} 05`]);
    assert.equal(last.PagingInfo, undefined, "no cookie on the last page");
  });

  it("fetchAll: follows at least three cookie pages and returns every row once", async () => {
    const prefix = unique("conf-fxa");
    const ids = await accounts(prefix, 7);
    const all = await suite.dwa.fetchAll({ collection: "accounts", fetchXml: byPrefix(prefix), includeAnnotations: COOKIE });
    assert.equal(all.value.length, 7);
    assert.deepEqual(all.value.map((r) => r.accountid), ids);
    assert.deepEqual(all.value.map((r) => r.numberofemployees), [10, 20, 30, 40, 50, 60, 70]);
  });

  it("link-entity columns come back as nested alias objects, with formatted values", async () => {
    const prefix = unique("conf-fxl");
    const [account] = await accounts(prefix, 1);
    const contactId = created.add(
      "contacts",
      await suite.dwa.create({ collection: "contacts", data: { firstname: "Ada", lastname: prefix, "parentcustomerid_account@odata.bind": `accounts(${account})` } }),
    );
    assert.match(contactId, GUID);
    const fetchXml =
      `<fetch><entity name="contact"><attribute name="fullname"/><attribute name="parentcustomerid"/>` +
      `<filter><condition attribute="lastname" operator="eq" value="${prefix}"/></filter>` +
      `<link-entity name="account" from="accountid" to="parentcustomerid" alias="acct"><attribute name="name"/><attribute name="numberofemployees"/></link-entity>` +
      `</entity></fetch>`;
    const r = await suite.dwa.fetch({ collection: "contacts", fetchXml, includeAnnotations: "*" });
    assert.equal(r.value.length, 1);
    const row = r.value[0];
    assert.equal(row.contactid, contactId);
    assert.equal(row.fullname, `Ada ${prefix}`);
    assert.equal(row._parentcustomerid_value, account);
    assert.equal(row.acct.name, `${prefix} 01`);
    assert.equal(row.acct.numberofemployees, 10);
    assert.equal(row.acct.numberofemployees_Formatted, "10");
  });

  it("impersonation: eq-userid sees the impersonated user", async () => {
    if (suite.target.kind === "live") return; // a live org's users differ; the emulator's seed has two
    const me = await suite.dwa.callFunction({ functionName: "WhoAmI" });
    const users = await suite.dwa.retrieveMultiple({ collection: "systemusers", select: ["systemuserid"] });
    const other = users.value.map((u) => u.systemuserid).find((id) => id !== me.UserId);
    assert.ok(other, "the seed org has a second user");
    const fetchXml = `<fetch><entity name="systemuser"><attribute name="systemuserid"/><filter><condition attribute="systemuserid" operator="eq-userid"/></filter></entity></fetch>`;
    const self = await suite.dwa.fetch({ collection: "systemusers", fetchXml });
    assert.deepEqual(self.value.map((u) => u.systemuserid), [me.UserId]);
    const impersonated = await suite.dwa.fetch({ collection: "systemusers", fetchXml, impersonate: other });
    assert.deepEqual(impersonated.value.map((u) => u.systemuserid), [other]);
  });

  it("a bad FetchXML query is a Dataverse error", async () => {
    const fetchXml = `<fetch><entity name="account"><attribute name="conf_nosuchcolumn"/></entity></fetch>`;
    await assert.rejects(suite.dwa.fetch({ collection: "accounts", fetchXml }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, "0x80041103");
      return true;
    });
  });
});
