// Functions and actions through the real dynamics-web-api 2.5.0 client: callFunction (unbound, with
// parameters turned into @p aliases) and callAction (unbound and bound to an entity set). Request and
// response shapes: shared/reference/client-dynamics-web-api.md §3 (callFunction/callAction rows) and
// dataverse-wire.md §7.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

/** Dataverse error code for "Resource not found for the segment '…'". */
const SEGMENT_NOT_FOUND = "0x80060888";

describe("dynamics-web-api 2.5.0: functions and actions", { timeout: 30_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  it("callFunction WhoAmI answers the caller, its business unit and the org", async () => {
    const me = await suite.dwa.callFunction("WhoAmI");
    assert.match(me.UserId, GUID);
    assert.match(me.BusinessUnitId, GUID);
    assert.match(me.OrganizationId, GUID);
  });

  it("callFunction RetrieveTotalRecordCount passes a collection parameter as an alias", async () => {
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name: unique("conf-count") } }));
    assert.match(id, GUID);
    const result = await suite.dwa.callFunction({ name: "RetrieveTotalRecordCount", parameters: { EntityNames: ["account", "contact"] } });
    const counts = result.EntityRecordCountCollection;
    assert.deepEqual(counts.Keys, ["account", "contact"]);
    assert.equal(counts.Count, 2);
    assert.ok(counts.Values.every((n) => Number.isInteger(n)));
    assert.ok(counts.Values[0] >= 1);
  });

  it("callAction CreateMultiple bound to the entity set returns the new ids in order", async () => {
    const prefix = unique("conf-cm");
    const Targets = [0, 1, 2].map((i) => ({ name: `${prefix}-${i}`, "@odata.type": "Microsoft.Dynamics.CRM.account" }));
    const result = await suite.dwa.callAction({ collection: "accounts", actionName: "Microsoft.Dynamics.CRM.CreateMultiple", action: { Targets } });
    assert.equal(result.Ids.length, 3);
    result.Ids.forEach((id) => created.add("accounts", id));
    const names = await Promise.all(result.Ids.map(async (key) => (await suite.dwa.retrieve({ collection: "accounts", key, select: ["name"] })).name));
    assert.deepEqual(names, [0, 1, 2].map((i) => `${prefix}-${i}`));
  });

  it("callAction with respondAsync runs in the background; getBackgroundOperationStatus and cancelBackgroundOperation follow it", async () => {
    // sample_CalculateDiscount and sample_Ping are the default org's Custom APIs.
    const accepted = await suite.dwa.callAction({ actionName: "sample_CalculateDiscount", action: { Amount: 100.5, CustomerTier: "Gold" }, respondAsync: true });
    assert.match(accepted.backgroundOperationId, GUID);
    assert.match(accepted.location, new RegExp(`/api/backgroundoperation/${accepted.backgroundOperationId}$`));
    const status = await suite.dwa.getBackgroundOperationStatus(accepted.backgroundOperationId);
    assert.deepEqual(
      [status.backgroundOperationStateCode, status.backgroundOperationStatusCode, status.Discount, status.Reason],
      [3, 30, 12.5, "Loyal customer"],
    );

    const waiting = await suite.dwa.callAction({ actionName: "sample_Ping", respondAsync: true });
    const canceling = await suite.dwa.cancelBackgroundOperation(waiting.backgroundOperationId);
    assert.deepEqual([canceling.backgroundOperationStateCode, canceling.backgroundOperationStatusCode], [2, 22]);
    const canceled = await suite.dwa.getBackgroundOperationStatus(waiting.backgroundOperationId);
    assert.deepEqual([canceled.backgroundOperationStateCode, canceled.backgroundOperationStatusCode], [3, 32]);
  });

  it("callAction UpdateMultiple answers 204, which the client returns as undefined", async () => {
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name: unique("conf-um") } }));
    const Targets = [{ accountid: id, telephone1: "555-0199", "@odata.type": "Microsoft.Dynamics.CRM.account" }];
    const result = await suite.dwa.callAction({ collection: "accounts", actionName: "Microsoft.Dynamics.CRM.UpdateMultiple", action: { Targets } });
    assert.equal(result, undefined);
    const row = await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["telephone1"] });
    assert.equal(row.telephone1, "555-0199");
  });

  it("callAction calls a Custom API declared in the emulator's fixture and gets its canned response", async () => {
    // sample_CalculateDiscount is the example in fixtures/default-org/custom-apis.json (emulator only).
    const result = await suite.dwa.callAction({ actionName: "sample_CalculateDiscount", action: { Amount: 100, CustomerTier: "Gold" } });
    assert.equal(result.Discount, 12.5);
    assert.equal(result.Reason, "Loyal customer");
    await assert.rejects(suite.dwa.callAction({ actionName: "sample_CalculateDiscount", action: {} }), { status: 400 });
  });

  it("callAction QualifyLead bound to a lead creates the account, contact and opportunity", async () => {
    const name = unique("conf-ql");
    const key = created.add("leads", await suite.dwa.create({ collection: "leads", data: { subject: name, lastname: name, companyname: name } }));
    const result = await suite.dwa.callAction({
      collection: "leads",
      key,
      actionName: "Microsoft.Dynamics.CRM.QualifyLead",
      action: { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 },
    });
    const refs = result.value;
    assert.deepEqual(refs.map((r) => r["@odata.type"]), ["account", "contact", "opportunity"].map((t) => `#Microsoft.Dynamics.CRM.${t}`));
    const [accountid, contactid, opportunityid] = [refs[0].accountid, refs[1].contactid, refs[2].opportunityid];
    created.add("accounts", accountid);
    created.add("contacts", contactid);
    created.add("opportunities", opportunityid);
    const account = await suite.dwa.retrieve({ collection: "accounts", key: accountid, select: ["name"] });
    assert.equal(account.name, name);
    const lead = await suite.dwa.retrieve({ collection: "leads", key, select: ["statecode", "statuscode"] });
    assert.deepEqual([lead.statecode, lead.statuscode], [1, 3]);
  });

  it("an unknown function rejects with 404 and the unknown-segment code", async () => {
    await assert.rejects(suite.dwa.callFunction({ name: "conf_NoSuchFunction" }), { status: 404, code: SEGMENT_NOT_FOUND });
  });
});
