//! Which literals of a request URL are values of redacted columns.
//!
//! A personal value a client filters on is in the URL even when the response never returns
//! the column, so the URL is parsed as the emulator parses requests: the path's alternate
//! key (`contacts(emailaddress1='…')`), `$filter` (top level, in every `$expand` and in
//! `$apply`'s `filter(…)`), parameter aliases (`emailaddress1 eq @p1&@p1='…'`) and
//! `fetchXml` conditions. A string literal belongs to a column when it is compared with it
//! (`eq` … `le`, either side, also through `tolower(…)` and the like), passed with it to a
//! function (`contains(emailaddress1,'…')`), or given as the value(s) of a Dataverse query
//! function naming it (`Microsoft.Dynamics.CRM.In(PropertyName='emailaddress1',
//! PropertyValues=['…'])`). Literals of other columns are left alone, so the recording
//! still replays against a seed that only redacts the rule's columns.

use std::collections::BTreeSet;

use odata_parser::ast::expand::ExpandItem;
use odata_parser::ast::expr::{Args, BinaryOp, Expr};
use odata_parser::ast::{Literal, Parens, Segment, Transformation};

/// The values of `columns` (lower-case logical names) written in `url` (a recorded request
/// path, with or without the service root), decoded; `None` when the URL does not parse.
pub(super) fn values(url: &str, columns: &BTreeSet<String>) -> Option<Vec<String>> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let path = path.split_once("/api/data/").map_or(path, |(_, rest)| rest.split_once('/').map_or(rest, |(_, p)| p));
    let path = path.trim_start_matches('/');
    let mut found = Finder { columns, aliases: Vec::new(), values: Vec::new() };
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?;
    let parsed = odata_parser::parse_resource_path(&decoded).ok()?;
    for segment in &parsed.segments {
        if let Segment::Identifier { parens: Some(Parens::Named(keys)), .. } = segment {
            for (name, literal) in keys {
                if columns.contains(&name.to_ascii_lowercase()) {
                    found.literal(literal);
                }
            }
        }
    }
    if query.is_empty() {
        return Some(found.values);
    }
    let options = odata_parser::parse_query(query).ok()?;
    found.aliases = options.aliases.iter().map(|(name, text)| (name.trim_start_matches('@').to_string(), text.clone())).collect();
    if let Some(filter) = &options.filter {
        found.expr(&odata_parser::parse_filter(filter).ok()?);
    }
    if let Some(expand) = &options.expand {
        found.expand(&odata_parser::parse_expand(expand).ok()?);
    }
    if let Some(apply) = &options.apply {
        for step in odata_parser::parse_apply(apply).ok()? {
            if let Transformation::Filter(e) = step {
                found.expr(&e);
            }
        }
    }
    for (name, xml) in &options.custom {
        if name.eq_ignore_ascii_case("fetchXml") {
            let fetch = crate::fetchxml::parse::parse(xml).ok()?;
            found.fetch_entity(&fetch.entity);
        }
    }
    Some(found.values)
}

struct Finder<'c> {
    columns: &'c BTreeSet<String>,
    /// `@p1` → its text, from the query string.
    aliases: Vec<(String, String)>,
    values: Vec<String>,
}

