// Metadata reads (EntityDefinitions, Attributes with casts, GlobalOptionSetDefinitions, $metadata) driven
// through the real dynamics-web-api 2.5.0 client. Request and response shapes:
// shared/reference/client-dynamics-web-api.md §3.5 and shared/reference/dataverse-wire.md §6. Only system
// tables and columns every org has (account, contact, name, industrycode, statuscode) are asserted, so the
// same tests hold against a live org. The metadata-writes suite at the end creates one scratch table per test
// and deletes it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { xml2json } from "odata-csdl";
import { useTarget } from "../lib/harness.mjs";
import { GUID, unique } from "../lib/helpers.mjs";

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

  it("the CSDL is read by an independent OData consumer (OASIS odata-csdl, strict) and every type it names resolves", async () => {
    const csdl = xml2json(await suite.dwa.retrieveCsdlMetadata(), { strict: true });
    assert.equal(csdl.$Version, "4.0");
    const schema = csdl["Microsoft.Dynamics.CRM"];
    assert.equal(schema.$Alias, "mscrm");
    /** A qualified name (`mscrm.x`, `Microsoft.Dynamics.CRM.x`, `Collection(…)`) → the schema element, or `Edm`. */
    const resolve = (qualified) => {
      const name = qualified.replace(/^Collection\((.*)\)$/, "$1");
      if (name.startsWith("Edm.")) return "Edm";
      const local = name.replace(/^(mscrm|Microsoft\.Dynamics\.CRM)\./, "");
      return local === name ? undefined : schema[local];
    };
    const unresolved = [];
    const check = (where, type) => { if (type && !resolve(type)) unresolved.push(`${where}: ${type}`); };
    const kinds = { EntityType: 0, ComplexType: 0, EnumType: 0, Function: 0, Action: 0 };
    for (const [name, element] of Object.entries(schema)) {
      if (name.startsWith("$")) continue;
      for (const item of Array.isArray(element) ? element : [element]) {
        kinds[item.$Kind] = (kinds[item.$Kind] ?? 0) + 1;
        if (item.$Kind === "EntityType" || item.$Kind === "ComplexType") {
          check(`${name} base`, item.$BaseType);
          for (const [member, def] of Object.entries(item)) {
            if (!member.startsWith("$")) check(`${name}/${member}`, def.$Type);
          }
        }
        if (item.$Kind === "Function" || item.$Kind === "Action") {
          for (const p of item.$Parameter ?? []) check(`${name}(${p.$Name})`, p.$Type);
          check(`${name} returns`, item.$ReturnType?.$Type);
        }
      }
    }
    assert.deepEqual(unresolved, []);
    for (const kind of Object.keys(kinds)) assert.ok(kinds[kind] > 0, `the schema declares some ${kind}: ${JSON.stringify(kinds)}`);

    const account = schema.account;
    assert.equal(account.$Kind, "EntityType");
    assert.deepEqual(account.$Key, ["accountid"]);
    assert.equal(account.primarycontactid.$Kind, "NavigationProperty");
    assert.equal(resolve(account.primarycontactid.$Type), schema.contact);
    assert.equal(account.contact_customer_accounts.$Collection, true);
    assert.equal(resolve(account.contact_customer_accounts.$Type), schema.contact);
    assert.equal(schema.contact.parentcustomerid_account.$Partner, "contact_customer_accounts");

    const [containerNamespace, containerName] = [csdl.$EntityContainer.replace(/\.[^.]+$/, ""), csdl.$EntityContainer.replace(/^.*\./, "")];
    assert.equal(containerNamespace, "Microsoft.Dynamics.CRM");
    const container = schema[containerName];
    assert.equal(container.$Kind, "EntityContainer");
    for (const [set, def] of Object.entries(container)) {
      if (set.startsWith("$") || !def.$Collection) continue;
      assert.equal(resolve(def.$Type)?.$Kind, "EntityType", `${set}: ${def.$Type}`);
    }
    assert.equal(resolve(container.accounts.$Type), account);
    assert.equal(container.contacts.$NavigationPropertyBinding.parentcustomerid_account, "accounts");
  });
});

/** An English `Label` as clients send it. */
function label(text) {
  return {
    "@odata.type": "Microsoft.Dynamics.CRM.Label",
    LocalizedLabels: [{ "@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", Label: text, LanguageCode: 1033 }],
  };
}

