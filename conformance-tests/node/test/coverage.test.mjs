// dynamics-web-api 2.5.0 operations the other files don't reach, so every public operation the emulator
// supports has a test (conformance-tests/operations/node.json maps each operation to its tests):
// retrieve with If-None-Match (304), the useEntityNames configuration with Utility.getCollectionName,
// relationship definitions (create, retrieve, list, delete) and a global choice read.
// Client behaviour: shared/reference/client-dynamics-web-api.md §3.1, §3.5.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

describe("dynamics-web-api 2.5.0: remaining operations", { timeout: 30_000 }, () => {
  const suite = useTarget();
  const { created } = suite;

  it("retrieve with ifnonematch: the current ETag gives 304 (undefined), an older one the record", async () => {
    const name = unique("conf-cov");
    const id = created.add("accounts", await suite.dwa.create({ collection: "accounts", data: { name } }));
    const first = await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["name"] });
    const etag = first["@odata.etag"];
    assert.equal(await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["name"], ifnonematch: etag }), undefined);
    await suite.dwa.update({ collection: "accounts", key: id, data: { name: `${name}-2` } });
    const changed = await suite.dwa.retrieve({ collection: "accounts", key: id, select: ["name"], ifnonematch: etag });
    assert.equal(changed.name, `${name}-2`);
    assert.notEqual(changed["@odata.etag"], etag);
  });

  it("useEntityNames: logical names in collection and @odata.bind; Utility.getCollectionName", async () => {
    const dwa = suite.dwa.initializeInstance();
    dwa.setConfig({ useEntityNames: true });
    const name = unique("conf-covn");
    const account = created.add("accounts", await dwa.create({ collection: "account", data: { name } }));
    assert.match(account, GUID);
    assert.equal(dwa.Utility.getCollectionName("account"), "accounts");
    assert.equal(dwa.Utility.getCollectionName("phonecall"), "phonecalls");
    const contact = created.add("contacts", await dwa.create({ collection: "contact", data: { lastname: name, "parentcustomerid_account@odata.bind": `account(${account})` } }));
    const read = await dwa.retrieve({ collection: "contact", key: contact, select: ["lastname", "_parentcustomerid_value"] });
    assert.deepEqual([read.lastname, read._parentcustomerid_value], [name, account]);
  });

  it("updateRelationship: a one-to-many's cascade configuration changes and reads back", async () => {
    const suffix = unique("r").split("-")[1];
    const cast = "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata";
    const id = await suite.dwa.createRelationship({
      data: {
        "@odata.type": cast,
        SchemaName: `conf_account_contact_${suffix}`,
        ReferencedEntity: "account",
        ReferencingEntity: "contact",
        CascadeConfiguration: { Assign: "NoCascade", Delete: "RemoveLink", Merge: "NoCascade", Reparent: "NoCascade", Share: "NoCascade", Unshare: "NoCascade" },
        Lookup: { "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata", SchemaName: `conf_Sponsor${suffix}`, RequiredLevel: { Value: "None" } },
      },
    });
    assert.match(id, GUID);
    try {
      const definition = await suite.dwa.retrieveRelationship({ key: id, castType: cast });
      assert.equal(definition.CascadeConfiguration.Delete, "RemoveLink");
      definition.CascadeConfiguration.Delete = "Restrict";
      assert.equal(await suite.dwa.updateRelationship({ data: definition, castType: cast }), true);
      const after = await suite.dwa.retrieveRelationship({ key: id, castType: cast, select: ["CascadeConfiguration"] });
      assert.equal(after.CascadeConfiguration.Delete, "Restrict");
    } finally {
      assert.equal(await suite.dwa.deleteRelationship({ key: id }), true);
    }
  });

  it("createRelationship, retrieveRelationship, retrieveRelationships, deleteRelationship (many-to-many)", async () => {
    const schema = `conf_account_contact_${unique("r").split("-")[1]}`;
    const id = await suite.dwa.createRelationship({
      data: {
        "@odata.type": "Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata",
        SchemaName: schema,
        Entity1LogicalName: "account",
        Entity2LogicalName: "contact",
        IntersectEntityName: schema,
      },
    });
    assert.match(id, GUID);
    try {
      const cast = "Microsoft.Dynamics.CRM.ManyToManyRelationshipMetadata";
      const got = await suite.dwa.retrieveRelationship({ key: id, castType: cast, select: ["SchemaName", "Entity1LogicalName", "Entity2LogicalName"] });
      assert.deepEqual([got.SchemaName, got.Entity1LogicalName, got.Entity2LogicalName], [schema, "account", "contact"]);
      const list = await suite.dwa.retrieveRelationships({ castType: cast, select: ["SchemaName"] });
      assert.ok(list.value.some((r) => r.SchemaName === schema));
      const oneToMany = await suite.dwa.retrieveRelationships({ castType: "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata", select: ["SchemaName"] });
      assert.ok(oneToMany.value.some((r) => r.SchemaName === "contact_customer_accounts"));
    } finally {
      assert.equal(await suite.dwa.deleteRelationship({ key: id }), true);
    }
    const after = await suite.dwa.retrieveRelationships({ select: ["SchemaName"], filter: `SchemaName eq '${schema}'` });
    assert.deepEqual(after.value, []);
  });
});