impl Finder<'_> {
    fn expand(&mut self, items: &[ExpandItem]) {
        for item in items {
            if let Some(e) = &item.filter {
                self.expr(e);
            }
            if let Some(nested) = &item.expand {
                self.expand(nested);
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Binary { op: BinaryOp::And | BinaryOp::Or, left, right } => {
                self.expr(left);
                self.expr(right);
            }
            Expr::Binary { left, right, .. } => {
                if self.mentions(left) {
                    self.operand(right);
                }
                if self.mentions(right) {
                    self.operand(left);
                }
            }
            Expr::Not(inner) => self.expr(inner),
            Expr::Lambda(l) => {
                if let Some(p) = &l.predicate {
                    self.expr(&p.body);
                }
            }
            Expr::Call(call) => match &call.args {
                Args::Positional(args) => {
                    if args.iter().any(|a| self.mentions(a)) {
                        args.iter().for_each(|a| self.operand(a));
                    }
                    args.iter().for_each(|a| self.expr(a));
                }
                Args::Named(args) => {
                    let names_column = args.iter().any(|(name, value)| {
                        name.eq_ignore_ascii_case("PropertyName") && matches!(value, Expr::Literal(Literal::String(c)) if self.columns.contains(&c.to_ascii_lowercase()))
                    });
                    if names_column {
                        for (name, value) in args {
                            if !name.eq_ignore_ascii_case("PropertyName") {
                                self.operand(value);
                            }
                        }
                    }
                }
            },
            Expr::Literal(_) | Expr::Member(_) => {}
        }
    }

    /// Whether `e` reads a redacted column (`emailaddress1`, `c/emailaddress1`,
    /// `tolower(emailaddress1)`).
    fn mentions(&self, e: &Expr) -> bool {
        match e {
            Expr::Member(m) => m.segments.last().is_some_and(|s| self.columns.contains(&s.to_ascii_lowercase())),
            Expr::Call(c) => match &c.args {
                Args::Positional(args) => args.iter().any(|a| self.mentions(a)),
                Args::Named(_) => false,
            },
            _ => false,
        }
    }

    /// Takes the string values of an operand compared with or passed alongside a redacted
    /// column.
    fn operand(&mut self, e: &Expr) {
        if let Expr::Literal(l) = e {
            self.literal(l);
        }
    }

    fn literal(&mut self, l: &Literal) {
        match l {
            Literal::String(s) => self.values.push(s.clone()),
            Literal::Json(text) => self.values.extend(json_strings(text)),
            Literal::Alias(name) => {
                let text = self.aliases.iter().find(|(n, _)| n == name.trim_start_matches('@')).map(|(_, t)| t.clone());
                if let Some(parsed) = text.and_then(|t| odata_parser::parse_literal(&t).ok()) {
                    if !matches!(parsed, Literal::Alias(_)) {
                        self.literal(&parsed);
                    }
                }
            }
            _ => {}
        }
    }

    fn fetch_entity(&mut self, entity: &crate::fetchxml::ast::Entity) {
        for f in &entity.filters {
            self.fetch_filter(f);
        }
        for link in &entity.links {
            self.fetch_entity(&link.entity);
        }
    }

    fn fetch_filter(&mut self, filter: &crate::fetchxml::ast::Filter) {
        use crate::fetchxml::ast::FilterItem;
        for item in &filter.items {
            match item {
                FilterItem::Condition(c) if self.columns.contains(&c.attribute.to_ascii_lowercase()) => {
                    self.values.extend(c.value.iter().cloned());
                    self.values.extend(c.values.iter().cloned());
                }
                FilterItem::Condition(_) => {}
                FilterItem::Filter(f) => self.fetch_filter(f),
                FilterItem::Link(link) => self.fetch_entity(&link.entity),
            }
        }
    }
}

