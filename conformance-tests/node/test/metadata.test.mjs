// Metadata reads (EntityDefinitions, Attributes with casts, GlobalOptionSetDefinitions, $metadata) driven
// through the real dynamics-web-api 2.5.0 client. Request and response shapes:
// shared/reference/client-dynamics-web-api.md §3.5 and shared/reference/dataverse-wire.md §6. Only system
// tables and columns every org has (account, contact, name, industrycode, statuscode) are asserted, so the
// same tests hold against a live org; nothing is created.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useTarget } from "../lib/harness.mjs";
import { GUID } from "../lib/helpers.mjs";

/** Dataverse error code for a missing component ("Could not find an entity with name …"). */
const DOES_NOT_EXIST = "0x80040217";
/** Dataverse error code for "Could not find a property named '…' on type '…'" in a query option. */
const PROPERTY_NOT_FOUND = "0x80060888";

/** Asserts a metadata `Label` whose user label is `text` in English (1033). */
function assertLabel(label, text) {
  assert.equal(label.UserLocalizedLabel.Label, text);
  assert.equal(label.UserLocalizedLabel.LanguageCode, 1033);
  assert.ok(label.LocalizedLabels.some((l) => l.Label === text && l.LanguageCode === 1033), JSON.stringify(label));
}

describe("dynamics-web-api 2.5.0: metadata", { timeout: 30_000 }, () => {
  const suite = useTarget();

  it("retrieveEntities with select and filter finds one table, and an unknown one is an empty list", async () => {
    const result = await suite.dwa.retrieveEntities({
      select: ["LogicalName", "EntitySetName", "PrimaryIdAttribute"],
      filter: "LogicalName eq 'account'",
    });
    assert.equal(result.value.length, 1);
    const [account] = result.value;
    assert.equal(account.LogicalName, "account");
    assert.equal(account.EntitySetName, "accounts");
    assert.equal(account.PrimaryIdAttribute, "accountid");
    assert.match(account.MetadataId, GUID, "MetadataId comes back even when not selected");
    assert.ok(
      result.oDataContext.endsWith("$metadata#EntityDefinitions(LogicalName,EntitySetName,PrimaryIdAttribute)"),
      result.oDataContext,
    );

    const none = await suite.dwa.retrieveEntities({ select: ["LogicalName"], filter: "LogicalName eq 'conf_nosuchtable'" });
    assert.deepEqual(none.value, []);

    const pair = await suite.dwa.retrieveEntities({
      select: ["LogicalName"],
      filter: "LogicalName eq 'account' or EntitySetName eq 'contacts'",
    });
    assert.deepEqual(pair.value.map((e) => e.LogicalName).sort(), ["account", "contact"]);
  });

  it("retrieveEntities with an unknown property rejects with 400", async () => {
    await assert.rejects(suite.dwa.retrieveEntities({ select: ["LogicalName"], filter: "NoSuchProperty eq 1" }), (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.code, PROPERTY_NOT_FOUND);
      assert.match(error.message, /NoSuchProperty/);
      return true;
    });
  });

  it("retrieveEntity by LogicalName='account' and by MetadataId", async () => {
    const account = await suite.dwa.retrieveEntity({ key: "LogicalName='account'" });
    assert.equal(account.LogicalName, "account");
    assert.equal(account.SchemaName, "Account");
    assert.equal(account.EntitySetName, "accounts");
    assert.equal(account.PrimaryNameAttribute, "name");
    assert.equal(account.ObjectTypeCode, 1);
    assert.equal(account.OwnershipType, "UserOwned");
    assert.equal(account.IsCustomEntity, false);
    assert.equal(account.IsActivity, false);
    assertLabel(account.DisplayName, "Account");
    assert.ok(account.oDataContext.endsWith("$metadata#EntityDefinitions/$entity"), account.oDataContext);

    const byId = await suite.dwa.retrieveEntity({ key: account.MetadataId, select: ["LogicalName", "EntitySetName"] });
    assert.equal(byId.LogicalName, "account");
    assert.equal(byId.MetadataId, account.MetadataId);
    assert.ok(byId.oDataContext.endsWith("$metadata#EntityDefinitions(LogicalName,EntitySetName)/$entity"), byId.oDataContext);

    await assert.rejects(suite.dwa.retrieveEntity({ key: "LogicalName='conf_nosuchtable'" }), (error) => {
      assert.equal(error.status, 404);
      assert.equal(error.code, DOES_NOT_EXIST);
      return true;
    });
  });

  it("retrieveAttributes with the Picklist cast and an OptionSet expand", async () => {
    const result = await suite.dwa.retrieveAttributes({
      entityKey: "LogicalName='account'",
      castType: "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
      select: ["LogicalName"],
      expand: [{ property: "OptionSet" }],
    });
    const industry = result.value.find((a) => a.LogicalName === "industrycode");
    assert.ok(industry, "industrycode is a picklist on account");
    assert.ok(result.value.every((a) => a.LogicalName !== "name"), "the cast keeps picklists only");
    const options = industry.OptionSet.Options;
    assert.ok(options.length > 0);
    for (const option of options) {
      assert.equal(typeof option.Value, "number");
      assert.equal(option.Label.LocalizedLabels[0].LanguageCode, 1033);
      assert.equal(typeof option.Label.UserLocalizedLabel.Label, "string");
    }
  });

  it("retrieveAttributes with the Status cast shows each option's State", async () => {
    const result = await suite.dwa.retrieveAttributes({
      entityKey: "LogicalName='account'",
      castType: "Microsoft.Dynamics.CRM.StatusAttributeMetadata",
      select: ["LogicalName"],
      expand: [{ property: "OptionSet", select: ["Options"] }],
    });
    const status = result.value.find((a) => a.LogicalName === "statuscode");
    const active = status.OptionSet.Options.find((o) => o.Value === 1);
    assert.equal(active.State, 0);
  });

  it("retrieveAttribute LogicalName='name' is a string column with its type annotations", async () => {
    const name = await suite.dwa.retrieveAttribute({ entityKey: "LogicalName='account'", attributeKey: "LogicalName='name'" });
    assert.equal(name.LogicalName, "name");
    assert.equal(name["@odata.type"], "#Microsoft.Dynamics.CRM.StringAttributeMetadata");
    assert.equal(name.AttributeType, "String");
    assert.deepEqual(name.AttributeTypeName, { Value: "StringType" });
    assert.equal(name.RequiredLevel.Value, "ApplicationRequired");
    assert.equal(name.RequiredLevel.ManagedPropertyLogicalName, "canmodifyrequirementlevelsettings");
    assert.equal(name.IsPrimaryName, true);
    assert.equal(typeof name.MaxLength, "number");
    assert.match(name.MetadataId, GUID);

    const selected = await suite.dwa.retrieveAttribute({
      entityKey: "LogicalName='account'",
      attributeKey: "LogicalName='name'",
      select: ["LogicalName"],
    });
    assert.equal(selected.LogicalName, "name");
    assert.equal(selected.MetadataId, name.MetadataId);
  });

  it("retrieveGlobalOptionSets returns a (possibly empty) list", async () => {
    const result = await suite.dwa.retrieveGlobalOptionSets({ select: ["Name"] });
    assert.ok(Array.isArray(result.value));
    for (const optionSet of result.value) assert.equal(typeof optionSet.Name, "string");
    assert.ok(result.oDataContext.includes("$metadata#GlobalOptionSetDefinitions"), result.oDataContext);
  });

  it("retrieveCsdlMetadata returns the CSDL document as XML text", async () => {
    const xml = await suite.dwa.retrieveCsdlMetadata();
    assert.equal(typeof xml, "string");
    assert.match(xml, /^<\?xml /);
    assert.ok(xml.includes('<edmx:Edmx Version="4.0"'));
    assert.ok(xml.includes('Namespace="Microsoft.Dynamics.CRM"'));
    assert.ok(xml.includes('EntityType Name="account"'));
    assert.ok(xml.includes('<EntitySet Name="accounts" EntityType="Microsoft.Dynamics.CRM.account"'));
  });
});
