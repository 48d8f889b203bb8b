// `$batch` through the real dynamics-web-api 2.5.0 client: startBatch(), queued calls, executeBatch().
// Wire format: shared/reference/client-dynamics-web-api.md §6 (what the client sends and parses) and
// shared/reference/dataverse-wire.md §4. The client maps results to requests by position and, after a
// changeset of two or more requests, applies the wrong parse flags to later parts (§8). So every batch
// here puts its GETs before its changeset, or asserts nothing positional after the changeset; effects
// are checked with ordinary calls afterwards.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

/** Dataverse error code for "<entity> With Id = … Does Not Exist". */
const RECORD_NOT_FOUND = "0x80040217";

describe("dynamics-web-api 2.5.0: $batch", { timeout: 30_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  /** Creates a contact outside any batch and tracks it for cleanup. */
  async function createContact(lastname, extra = {}) {
    const id = created.add("contacts", await suite.dwa.create({ collection: "contacts", data: { firstname: "Ada", lastname, ...extra } }));
    assert.match(id, GUID);
    return id;
  }

  /** The lastnames of contacts whose lastname starts with `prefix`, sorted. */
  async function lastnamesStartingWith(prefix) {
    const found = await suite.dwa.retrieveMultiple({
      collection: "contacts",
      select: ["lastname"],
      filter: `startswith(lastname,'${prefix}')`,
      orderBy: ["lastname"],
    });
    return found.value.map((c) => c.lastname);
  }

  /** Asserts an Error object the client built from an error part. */
  function assertErrorPart(part, status, code) {
    assert.ok(part instanceof Error, `expected an Error, got ${JSON.stringify(part)}`);
    assert.equal(part.status, status);
    if (code) assert.equal(part.error?.code, code);
    else assert.match(part.error?.code ?? "", /^0x[0-9a-fA-F]{8}$/);
    assert.ok(part.error?.message, "the error part carries a message");
  }

  it("GETs, then a changeset of two creates (the second bound to $1), an update and a delete", async () => {
    const prefix = unique("Batch");
    const kept = await createContact(`${prefix}-kept`);
    const doomed = await createContact(`${prefix}-doomed`);
    const accountName = unique("conf-batch");

    suite.dwa.startBatch();
    suite.dwa.retrieveMultiple({
      collection: "contacts",
      select: ["firstname", "lastname"],
      filter: `startswith(lastname,'${prefix}')`,
      orderBy: ["lastname desc"],
    });
    suite.dwa.count({ collection: "contacts", filter: `startswith(lastname,'${prefix}')` });
    suite.dwa.create({ collection: "contacts", data: { firstname: "Bea", lastname: `${prefix}-new` }, contentId: "1" });
    suite.dwa.create({ collection: "accounts", data: { name: accountName, "primarycontactid@odata.bind": "$1" } });
    suite.dwa.update({ collection: "contacts", key: kept, data: { firstname: "Updated" } });
    suite.dwa.deleteRecord({ collection: "contacts", key: doomed });
    const results = await suite.dwa.executeBatch();

    assert.equal(results.length, 6, JSON.stringify(results));
    const [query, count, contactId, accountId, updated, deleted] = results;
    created.add("contacts", contactId);
    created.add("accounts", accountId);
    assert.deepEqual(
      query.value.map((c) => [c.firstname, c.lastname]),
      [
        ["Ada", `${prefix}-kept`],
        ["Ada", `${prefix}-doomed`],
      ],
    );
    assert.ok(query.oDataContext.endsWith("$metadata#contacts(firstname,lastname)"), query.oDataContext);
    assert.equal(count, 2);
    assert.match(contactId, GUID);
    assert.match(accountId, GUID);
    assert.notEqual(contactId, accountId);
    assert.equal(updated, true);
    assert.equal(deleted, true);

    const account = await suite.dwa.retrieve({ collection: "accounts", key: accountId, select: ["name", "_primarycontactid_value"] });
    assert.equal(account.name, accountName);
    assert.equal(account._primarycontactid_value, contactId);
    const contact = await suite.dwa.retrieve({ collection: "contacts", key: contactId, select: ["fullname"] });
    assert.equal(contact.fullname, `Bea ${prefix}-new`);
    const updatedContact = await suite.dwa.retrieve({ collection: "contacts", key: kept, select: ["firstname"] });
    assert.equal(updatedContact.firstname, "Updated");
    await assert.rejects(suite.dwa.retrieve({ collection: "contacts", key: doomed, select: ["lastname"] }), {
      status: 404,
      code: RECORD_NOT_FOUND,
    });
  });

  it("Content-ID references in request URLs: update, single-property PUT and associate through $1", async () => {
    const prefix = unique("BatchRef");
    const account = created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name: unique("conf-ref") } }));

    suite.dwa.startBatch();
    suite.dwa.create({ collection: "contacts", data: { firstname: "Ref", lastname: `${prefix}-a` }, contentId: "1" });
    suite.dwa.update({ contentId: "$1", data: { firstname: "Patched" } });
    suite.dwa.updateSingleProperty({ contentId: "$1", fieldValuePair: { lastname: `${prefix}-b` } });
    suite.dwa.associate({ collection: "accounts", primaryKey: account, relationshipName: "contact_customer_accounts", relatedKey: "$1" });
    const results = await suite.dwa.executeBatch();

    assert.equal(results.length, 4, JSON.stringify(results));
    const contactId = created.add("contacts", results[0]);
    assert.match(contactId, GUID);
    assert.equal(results[1], true);

    const contact = await suite.dwa.retrieve({
      collection: "contacts",
      key: contactId,
      select: ["firstname", "lastname", "_parentcustomerid_value"],
    });
    assert.equal(contact.firstname, "Patched");
    assert.equal(contact.lastname, `${prefix}-b`);
    assert.equal(contact._parentcustomerid_value, account);
  });

  it("a failing changeset rejects with its error part, and none of its requests take effect", async () => {
    const prefix = unique("BatchFail");
    const bystander = await createContact(`${prefix}-bystander`);

    suite.dwa.startBatch();
    suite.dwa.create({ collection: "contacts", data: { lastname: `${prefix}-1` } });
    suite.dwa.update({ collection: "contacts", key: bystander, data: { firstname: "Changed" } });
    suite.dwa.create({ collection: "contacts", data: { lastname: `${prefix}-2`, numberofchildren: -5 } });
    const rejection = await suite.dwa.executeBatch().then(
      (results) => assert.fail(`executeBatch resolved: ${JSON.stringify(results)}`),
      (error) => error,
    );

    assert.ok(Array.isArray(rejection), `expected the result array, got ${rejection}`);
    assert.equal(rejection.length, 1, "one error part stands for the whole changeset");
    assertErrorPart(rejection[0], 400);
    assert.deepEqual(await lastnamesStartingWith(prefix), [`${prefix}-bystander`]);
    const unchanged = await suite.dwa.retrieve({ collection: "contacts", key: bystander, select: ["firstname"] });
    assert.equal(unchanged.firstname, "Ada");
  });

  describe("errors outside changesets", () => {
    /** Queues: an update of a missing id, then a create of `lastname`, both top-level. */
    function queueFailureThenCreate(lastname) {
      suite.dwa.startBatch();
      suite.dwa.update({ collection: "contacts", key: randomUUID(), data: { firstname: "Ghost" }, inChangeSet: false });
      suite.dwa.create({ collection: "contacts", data: { lastname }, inChangeSet: false });
    }

    it("without continueOnError, the first failure rejects the batch and later requests don't run", async () => {
      const lastname = unique("BatchStop");
      queueFailureThenCreate(lastname);
      const rejection = await suite.dwa.executeBatch().then(
        (results) => assert.fail(`executeBatch resolved: ${JSON.stringify(results)}`),
        (error) => error,
      );
      assert.ok(Array.isArray(rejection), `expected the result array, got ${rejection}`);
      assert.equal(rejection.length, 1, JSON.stringify(rejection));
      assertErrorPart(rejection[0], 404, RECORD_NOT_FOUND);
      assert.deepEqual(await lastnamesStartingWith(lastname), []);
    });

    it("with continueOnError, the batch resolves and later requests run", async () => {
      const lastname = unique("BatchGoOn");
      queueFailureThenCreate(lastname);
      const results = await suite.dwa.executeBatch({ continueOnError: true });
      assert.equal(results.length, 2, JSON.stringify(results));
      assertErrorPart(results[0], 404, RECORD_NOT_FOUND);
      const id = created.add("contacts", results[1]);
      assert.match(id, GUID);
      const contact = await suite.dwa.retrieve({ collection: "contacts", key: id, select: ["lastname"] });
      assert.equal(contact.lastname, lastname);
    });
  });
});
