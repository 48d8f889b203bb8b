//! FetchXML text → [`Fetch`], with quick-xml.
//!
//! Two passes: the XML is read into a small element tree (refusing DTDs, entity
//! declarations, unknown entity references and absurd sizes, so an XML bomb has nothing
//! to expand), then the tree is checked against the FetchXML schema: every element and
//! attribute must be one the schema allows where it appears, as the real service's schema
//! validation demands.

use quick_xml::events::Event;

use super::ast::*;
use crate::error::{Code, Error, Result};

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 64;
/// Most elements accepted in one query.
const MAX_ELEMENTS: usize = 20_000;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// A parsed element: name, attributes, child elements and text.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

/// Reads the document into an element tree.
fn tree(xml: &str) -> Result<Element> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let malformed = |e: &dyn std::fmt::Display| invalid(format!("The FetchXML is not well-formed XML: {e}"));
    loop {
        let event = reader.read_event().map_err(|e| malformed(&e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(invalid("The FetchXML has too many elements."));
                }
                if root.is_some() {
                    return Err(invalid("The FetchXML has more than one root element."));
                }
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let mut attributes = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| malformed(&e))?;
                    let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                    let value = a.unescape_value().map_err(|e| malformed(&e))?.into_owned();
                    if attributes.iter().any(|(k, _)| *k == key) {
                        return Err(invalid(format!("The attribute '{key}' appears twice on '{name}'.")));
                    }
                    attributes.push((key, value));
                }
                let element = Element { name, attributes, ..Element::default() };
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => root = Some(element),
                    }
                } else {
                    if stack.len() >= MAX_DEPTH {
                        return Err(invalid("The FetchXML is nested too deeply."));
                    }
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| invalid("The FetchXML is not well-formed XML: unexpected end tag."))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| malformed(&e))?;
                match stack.last_mut() {
                    Some(current) => current.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(invalid("The FetchXML has text outside its root element.")),
                }
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t.into_inner()).into_owned();
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text);
                }
            }
            Event::DocType(_) => return Err(invalid("DTDs are not allowed in FetchXML.")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(invalid("The FetchXML is not well-formed XML: an element is not closed."));
    }
    root.ok_or_else(|| invalid("The FetchXML is empty."))
}

/// Parses FetchXML text.
pub fn parse(xml: &str) -> Result<Fetch> {
    let root = tree(xml)?;
    if root.name != "fetch" {
        return Err(invalid(format!("The root element must be 'fetch', not '{}'.", root.name)));
    }
    fetch(&root)
}

fn check_attributes(e: &Element, allowed: &[&str]) -> Result<()> {
    for (k, _) in &e.attributes {
        if !allowed.contains(&k.as_str()) && !k.starts_with("xmlns") {
            return Err(invalid(format!("The '{k}' attribute is not declared on the '{}' element.", e.name)));
        }
    }
    Ok(())
}

fn get<'e>(e: &'e Element, name: &str) -> Option<&'e str> {
    e.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn required<'e>(e: &'e Element, name: &str) -> Result<&'e str> {
    get(e, name).filter(|v| !v.is_empty()).ok_or_else(|| invalid(format!("The required attribute '{name}' is missing on the '{}' element.", e.name)))
}

/// `xs:boolean`, also accepting the `1`/`0` and any-case spellings clients send.
fn boolean(e: &Element, name: &str) -> Result<bool> {
    match get(e, name).map(str::trim) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") || v == "1" => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") || v == "0" || v.is_empty() => Ok(false),
        Some(v) => Err(invalid(format!("The '{name}' attribute has an invalid value '{v}': it must be true or false."))),
    }
}

fn number(e: &Element, name: &str) -> Result<Option<u32>> {
    match get(e, name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| invalid(format!("The '{name}' attribute has an invalid value '{v}': it must be a whole number."))),
    }
}

