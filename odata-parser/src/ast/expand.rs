//! `$expand` (`expand` in the OData ABNF, Dataverse subset): a list of [`ExpandItem`]s,
//! each a navigation property with its own nested query options.

use std::fmt::{self, Display, Formatter, Write as _};

use super::display::joined;
use super::expr::Expr;
use super::orderby::OrderByItem;
use super::SelectItem;
use crate::span::SourceSpan;

/// One `$expand` item: `primarycontactid`, `primarycontactid/$ref`,
/// `Account_Tasks($select=subject;$filter=statecode eq 0;$orderby=createdon desc;$top=5)`.
///
/// A whole `$expand` is a `Vec<ExpandItem>`; its canonical text is the items'
/// `Display` joined by `,`. Whether `nav` exists, is single- or collection-valued, and
/// allows `$top`/`$orderby` or `/$ref` (Dataverse allows those only in some places) is
/// for the emulator to decide.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExpandItem {
    /// The navigation property exactly as written (`primarycontactid`, `Account_Tasks`).
    pub nav: String,
    /// `nav/$ref`: only references (`@odata.id`) are wanted. A `$ref` item never has
    /// options: all of the fields below are empty.
    pub is_ref: bool,
    /// `$select=a,b`
    pub select: Option<Vec<SelectItem>>,
    /// `$filter=…`
    pub filter: Option<Expr>,
    /// `$orderby=…`
    pub orderby: Option<Vec<OrderByItem>>,
    /// `$top=N`
    pub top: Option<u64>,
    /// `$expand=…`, nested to any depth (up to the parser's nesting limit).
    pub expand: Option<Vec<ExpandItem>>,
    /// Options OData allows inside an expand but Dataverse refuses (`skip`, `count`,
    /// `search`, `levels`), by name without `$`, in source order, so the emulator can
    /// answer with Dataverse's error. Their values are checked for balanced quotes and
    /// parentheses only, and not kept.
    pub unsupported: Vec<String>,
    /// Where the item was written, options included (ignored by `==`).
    pub span: SourceSpan,
}

impl ExpandItem {
    /// Whether any option (supported or not) was given in parentheses.
    pub fn has_options(&self) -> bool {
        self.select.is_some()
            || self.filter.is_some()
            || self.orderby.is_some()
            || self.top.is_some()
            || self.expand.is_some()
            || !self.unsupported.is_empty()
    }

    /// The options in canonical order, as `(name, value)` pairs.
    fn options(&self) -> Vec<(String, String)> {
        let mut options = Vec::new();
        if let Some(items) = &self.select {
            options.push(("$select".into(), joined(items, ",")));
        }
        if let Some(filter) = &self.filter {
            options.push(("$filter".into(), filter.to_string()));
        }
        if let Some(items) = &self.orderby {
            options.push(("$orderby".into(), joined(items, ",")));
        }
        if let Some(top) = self.top {
            options.push(("$top".into(), top.to_string()));
        }
        if let Some(items) = &self.expand {
            options.push(("$expand".into(), joined(items, ",")));
        }
        for name in &self.unsupported {
            options.push((format!("${name}"), String::new()));
        }
        options
    }

    /// Compact rendering for tests: `nav` or `nav/$ref` without options, otherwise
    /// `(nav (select a b) (filter …) (orderby (desc a)) (top 5) (expand …) (unsupported skip))`
    /// with only the options given.
    pub fn to_sexpr(&self) -> String {
        if !self.has_options() {
            return self.to_string();
        }
        let mut out = format!("({}", self.nav);
        if let Some(items) = &self.select {
            out.push_str(" (select");
            items.iter().for_each(|i| {
                let _ = write!(out, " {i}");
            });
            out.push(')');
        }
        if let Some(filter) = &self.filter {
            let _ = write!(out, " (filter {})", filter.to_sexpr());
        }
        if let Some(items) = &self.orderby {
            out.push_str(" (orderby");
            items.iter().for_each(|i| {
                let _ = write!(out, " {}", i.to_sexpr());
            });
            out.push(')');
        }
        if let Some(top) = self.top {
            let _ = write!(out, " (top {top})");
        }
        if let Some(items) = &self.expand {
            out.push_str(" (expand");
            items.iter().for_each(|i| {
                let _ = write!(out, " {}", i.to_sexpr());
            });
            out.push(')');
        }
        if !self.unsupported.is_empty() {
            let _ = write!(out, " (unsupported {})", self.unsupported.join(" "));
        }
        out + ")"
    }
}

impl Display for ExpandItem {
    /// `nav`, `nav/$ref`, or `nav(opt;opt…)` with the options in a fixed order:
    /// `$select`, `$filter`, `$orderby`, `$top`, `$expand`, then refused options with
    /// an empty value (`$skip=`), since their values are not kept.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&self.nav)?;
        if self.is_ref {
            f.write_str("/$ref")?;
        }
        let options = self.options();
        if options.is_empty() {
            return Ok(());
        }
        f.write_char('(')?;
        let options: Vec<String> = options.iter().map(|(n, v)| format!("{n}={v}")).collect();
        f.write_str(&options.join(";"))?;
        f.write_char(')')
    }
}
