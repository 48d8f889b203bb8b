//! The metadata browser: tables, and per table its columns, option sets, relationships and
//! keys, read through the `EntityDefinitions` API (what a client's metadata calls see).

use serde_json::Value;

use crate::org::Org;

use super::api::{self, label};
use super::html::{esc, href, table, Page};
use super::{PageResult, Problem};

/// The option-set-bearing column types and their metadata casts.
const CHOICE_CASTS: &[&str] = &["PicklistAttributeMetadata", "MultiSelectPicklistAttributeMetadata", "StateAttributeMetadata", "StatusAttributeMetadata"];

/// `/_emulator/ui/metadata?org=<name>[&etn=<table>]`.
pub fn page(org: &Org, host: &str, etn: Option<&str>) -> PageResult {
    match etn {
        None => list(org, host),
        Some(etn) => detail(org, host, etn),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

fn code(v: &Value) -> String {
    format!("<code>{}</code>", text(v))
}

fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn list(org: &Org, host: &str) -> PageResult {
    let name = org.settings.name.as_str();
    let defs = api::get(org, host, "EntityDefinitions?$select=LogicalName,SchemaName,EntitySetName,DisplayName,OwnershipType,IsActivity,IsCustomEntity")?;
    let rows = items(&defs["value"]).map(|e| {
        let logical = e["LogicalName"].as_str().unwrap_or("");
        vec![
            format!("<a class=\"table-link\" href=\"{}\">{}</a>", href("metadata", &[("org", name), ("etn", logical)]), esc(label(&e["DisplayName"]).unwrap_or(logical))),
            code(&e["LogicalName"]),
            code(&e["SchemaName"]),
            code(&e["EntitySetName"]),
            text(&e["OwnershipType"]),
            text(&e["IsActivity"]),
            text(&e["IsCustomEntity"]),
        ]
    });
    let body = table("metadata", &["Table", "Logical name", "Schema name", "Entity set", "Ownership", "Activity", "Custom"], rows);
    Ok(Page { title: "Metadata".into(), org: Some(name), scripts: &[], body }.render())
}

fn detail(org: &Org, host: &str, etn: &str) -> PageResult {
    let name = org.settings.name.as_str();
    // Named in the API's key syntax below, so only a table the org has.
    let known = org.store.metadata().entity(etn).map(|t| t.logical_name.clone()).ok_or_else(|| Problem::not_found(format!("The org '{name}' has no table '{etn}'.")))?;
    let key = format!("EntityDefinitions(LogicalName='{known}')");
    let def = api::get(
        org,
        host,
        &format!(
            "{key}?$select=LogicalName,SchemaName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,DisplayName,OwnershipType,IsActivity,ObjectTypeCode\
             &$expand=Attributes($select=LogicalName,SchemaName,AttributeType,RequiredLevel,DisplayName,IsValidForCreate,IsValidForUpdate,AttributeOf),\
             Keys,OneToManyRelationships,ManyToOneRelationships,ManyToManyRelationships"
        ),
    )?;
    let logical = def["LogicalName"].as_str().unwrap_or(etn);
    let mut body = format!(
        "<p class=\"links\"><a href=\"{grid}\">Records</a> · entity set {set} · primary id {pid} · primary name {pname} · ownership {own} · type code {otc}</p>\
         <p class=\"links\">Jump to <a href=\"#columns\">columns</a> · <a href=\"#option-sets\">option sets</a> · <a href=\"#relationships\">relationships</a> · <a href=\"#keys\">alternate keys</a></p>",
        grid = href("grid", &[("org", name), ("etn", logical)]),
        set = code(&def["EntitySetName"]),
        pid = code(&def["PrimaryIdAttribute"]),
        pname = code(&def["PrimaryNameAttribute"]),
        own = text(&def["OwnershipType"]),
        otc = text(&def["ObjectTypeCode"]),
    );
    let mut attributes: Vec<&Value> = items(&def["Attributes"]).collect();
    attributes.sort_by_key(|a| a["LogicalName"].as_str().unwrap_or("").to_string());
    body.push_str("<h2 id=\"columns\">Columns</h2>");
    body.push_str(&table(
        "metadata columns",
        &["Column", "Display name", "Type", "Required", "Create", "Update", "Attribute of"],
        attributes.into_iter().map(|a| {
            vec![code(&a["LogicalName"]), esc(label(&a["DisplayName"]).unwrap_or("")), text(&a["AttributeType"]), text(&a["RequiredLevel"]["Value"]), text(&a["IsValidForCreate"]), text(&a["IsValidForUpdate"]), code(&a["AttributeOf"])]
        }),
    ));
    body.push_str("<h2 id=\"option-sets\">Option sets</h2>");
    let mut choices = Vec::new();
    for cast in CHOICE_CASTS {
        let found = api::get(org, host, &format!("{key}/Attributes/Microsoft.Dynamics.CRM.{cast}?$select=LogicalName&$expand=OptionSet"))?;
        for a in items(&found["value"]) {
            let options: Vec<String> = items(&a["OptionSet"]["Options"]).map(|o| format!("{} {}", text(&o["Value"]), esc(label(&o["Label"]).unwrap_or("")))).collect();
            let set = &a["OptionSet"];
            let global = if set["IsGlobal"].as_bool() == Some(true) { format!(" (global {})", code(&set["Name"])) } else { String::new() };
            choices.push(vec![code(&a["LogicalName"]), format!("{}{global}", esc(cast.trim_end_matches("AttributeMetadata"))), options.join("<br>")]);
        }
    }
    choices.sort_by(|a, b| a[0].cmp(&b[0]));
    body.push_str(&table("metadata option-sets", &["Column", "Kind", "Options"], choices));
    body.push_str("<h2 id=\"relationships\">Relationships</h2>");
    let one_to_many = items(&def["OneToManyRelationships"]).chain(items(&def["ManyToOneRelationships"])).map(|r| {
        vec![
            code(&r["SchemaName"]),
            "1:N".into(),
            format!("{}.{}", link_table(name, &r["ReferencedEntity"]), text(&r["ReferencedAttribute"])),
            format!("{}.{}", link_table(name, &r["ReferencingEntity"]), text(&r["ReferencingAttribute"])),
            format!("{} / {}", code(&r["ReferencedEntityNavigationPropertyName"]), code(&r["ReferencingEntityNavigationPropertyName"])),
            text(&r["CascadeConfiguration"]["Delete"]),
        ]
    });
    let many_to_many = items(&def["ManyToManyRelationships"]).map(|r| {
        vec![
            code(&r["SchemaName"]),
            "N:N".into(),
            link_table(name, &r["Entity1LogicalName"]),
            link_table(name, &r["Entity2LogicalName"]),
            format!("{} / {}", code(&r["Entity1NavigationPropertyName"]), code(&r["Entity2NavigationPropertyName"])),
            format!("via {}", code(&r["IntersectEntityName"])),
        ]
    });
    body.push_str(&table("metadata relationships", &["Relationship", "Kind", "Referenced (one)", "Referencing (many)", "Navigation properties", "Delete"], one_to_many.chain(many_to_many)));
    body.push_str("<h2 id=\"keys\">Alternate keys</h2>");
    body.push_str(&table(
        "metadata keys",
        &["Key", "Schema name", "Columns", "Index status"],
        items(&def["Keys"]).map(|k| {
            let cols: Vec<String> = items(&k["KeyAttributes"]).map(code).collect();
            vec![code(&k["LogicalName"]), code(&k["SchemaName"]), cols.join(", "), text(&k["EntityKeyIndexStatus"])]
        }),
    ));
    let title = format!("{} metadata", label(&def["DisplayName"]).unwrap_or(logical));
    Ok(Page { title, org: Some(name), scripts: &[], body }.render())
}

fn link_table(org: &str, table: &Value) -> String {
    match table.as_str() {
        Some(t) => format!("<a href=\"{}\">{}</a>", href("metadata", &[("org", org), ("etn", t)]), esc(t)),
        None => String::new(),
    }
}