/// The strings of a JSON array literal (`["a","b"]`, or with single quotes as Dataverse
/// also takes them).
fn json_strings(text: &str) -> Vec<String> {
    let parsed = serde_json::from_str::<serde_json::Value>(text).or_else(|_| serde_json::from_str(&text.replace('\'', "\"")));
    match parsed {
        Ok(serde_json::Value::Array(items)) => items.into_iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Ok(serde_json::Value::String(s)) => vec![s],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Redactor;

    /// `url` as recorded under the rule `contact.emailaddress1`.
    fn redacted(url: &str) -> String {
        Redactor::new(&["contact.emailaddress1".to_string()]).unwrap().url(url)
    }

    /// Fails when any form of the e-mail addresses is left in `out`.
    fn hidden(url: &str) -> String {
        let out = redacted(url);
        for left in ["yvonne", "ana%40", "ana@", "ana.p"] {
            assert!(!out.contains(left), "{left:?} is left in {out}\n(from {url})");
        }
        assert!(out.contains("redacted-"), "{out}");
        out
    }

    #[test]
    fn every_way_a_filter_gives_a_redacted_column_a_value_is_redacted() {
        hidden("/api/data/v9.2/contacts?$filter=contains(emailaddress1,'yvonne%40fabrikam.example')");
        hidden("contacts?$filter=startswith(tolower(emailaddress1),%27yvonne%40fabrikam.example%27)&$select=fullname");
        hidden("contacts?$filter='yvonne@fabrikam.example'%20eq%20emailaddress1");
        hidden("contacts?$filter=emailaddress1%20gt%20'yvonne@fabrikam.example'%20and%20emailaddress1%20le%20'yvonne@fabrikam.examplf'");
        hidden("contacts?$filter=Microsoft.Dynamics.CRM.In(PropertyName='emailaddress1',PropertyValues=['yvonne@fabrikam.example','ana.p@contoso.example'])");
        hidden("contacts?$filter=emailaddress1%20eq%20@p1&@p1='yvonne@fabrikam.example'");
        hidden("contacts(emailaddress1='yvonne%40fabrikam.example')?$select=fullname");
        hidden("accounts?$expand=contact_customer_accounts($filter=emailaddress1%20eq%20'ana.p@contoso.example';$select=fullname)");
        hidden("accounts?$expand=contact_customer_accounts($expand=parentcustomerid_account($filter=contains(emailaddress1,'yvonne')))");
        hidden("contacts?$apply=filter(emailaddress1%20eq%20'yvonne@fabrikam.example')/aggregate($count%20as%20n)");
        hidden("accounts?$filter=contact_customer_accounts/any(c:c/emailaddress1%20eq%20'yvonne@fabrikam.example')");
        // A quote doubled inside the literal.
        let out = hidden("contacts?$filter=emailaddress1%20eq%20'yvonne.o''brien@fabrikam.example'");
        assert!(!out.contains("brien"), "{out}");
    }

    #[test]
    fn fetchxml_conditions_on_a_redacted_column_are_redacted_however_the_xml_is_encoded() {
        let xml = "<fetch><entity name='contact'><attribute name='fullname'/><filter><condition attribute='emailaddress1' operator='eq' value='yvonne@fabrikam.example'/>\
                   <condition attribute='emailaddress1' operator='in'><value>ana.p@contoso.example</value></condition>\
                   <condition attribute='lastname' operator='eq' value='Smith'/></filter></entity></fetch>";
        // encodeURIComponent's form, and everything-but-alphanumerics.
        let component = percent_encoding::utf8_percent_encode(xml, super::super::URI_COMPONENT).to_string();
        let all = percent_encoding::utf8_percent_encode(xml, percent_encoding::NON_ALPHANUMERIC).to_string();
        for encoded in [component, all] {
            let out = hidden(&format!("contacts?fetchXml={encoded}"));
            assert!(out.contains("Smith"), "another column's value stays: {out}");
        }
    }

    #[test]
    fn other_columns_keep_their_values_and_an_unparsable_url_falls_back_to_patterns() {
        let out = hidden("contacts?$filter=emailaddress1%20eq%20'yvonne@fabrikam.example'%20and%20lastname%20eq%20'Smith'&$orderby=lastname");
        assert!(out.contains("'Smith'"), "{out}");
        let out = redacted("contacts?$filter=contains(lastname,'Smith')");
        assert_eq!(out, "contacts?$filter=contains(lastname,'Smith')");
        // `eqq` does not parse: the `column eq '…'` pattern still catches this one.
        let out = hidden("contacts?$filter=emailaddress1%20eq%20'yvonne@fabrikam.example'%20eqq");
        assert!(out.starts_with("contacts?$filter=emailaddress1%20eq%20'redacted-"), "{out}");
    }
}
