// Issue 8, scenarios 1 and 2 through the real dynamics-web-api 2.5.0 client (the raw-HTTP versions are
// scenarios/phonecall-activity-parties.json and scenarios/contact-centre-phonecall.json). Wire facts:
// dataverse-wire.md §1.1 (deep insert, @odata.bind), §1.7 (activity parties), §2.6 ($expand).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

/** participationtypemask values (activityparty): Sender ("call from"), To Recipient ("call to"). */
const FROM = 1;
const TO = 2;

describe("dynamics-web-api 2.5.0: phone calls (scenarios 1 and 2)", { timeout: 30_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  it("scenario 1: phone call with an owner and activity parties, read back with $expand of the parties", async () => {
    const { UserId: me } = await suite.dwa.callFunction("WhoAmI");
    const lastname = unique("conf-callee");
    const contact = created.add("contacts", await suite.dwa.create({ collection: "contacts", data: { firstname: "Grace", lastname, telephone1: "555-0142" } }));
    assert.match(contact, GUID);

    const subject = unique("conf-call");
    const call = created.add(
      "phonecalls",
      await suite.dwa.create({
        collection: "phonecalls",
        data: {
          subject,
          phonenumber: "555-0142",
          directioncode: true,
          "ownerid@odata.bind": `/systemusers(${me})`,
          phonecall_activity_parties: [
            { "partyid_contact@odata.bind": `/contacts(${contact})`, participationtypemask: TO },
            { "partyid_systemuser@odata.bind": `/systemusers(${me})`, participationtypemask: FROM },
          ],
        },
      }),
    );
    assert.match(call, GUID);

    const read = await suite.dwa.retrieve({
      collection: "phonecalls",
      key: call,
      select: ["subject", "phonenumber", "_ownerid_value"],
      expand: [{ property: "phonecall_activity_parties", select: ["participationtypemask", "_partyid_value"] }],
      includeAnnotations: "Microsoft.Dynamics.CRM.lookuplogicalname",
    });
    assert.deepEqual([read.activityid, read.subject, read.phonenumber, read._ownerid_value], [call, subject, "555-0142", me]);
    const parties = read.phonecall_activity_parties
      .filter((p) => p.participationtypemask === FROM || p.participationtypemask === TO)
      .map((p) => [p.participationtypemask, p._partyid_value, p._partyid_value_LogicalName])
      .sort((a, b) => a[0] - b[0]);
    assert.deepEqual(parties, [
      [FROM, me, "systemuser"],
      [TO, contact, "contact"],
    ]);
    // Dataverse may add its own Regarding (8) and Owner (9) parties; nothing else.
    const others = read.phonecall_activity_parties.map((p) => p.participationtypemask).filter((m) => m !== FROM && m !== TO);
    assert.ok(others.every((m) => m === 8 || m === 9), `unexpected parties: ${others}`);
  });

  it("scenario 2: the contact-centre flow — create with return=representation, PATCH the category, PATCH a description", async () => {
    const subject = unique("conf-inbound");
    const call = await suite.dwa.create({
      collection: "phonecalls",
      data: { subject, phonenumber: "+1 555 0100", actualstart: "2026-01-15T09:30:00Z" },
      returnRepresentation: true,
      select: ["subject", "phonenumber", "actualstart"],
    });
    created.add("phonecalls", call.activityid);
    assert.match(call.activityid, GUID);
    assert.equal(call.subject, subject);
    assert.equal(call.phonenumber, "+1 555 0100");
    // The client's date reviver turns `2026-01-15T09:30:00Z` into a Date (client reference §2.1).
    assert.equal(new Date(call.actualstart).toISOString(), "2026-01-15T09:30:00.000Z");
    assert.match(call["@odata.etag"], /^W\/"\d+"$/);

    assert.equal(await suite.dwa.update({ collection: "phonecalls", key: call.activityid, data: { category: "Billing" } }), true);
    assert.equal(await suite.dwa.update({ collection: "phonecalls", key: call.activityid, data: { description: "Customer asked about the March invoice." } }), true);

    const read = await suite.dwa.retrieve({ collection: "phonecalls", key: call.activityid, select: ["subject", "phonenumber", "category", "description"] });
    assert.deepEqual(
      [read.subject, read.phonenumber, read.category, read.description],
      [subject, "+1 555 0100", "Billing", "Customer asked about the March invoice."],
    );
  });
});