fn fetch(e: &Element) -> Result<Fetch> {
    check_attributes(
        e,
        &[
            "version", "count", "page", "paging-cookie", "utc-offset", "aggregate", "distinct", "top", "mapping", "min-active-row-version",
            "output-format", "returntotalrecordcount", "no-lock", "aggregatelimit", "datasource", "latematerialize", "options", "useraworderby",
        ],
    )?;
    if let Some(m) = get(e, "mapping") {
        if m != "logical" && !m.is_empty() {
            return Err(invalid(format!("The 'mapping' attribute has an invalid value '{m}'.")));
        }
    }
    let mut entity = None;
    for child in &e.children {
        match child.name.as_str() {
            "entity" if entity.is_none() => entity = Some(entity_element(child, false)?),
            "entity" => return Err(invalid("A fetch element can have only one entity element.")),
            "order" => return Err(invalid("The 'order' element must be inside 'entity'.")),
            other => return Err(invalid(format!("The element '{other}' is not allowed in 'fetch'."))),
        }
    }
    let fetch = Fetch {
        top: number(e, "top")?,
        count: number(e, "count")?,
        page: number(e, "page")?,
        paging_cookie: get(e, "paging-cookie").filter(|c| !c.is_empty()).map(str::to_string),
        aggregate: boolean(e, "aggregate")?,
        aggregate_limit: number(e, "aggregatelimit")?,
        distinct: boolean(e, "distinct")?,
        return_total_record_count: boolean(e, "returntotalrecordcount")?,
        use_raw_order_by: boolean(e, "useraworderby")?,
        entity: entity.ok_or_else(|| invalid("The fetch element must contain an entity element."))?,
    };
    // These are validated as the schema types them, then have no effect here.
    boolean(e, "no-lock")?;
    boolean(e, "latematerialize")?;
    Ok(fetch)
}

/// `<entity>` (or, with `link`, the body of a `<link-entity>`).
fn entity_element(e: &Element, link: bool) -> Result<Entity> {
    if !link {
        check_attributes(e, &["name", "enableprefiltering", "prefilterparametername"])?;
    }
    let mut out = Entity { name: required(e, "name")?.to_string(), ..Entity::default() };
    for child in &e.children {
        match child.name.as_str() {
            "attribute" => out.attributes.push(attribute(child)?),
            "all-attributes" => {
                check_attributes(child, &[])?;
                out.all_attributes = true;
            }
            "no-attrs" => check_attributes(child, &[])?,
            "order" => out.orders.push(order(child)?),
            "filter" => out.filters.push(filter(child)?),
            "link-entity" => {
                let l = link_entity(child)?;
                if l.link_type.filters_only() && matches!(l.link_type, LinkType::Any | LinkType::NotAny | LinkType::All | LinkType::NotAll) {
                    return Err(invalid("The link-types any, not any, all and not all can only be used inside a filter element."));
                }
                out.links.push(l);
            }
            other => return Err(invalid(format!("The element '{other}' is not allowed in '{}'.", e.name))),
        }
    }
    Ok(out)
}

fn attribute(e: &Element) -> Result<Attribute> {
    check_attributes(e, &["name", "build", "addedby", "alias", "aggregate", "groupby", "dategrouping", "usertimezone", "distinct", "rowaggregate", "user-timezone"])?;
    no_children(e)?;
    let aggregate = match get(e, "aggregate") {
        None => None,
        Some(a) => Some(match a {
            "count" => AggregateFn::Count,
            "countcolumn" => AggregateFn::CountColumn,
            "sum" => AggregateFn::Sum,
            "avg" => AggregateFn::Avg,
            "min" => AggregateFn::Min,
            "max" => AggregateFn::Max,
            other => return Err(invalid(format!("The 'aggregate' attribute has an invalid value '{other}'."))),
        }),
    };
    let date_grouping = match get(e, "dategrouping") {
        None => None,
        Some(d) => Some(match d {
            "day" => DateGrouping::Day,
            "week" => DateGrouping::Week,
            "month" => DateGrouping::Month,
            "quarter" => DateGrouping::Quarter,
            "year" => DateGrouping::Year,
            "fiscal-period" => DateGrouping::FiscalPeriod,
            "fiscal-year" => DateGrouping::FiscalYear,
            other => return Err(invalid(format!("The 'dategrouping' attribute has an invalid value '{other}'."))),
        }),
    };
    let row_aggregate = match get(e, "rowaggregate") {
        None => false,
        Some("CountChildren") => true,
        Some(other) => return Err(invalid(format!("The 'rowaggregate' attribute has an invalid value '{other}'."))),
    };
    boolean(e, "usertimezone")?;
    Ok(Attribute {
        name: required(e, "name")?.to_string(),
        alias: get(e, "alias").filter(|a| !a.is_empty()).map(str::to_string),
        aggregate,
        group_by: boolean(e, "groupby")?,
        date_grouping,
        distinct: boolean(e, "distinct")?,
        row_aggregate,
    })
}