// Metadata writes: one scratch table `conf_dwa<hex>` per test, deleted at the end (also against a live org).
describe("dynamics-web-api 2.5.0: metadata writes", { timeout: 60_000 }, () => {
  const suite = useTarget();

  it("createEntity, createAttribute, updateAttribute, updateEntity, records in the table, deleteRecord on EntityDefinitions", async () => {
    const schema = `conf_Dwa${unique("t").split("-")[1]}`;
    const logical = schema.toLowerCase();
    const entityId = await suite.dwa.createEntity({
      data: {
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
        SchemaName: schema,
        DisplayName: label("Conformance Widget"),
        DisplayCollectionName: label("Conformance Widgets"),
        Description: label("Created by the dynamics-web-api conformance suite"),
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
      },
    });
    assert.match(entityId, GUID);
    try {
      const entity = await suite.dwa.retrieveEntity({ key: entityId, select: ["LogicalName", "EntitySetName", "PrimaryNameAttribute"] });
      assert.equal(entity.LogicalName, logical);
      assert.equal(entity.PrimaryNameAttribute, "conf_name");
      const set = entity.EntitySetName;
      assert.ok(set.startsWith(logical), set);

      const attributeId = await suite.dwa.createAttribute({
        entityKey: entityId,
        data: {
          "@odata.type": "Microsoft.Dynamics.CRM.IntegerAttributeMetadata",
          AttributeType: "Integer",
          SchemaName: "conf_Count",
          MinValue: 0,
          MaxValue: 1000,
          Format: "None",
          DisplayName: label("Count"),
          RequiredLevel: { Value: "None" },
        },
      });
      assert.match(attributeId, GUID);
      const codeId = await suite.dwa.createAttribute({
        entityKey: `LogicalName='${logical}'`,
        data: { "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", SchemaName: "conf_Code", MaxLength: 20, DisplayName: label("Code") },
      });

      const code = await suite.dwa.retrieveAttribute({ entityKey: entityId, attributeKey: codeId, castType: "Microsoft.Dynamics.CRM.StringAttributeMetadata" });
      assert.equal(code.MaxLength, 20);
      code.MaxLength = 50;
      code.DisplayName = label("Code (long)");
      assert.equal(await suite.dwa.updateAttribute({ entityKey: entityId, castType: "Microsoft.Dynamics.CRM.StringAttributeMetadata", data: code, mergeLabels: true }), true);
      const updated = await suite.dwa.retrieveAttribute({ entityKey: entityId, attributeKey: codeId, castType: "Microsoft.Dynamics.CRM.StringAttributeMetadata" });
      assert.equal(updated.MaxLength, 50);
      assert.equal(updated.DisplayName.UserLocalizedLabel.Label, "Code (long)");

      const full = await suite.dwa.retrieveEntity({ key: entityId });
      full.DisplayName = label("Conformance Gadget");
      assert.equal(await suite.dwa.updateEntity({ data: full, mergeLabels: true }), true);
      const renamed = await suite.dwa.retrieveEntity({ key: entityId, select: ["DisplayName"] });
      assert.equal(renamed.DisplayName.UserLocalizedLabel.Label, "Conformance Gadget");

      // The table and its new columns are usable for records and queries at once.
      const recordId = await suite.dwa.create({ collection: set, data: { conf_name: "one", conf_count: 3, conf_code: "C-1" } });
      assert.match(recordId, GUID);
      const found = await suite.dwa.retrieveMultiple({ collection: set, select: ["conf_name", "conf_count"], filter: "conf_count gt 2" });
      assert.deepEqual(found.value.map((r) => [r.conf_name, r.conf_count]), [["one", 3]]);
    } finally {
      await suite.dwa.deleteRecord({ collection: "EntityDefinitions", key: entityId });
    }
    const gone = await suite.dwa.retrieveEntities({ select: ["LogicalName"], filter: `LogicalName eq '${logical}'` });
    assert.deepEqual(gone.value, []);
  });

  it("createGlobalOptionSet, retrieveGlobalOptionSet(s), updateGlobalOptionSet, InsertOptionValue, deleteGlobalOptionSet", async () => {
    const name = `conf_colors${unique("c").split("-")[1]}`.toLowerCase();
    const options = [["Red", 727000000], ["Green", 727000001]].map(([text, Value]) => ({ Value, Label: label(text) }));
    const id = await suite.dwa.createGlobalOptionSet({
      data: {
        "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata",
        Name: name, OptionSetType: "Picklist", IsGlobal: true,
        DisplayName: label("Conformance colors"), Description: label("Created by the dynamics-web-api conformance suite"),
        Options: options,
      },
    });
    assert.match(id, GUID);
    try {
      const one = await suite.dwa.retrieveGlobalOptionSet({ key: `Name='${name}'`, castType: "Microsoft.Dynamics.CRM.OptionSetMetadata", select: ["Name", "Options"] });
      assert.equal(one.Name, name);
      assert.equal(one.MetadataId, id);
      assert.deepEqual(one.Options.map((o) => o.Value), [727000000, 727000001]);
      assertLabel(one.Options[1].Label, "Green");
      assert.ok(one.oDataContext.includes("$metadata#GlobalOptionSetDefinitions"), one.oDataContext);

      const all = await suite.dwa.retrieveGlobalOptionSets({ select: ["Name"] });
      const listed = all.value.find((o) => o.Name === name);
      assert.equal(listed?.["@odata.type"], "#Microsoft.Dynamics.CRM.OptionSetMetadata");

      const full = await suite.dwa.retrieveGlobalOptionSet({ key: id });
      assert.equal(full.IsGlobal, true);
      full.DisplayName = label("Conformance paint colors");
      assert.equal(await suite.dwa.updateGlobalOptionSet({ data: full, mergeLabels: true }), true);
      const renamed = await suite.dwa.retrieveGlobalOptionSet({ key: id, select: ["DisplayName"] });
      assertLabel(renamed.DisplayName, "Conformance paint colors");

      const inserted = await suite.dwa.callAction({ actionName: "InsertOptionValue", action: { OptionSetName: name, Label: label("Blue") } });
      assert.equal(typeof inserted.NewOptionValue, "number");
      const after = await suite.dwa.retrieveGlobalOptionSet({ key: id, select: ["Options"] });
      assert.deepEqual(after.Options.map((o) => o.Value), [727000000, 727000001, inserted.NewOptionValue]);
    } finally {
      assert.equal(await suite.dwa.deleteGlobalOptionSet({ key: `Name='${name}'` }), true);
    }
    await assert.rejects(suite.dwa.retrieveGlobalOptionSet({ key: id }), (error) => {
      assert.equal(error.status, 404);
      assert.equal(error.code, DOES_NOT_EXIST);
      return true;
    });
  });
});
