// Record operations (create, retrieve, update, upsert, delete, lookups, $ref, errors) driven through the
// real dynamics-web-api 2.5.0 client. Request and response shapes: shared/reference/client-dynamics-web-api.md
// §3.1 (records), §3.3 ($ref), §2.3 (errors). Every test creates its own uniquely named records.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, WEAK_ETAG, etagVersion, unique } from "../lib/helpers.mjs";

/** Dataverse error code for "<entity> With Id = … Does Not Exist". */
const RECORD_NOT_FOUND = "0x80040217";
/** Dataverse error code for "Resource not found for the segment '…'". */
// Microsoft's "Troubleshoot Dataverse Web API client errors" page shows this code for an unknown segment.
const SEGMENT_NOT_FOUND = "0x80060888";

describe("dynamics-web-api 2.5.0: records", { timeout: 30_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  /** Creates a contact named `Ada <unique>` and tracks it for cleanup. */
  async function createContact(extra = {}) {
    const data = { firstname: "Ada", lastname: unique("Lovelace"), ...extra };
    const id = created.add("contacts", await suite.dwa.create({ collection: "contacts", data }));
    assert.match(id, GUID);
    return { id, ...data };
  }

  /** Creates an account with a unique name and tracks it for cleanup. */
  async function createAccount(extra = {}) {
    const data = { name: unique("conf-account"), ...extra };
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data }));
    assert.match(id, GUID);
    return { id, ...data };
  }

  /** The contact's parent customer lookup value (`null` when the lookup is empty). */
  async function parentCustomerOf(contactId) {
    const contact = await suite.dwa.retrieve({ collection: "contacts", key: contactId, select: ["_parentcustomerid_value"] });
    return contact._parentcustomerid_value;
  }

  it("create returns the new id, and retrieve honours $select and computes fullname", async () => {
    const data = { firstname: "Grace", lastname: unique("Hopper"), emailaddress1: `${unique("grace")}@example.com` };
    const id = await suite.dwa.create({ collection: "contacts", data });
    assert.equal(typeof id, "string");
    assert.match(id, GUID);
    created.add("contacts", id);

    const contact = await suite.dwa.retrieve({
      collection: "contacts",
      key: id,
      select: ["firstname", "lastname", "fullname", "emailaddress1"],
    });
    assert.equal(contact.contactid, id);
    assert.equal(contact.firstname, data.firstname);
    assert.equal(contact.lastname, data.lastname);
    assert.equal(contact.emailaddress1, data.emailaddress1);
    assert.equal(contact.fullname, `${data.firstname} ${data.lastname}`);
    assert.ok(
      contact.oDataContext.endsWith("$metadata#contacts(firstname,lastname,fullname,emailaddress1)/$entity"),
      `unexpected @odata.context: ${contact.oDataContext}`,
    );
    assert.match(contact["@odata.etag"], WEAK_ETAG);
  });

  it("create with returnRepresentation returns the selected columns and the primary key", async () => {
    const data = { name: unique("conf-repr"), accountnumber: unique("REPR") };
    const account = await suite.dwa.create({
      collection: "accounts",
      data,
      returnRepresentation: true,
      select: ["name", "accountnumber"],
    });
    assert.equal(typeof account, "object");
    assert.match(account.accountid, GUID);
    created.add("accounts", account.accountid);
    assert.equal(account.name, data.name);
    assert.equal(account.accountnumber, data.accountnumber);
    assert.match(account["@odata.etag"], WEAK_ETAG);
  });

  it("update (If-Match: *) changes a field and bumps the ETag", async () => {
    const contact = await createContact();
    const before = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname"] });

    const result = await suite.dwa.update({ collection: "contacts", key: contact.id, data: { firstname: "Augusta" } });
    assert.equal(result, true);

    const after = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname", "fullname"] });
    assert.equal(after.firstname, "Augusta");
    assert.equal(after.fullname, `Augusta ${contact.lastname}`);
    assert.ok(
      etagVersion(after["@odata.etag"]) > etagVersion(before["@odata.etag"]),
      `ETag did not grow: ${before["@odata.etag"]} -> ${after["@odata.etag"]}`,
    );
  });

  it("update with a stale If-Match returns false (412) and changes nothing", async () => {
    const contact = await createContact();
    const original = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname"] });
    assert.equal(await suite.dwa.update({ collection: "contacts", key: contact.id, data: { firstname: "Second" } }), true);
    const current = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname"] });
    assert.notEqual(current["@odata.etag"], 'W/"1"', "precondition: the record must be past version 1");

    for (const ifmatch of ['W/"1"', original["@odata.etag"]]) {
      const result = await suite.dwa.update({ collection: "contacts", key: contact.id, data: { firstname: "Lost" }, ifmatch });
      assert.equal(result, false, `If-Match: ${ifmatch}`);
    }

    const unchanged = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname"] });
    assert.equal(unchanged.firstname, "Second");
    assert.equal(unchanged["@odata.etag"], current["@odata.etag"]);

    // The matching ETag is accepted.
    const ifmatch = current["@odata.etag"];
    assert.equal(await suite.dwa.update({ collection: "contacts", key: contact.id, data: { firstname: "Third" }, ifmatch }), true);
  });

  it("update of a missing id rejects with 404 0x80040217 and does not create it", async () => {
    const missing = randomUUID();
    await assert.rejects(suite.dwa.update({ collection: "contacts", key: missing, data: { firstname: "Ghost" } }), {
      status: 404,
      code: RECORD_NOT_FOUND,
    });
    await assert.rejects(suite.dwa.retrieve({ collection: "contacts", key: missing, select: ["firstname"] }), { status: 404 });
  });

  describe("upsert", () => {
    it("creates a record at a client-chosen id and returns that id", async () => {
      const id = randomUUID();
      const lastname = unique("Upserted");
      const result = await suite.dwa.upsert({ collection: "contacts", key: id, data: { firstname: "Ada", lastname } });
      created.add("contacts", id);
      assert.equal(result, id);

      const contact = await suite.dwa.retrieve({ collection: "contacts", key: id, select: ["lastname"] });
      assert.equal(contact.contactid, id);
      assert.equal(contact.lastname, lastname);
    });

    it("updates the record when it already exists", async () => {
      const id = randomUUID();
      created.add("contacts", id);
      assert.equal(await suite.dwa.upsert({ collection: "contacts", key: id, data: { lastname: unique("First") } }), id);

      const lastname = unique("Second");
      assert.equal(await suite.dwa.upsert({ collection: "contacts", key: id, data: { lastname } }), id);
      const contact = await suite.dwa.retrieve({ collection: "contacts", key: id, select: ["lastname"] });
      assert.equal(contact.lastname, lastname);
    });

    it("with If-None-Match: * returns null (412) for an existing record and leaves it alone", async () => {
      const contact = await createContact();
      const result = await suite.dwa.upsert({
        collection: "contacts",
        key: contact.id,
        data: { lastname: "Overwritten" },
        ifnonematch: "*",
      });
      assert.equal(result, null);
      const after = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["lastname"] });
      assert.equal(after.lastname, contact.lastname);
    });

    it("with If-Match: * returns null (404) for a missing id and creates nothing", async () => {
      const id = randomUUID();
      const result = await suite.dwa.upsert({ collection: "contacts", key: id, data: { lastname: "Never" }, ifmatch: "*" });
      assert.equal(result, null);
      await assert.rejects(suite.dwa.retrieve({ collection: "contacts", key: id, select: ["lastname"] }), {
        status: 404,
        code: RECORD_NOT_FOUND,
      });
    });
  });

  it("retrieve and update by alternate key (accountnumber)", async () => {
    const account = await createAccount({ accountnumber: unique("CONF") });
    const key = `accountnumber='${account.accountnumber}'`;

    const byKey = await suite.dwa.retrieve({ collection: "accounts", key, select: ["name", "accountnumber"] });
    assert.equal(byKey.accountid, account.id);
    assert.equal(byKey.name, account.name);

    const renamed = unique("conf-renamed");
    assert.equal(await suite.dwa.update({ collection: "accounts", key, data: { name: renamed } }), true);
    const byId = await suite.dwa.retrieve({ collection: "accounts", key: account.id, select: ["name"] });
    assert.equal(byId.name, renamed);
  });

  it("deleteRecord returns true and the record is gone (404 0x80040217 Does Not Exist)", async () => {
    const contact = await createContact();
    assert.equal(await suite.dwa.deleteRecord({ collection: "contacts", key: contact.id }), true);
    await assert.rejects(suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname"] }), {
      status: 404,
      code: RECORD_NOT_FOUND,
      message: /Does Not Exist/,
    });
  });

  it("create binds a lookup with @odata.bind; annotations describe it", async () => {
    const account = await createAccount();
    const contact = await createContact({ "parentcustomerid_account@odata.bind": `accounts(${account.id})` });

    const retrieved = await suite.dwa.retrieve({
      collection: "contacts",
      key: contact.id,
      select: ["_parentcustomerid_value"],
      includeAnnotations: "*",
    });
    assert.equal(retrieved._parentcustomerid_value, account.id);
    assert.equal(retrieved._parentcustomerid_value_LogicalName, "account");
    assert.equal(retrieved._parentcustomerid_value_NavigationProperty, "parentcustomerid_account");
    assert.equal(retrieved._parentcustomerid_value_Formatted, account.name);
  });

  describe("associate / disassociate ($ref)", () => {
    it("collection-valued: accounts(id)/contact_customer_accounts", async () => {
      const account = await createAccount();
      const contact = await createContact();

      const associated = await suite.dwa.associate({
        collection: "accounts",
        primaryKey: account.id,
        relationshipName: "contact_customer_accounts",
        relatedCollection: "contacts",
        relatedKey: contact.id,
      });
      assert.equal(associated, undefined);
      assert.equal(await parentCustomerOf(contact.id), account.id);

      await suite.dwa.disassociate({
        collection: "accounts",
        primaryKey: account.id,
        relationshipName: "contact_customer_accounts",
        relatedKey: contact.id,
      });
      assert.equal(await parentCustomerOf(contact.id), null);
    });

    it("single-valued: contacts(id)/parentcustomerid_account", async () => {
      const account = await createAccount();
      const contact = await createContact();

      await suite.dwa.associateSingleValued({
        collection: "contacts",
        primaryKey: contact.id,
        navigationProperty: "parentcustomerid_account",
        relatedCollection: "accounts",
        relatedKey: account.id,
      });
      assert.equal(await parentCustomerOf(contact.id), account.id);

      await suite.dwa.disassociateSingleValued({
        collection: "contacts",
        primaryKey: contact.id,
        navigationProperty: "parentcustomerid_account",
      });
      assert.equal(await parentCustomerOf(contact.id), null);
    });

    it("single-valued: accounts(id)/primarycontactid", async () => {
      const account = await createAccount();
      const contact = await createContact();
      const primaryContactOf = async () =>
        (await suite.dwa.retrieve({ collection: "accounts", key: account.id, select: ["_primarycontactid_value"] }))
          ._primarycontactid_value;

      await suite.dwa.associateSingleValued({
        collection: "accounts",
        primaryKey: account.id,
        navigationProperty: "primarycontactid",
        relatedCollection: "contacts",
        relatedKey: contact.id,
      });
      assert.equal(await primaryContactOf(), contact.id);

      await suite.dwa.disassociateSingleValued({ collection: "accounts", primaryKey: account.id, navigationProperty: "primarycontactid" });
      assert.equal(await primaryContactOf(), null);
    });
  });

  it("updateSingleProperty (PUT …/firstname) and deleteRecord with property (DELETE …/emailaddress1)", async () => {
    const contact = await createContact({ emailaddress1: `${unique("solo")}@example.com` });

    await suite.dwa.updateSingleProperty({ collection: "contacts", key: contact.id, fieldValuePair: { firstname: "Solo" } });
    const renamed = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname", "fullname"] });
    assert.equal(renamed.firstname, "Solo");
    assert.equal(renamed.fullname, `Solo ${contact.lastname}`);

    assert.equal(await suite.dwa.deleteRecord({ collection: "contacts", key: contact.id, property: "emailaddress1" }), true);
    const cleared = await suite.dwa.retrieve({ collection: "contacts", key: contact.id, select: ["firstname", "emailaddress1"] });
    assert.equal(cleared.emailaddress1, null);
    assert.equal(cleared.firstname, "Solo");
  });

  describe("error shape", () => {
    it("an unknown entity set rejects with 404 0x80060888", async () => {
      await assert.rejects(suite.dwa.retrieveMultiple({ collection: "accountz", select: ["name"] }), (error) => {
        assert.equal(error.status, 404);
        assert.equal(error.code, SEGMENT_NOT_FOUND);
        assert.match(error.message, /accountz/);
        return true;
      });
    });

    it("an unknown attribute on create rejects with 400 and a 0x… code", async () => {
      const data = { name: unique("conf-bad"), conf_nosuchattribute: "x" };
      await assert.rejects(suite.dwa.create({ collection: "accounts", data }), (error) => {
        assert.equal(error.status, 400);
        assert.match(error.code, /^0x[0-9a-fA-F]+$/);
        assert.ok(error.message, "the error carries a message");
        return true;
      });
    });
  });

  it("phonecall with activity parties and a regarding account", async () => {
    const { UserId: userId } = await suite.dwa.callFunction("WhoAmI");
    assert.match(userId, GUID);
    const account = await createAccount();
    const contact = await createContact();

    const subject = unique("conf-call");
    const phonecallId = await suite.dwa.create({
      collection: "phonecalls",
      data: {
        subject,
        phonenumber: "+1 555 0100",
        directioncode: true,
        "regardingobjectid_account_phonecall@odata.bind": `/accounts(${account.id})`,
        phonecall_activity_parties: [
          { "partyid_contact@odata.bind": `/contacts(${contact.id})`, participationtypemask: 2 },
          { "partyid_systemuser@odata.bind": `/systemusers(${userId})`, participationtypemask: 1 },
        ],
      },
    });
    assert.match(phonecallId, GUID);
    created.add("phonecalls", phonecallId);

    const call = await suite.dwa.retrieve({
      collection: "phonecalls",
      key: phonecallId,
      select: ["subject", "phonenumber", "directioncode", "_regardingobjectid_value"],
    });
    assert.equal(call.subject, subject);
    assert.equal(call.phonenumber, "+1 555 0100");
    assert.equal(call.directioncode, true);
    assert.equal(call._regardingobjectid_value, account.id);

    // GET phonecalls(<id>)/phonecall_activity_parties?$select=…
    const parties = await suite.dwa.retrieveMultiple({
      collection: `phonecalls(${phonecallId})/phonecall_activity_parties`,
      select: ["_partyid_value", "participationtypemask"],
      includeAnnotations: "*",
    });
    const summary = parties.value
      .map((party) => [party.participationtypemask, party._partyid_value, party._partyid_value_LogicalName])
      .sort((a, b) => a[0] - b[0]);
    assert.deepEqual(
      summary.filter(([mask]) => mask === 1 || mask === 2),
      [
        [1, userId, "systemuser"],
        [2, contact.id, "contact"],
      ],
    );
    // Dataverse may add its own Regarding (8) and Owner (9) parties (UNCONFIRMED against a live org);
    // anything else would be a party nobody asked for.
    const extra = summary.filter(([mask]) => mask !== 1 && mask !== 2);
    assert.ok(extra.every(([mask]) => mask === 8 || mask === 9), `unexpected parties: ${JSON.stringify(extra)}`);
  });
});