fn no_children(e: &Element) -> Result<()> {
    match e.children.first() {
        Some(c) => Err(invalid(format!("The element '{}' is not allowed in '{}'.", c.name, e.name))),
        None => Ok(()),
    }
}

fn order(e: &Element) -> Result<Order> {
    check_attributes(e, &["attribute", "alias", "descending", "entityname"])?;
    no_children(e)?;
    let o = Order {
        attribute: get(e, "attribute").filter(|a| !a.is_empty()).map(str::to_string),
        alias: get(e, "alias").filter(|a| !a.is_empty()).map(str::to_string),
        descending: boolean(e, "descending")?,
        entity_name: get(e, "entityname").filter(|a| !a.is_empty()).map(str::to_string),
    };
    if o.attribute.is_none() && o.alias.is_none() {
        return Err(invalid("An order element needs an attribute or an alias."));
    }
    Ok(o)
}

fn filter(e: &Element) -> Result<Filter> {
    check_attributes(e, &["type", "isquickfindfields", "overridequickfindrecordlimitenabled", "overridequickfindrecordlimitdisabled", "bypassquickfind"])?;
    let or = match get(e, "type") {
        None | Some("and") => false,
        Some("or") => true,
        Some(other) => return Err(invalid(format!("The filter type '{other}' is not valid: it must be 'and' or 'or'."))),
    };
    let mut items = Vec::new();
    for child in &e.children {
        items.push(match child.name.as_str() {
            "condition" => FilterItem::Condition(condition(child)?),
            "filter" => FilterItem::Filter(filter(child)?),
            "link-entity" => {
                let l = link_entity(child)?;
                if !matches!(l.link_type, LinkType::Any | LinkType::NotAny | LinkType::All | LinkType::NotAll) {
                    return Err(invalid("A link-entity inside a filter must use the link-type any, not any, all or not all."));
                }
                FilterItem::Link(l)
            }
            other => return Err(invalid(format!("The element '{other}' is not allowed in 'filter'."))),
        });
    }
    if items.len() > 500 {
        return Err(invalid("A filter can hold at most 500 conditions."));
    }
    Ok(Filter { or, items })
}

fn condition(e: &Element) -> Result<Condition> {
    check_attributes(e, &["column", "attribute", "entityname", "operator", "value", "valueof", "aggregate", "rowaggregate", "alias", "uiname", "uitype", "uihidden"])?;
    let mut values = Vec::new();
    for child in &e.children {
        if child.name != "value" {
            return Err(invalid(format!("The element '{}' is not allowed in 'condition'.", child.name)));
        }
        check_attributes(child, &["uiname", "uitype"])?;
        no_children(child)?;
        values.push(child.text.clone());
    }
    let attribute = get(e, "attribute").or_else(|| get(e, "column")).filter(|a| !a.is_empty());
    Ok(Condition {
        attribute: attribute.ok_or_else(|| invalid("The required attribute 'attribute' is missing on the 'condition' element."))?.to_string(),
        operator: required(e, "operator")?.to_string(),
        value: get(e, "value").map(str::to_string),
        values,
        entity_name: get(e, "entityname").filter(|a| !a.is_empty()).map(str::to_string),
        value_of: get(e, "valueof").filter(|a| !a.is_empty()).map(str::to_string),
    })
}

