// Functions and actions through the real dynamics-web-api 2.5.0 client: callFunction (unbound, with
// parameters turned into @p aliases) and callAction (unbound and bound to an entity set). Request and
// response shapes: shared/reference/client-dynamics-web-api.md §3 (callFunction/callAction rows) and
// dataverse-wire.md §7.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

/** Dataverse error code for "Resource not found for the segment '…'". */
const SEGMENT_NOT_FOUND = "0x8006088a";

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

  it("callAction UpdateMultiple answers 204, which the client returns as undefined", async () => {
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name: unique("conf-um") } }));
    const Targets = [{ accountid: id, telephone1: "555-0199", "@odata.type": "Microsoft.Dynamics.CRM.account" }];
    const result = await suite.dwa.callAction({ collection: "accounts", actionName: "Microsoft.Dynamics.CRM.UpdateMultiple", action: { Targets } });
    assert.equal(result, undefined);
    const row = await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["telephone1"] });
    assert.equal(row.telephone1, "555-0199");
  });

  it("an unknown function rejects with 404 and the unknown-segment code", async () => {
    await assert.rejects(suite.dwa.callFunction({ name: "conf_NoSuchFunction" }), { status: 404, code: SEGMENT_NOT_FOUND });
  });
});