fn link_entity(e: &Element) -> Result<LinkEntity> {
    check_attributes(e, &["name", "to", "from", "alias", "link-type", "visible", "intersect", "enableprefiltering", "prefilterparametername"])?;
    let link_type = match get(e, "link-type").map(str::trim) {
        None | Some("") | Some("inner") | Some("natural") => LinkType::Inner,
        Some("outer") => LinkType::Outer,
        Some("any") => LinkType::Any,
        Some("not any") => LinkType::NotAny,
        Some("all") => LinkType::All,
        Some("not all") => LinkType::NotAll,
        Some("exists") => LinkType::Exists,
        Some("in") => LinkType::In,
        Some("matchfirstrowusingcrossapply") => LinkType::MatchFirstRow,
        Some(other) => {
            return Err(invalid(format!(
                "Invalid link-type '{other}'. Allowed values are: natural, inner, in, exists, matchfirstrowusingcrossapply, outer, any, not any, all, not all."
            )))
        }
    };
    boolean(e, "visible")?;
    Ok(LinkEntity {
        from: get(e, "from").filter(|a| !a.is_empty()).map(str::to_string),
        to: get(e, "to").filter(|a| !a.is_empty()).map(str::to_string),
        alias: get(e, "alias").filter(|a| !a.is_empty()).map(str::to_string),
        link_type,
        intersect: boolean(e, "intersect")?,
        entity: entity_element(e, true)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_query() {
        let f = parse(
            r#"<?xml version="1.0"?><fetch version="1.0" mapping="logical" count="2" page="3" returntotalrecordcount="true">
              <entity name="account">
                <attribute name="name" /><attribute name="revenue" alias="r" />
                <order attribute="name" descending="true" />
                <filter type="or">
                  <condition attribute="name" operator="like" value="A%" />
                  <condition attribute="industrycode" operator="in"><value>1</value><value>2</value></condition>
                  <filter><condition attribute="revenue" operator="gt" value="5" /></filter>
                  <link-entity name="contact" from="parentcustomerid" to="accountid" link-type="not any" />
                </filter>
                <link-entity name="contact" from="contactid" to="primarycontactid" alias="pc" link-type="outer">
                  <attribute name="fullname" />
                </link-entity>
              </entity>
            </fetch>"#,
        )
        .unwrap();
        assert_eq!((f.count, f.page, f.return_total_record_count), (Some(2), Some(3), true));
        assert_eq!(f.entity.attributes[1].alias.as_deref(), Some("r"));
        assert!(f.entity.orders[0].descending);
        let filter = &f.entity.filters[0];
        assert!(filter.or);
        assert_eq!(filter.items.len(), 4);
        let FilterItem::Condition(c) = &filter.items[1] else { panic!() };
        assert_eq!(c.values, vec!["1", "2"]);
        let FilterItem::Link(l) = &filter.items[3] else { panic!() };
        assert_eq!(l.link_type, LinkType::NotAny);
        assert_eq!(f.entity.links[0].link_type, LinkType::Outer);
        assert_eq!(f.entity.links[0].entity.attributes[0].name, "fullname");
    }

    #[test]
    fn refuses_what_the_schema_refuses() {
        let bad = [
            "",
            "<fetch>",
            "<fetch><entity name='account'></fetch>",
            "<query/>",
            "<fetch><entity name='account'/><entity name='contact'/></fetch>",
            "<fetch><entity name='account'><attribute name='name' bogus='1'/></entity></fetch>",
            "<fetch><entity name='account'><column name='name'/></entity></fetch>",
            "<fetch top='x'><entity name='account'/></fetch>",
            "<fetch><entity name='account'><filter type='xor'/></entity></fetch>",
            "<fetch><entity name='account'><link-entity name='contact' link-type='sideways'/></entity></fetch>",
            "<fetch><entity name='account'><link-entity name='contact' link-type='any'/></entity></fetch>",
            "<fetch><entity name='account'><filter><condition attribute='name'/></filter></entity></fetch>",
            "<fetch><entity/></fetch>",
            "<fetch><entity name='a' name='b'/></fetch>",
            "<fetch><entity name='account'><attribute name='x' aggregate='median'/></entity></fetch>",
            "<fetch><entity name='account'>&bogus;</entity></fetch>",
        ];
        for text in bad {
            let e = parse(text).expect_err(text);
            assert_eq!(e.code(), Code::InvalidArgument, "{text}");
        }
    }

    #[test]
    fn refuses_dtds_and_entity_bombs() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><fetch><entity name="account"><filter><condition attribute="name" operator="eq" value="&lol2;"/></filter></entity></fetch>"#;
        assert!(parse(bomb).unwrap_err().message().contains("DTD"));
        let external = r#"<!DOCTYPE fetch SYSTEM "file:///etc/passwd"><fetch><entity name="account"/></fetch>"#;
        assert!(parse(external).is_err());
        let deep = format!("<fetch><entity name='a'>{}{}</entity></fetch>", "<filter>".repeat(100), "</filter>".repeat(100));
        assert!(parse(&deep).unwrap_err().message().contains("deeply"));
    }
}
