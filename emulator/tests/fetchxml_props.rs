//! Property tests for the FetchXML parser (`dataverse_emulator::fetchxml::parse`):
//!
//! - arbitrary text (and XML-ish token soup) never panics, and every refusal is
//!   `InvalidArgument`;
//! - generated valid documents (nested and/or filters, conditions with attribute or
//!   `<value>` values, link-entities of every link type — the filter-only ones inside
//!   `<filter>` — orders, and the paging/aggregate/distinct fetch attributes in valid
//!   combinations) always parse, to exactly the tree they were written from, including
//!   values with XML-escaped special characters, which must come back unescaped;
//! - valid documents truncated, with a byte changed, or with an element duplicated never
//!   panic, and any refusal is `InvalidArgument`.

use dataverse_emulator::error::Code;
use dataverse_emulator::fetchxml::ast::*;
use dataverse_emulator::fetchxml::parse;
use proptest::prelude::*;

/// Few enough cases that the file runs in a couple of seconds, unless `PROPTEST_CASES`
/// asks for a longer run.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        default
    } else {
        ProptestConfig { cases: 256, ..default }
    }
}

/// Fails the case when `xml` is refused with anything but `InvalidArgument`.
fn refused_cleanly(xml: &str) -> Result<(), TestCaseError> {
    if let Err(e) = parse(xml) {
        prop_assert_eq!(e.code(), Code::InvalidArgument, "input {:?}: {}", xml, e.message());
        prop_assert!(!e.message().is_empty());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Generators: the expected tree.
// ---------------------------------------------------------------------------------------

/// A logical name.
fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,10}"
}

/// Free text for values: letters, spaces, the characters XML must escape, and non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[A-Za-z0-9 %_.,:-]",
            2 => prop::sample::select(vec!["&", "<", ">", "\"", "'", "&amp;", "&lt;", "]]>", "<![CDATA[x]]>", "<!-- c -->", ";", "#"])
                .prop_map(str::to_string),
            1 => prop::sample::select(vec!["é", "日本", "Ω", "🦀", "\u{a0}"]).prop_map(str::to_string),
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

/// Non-empty free text (for attributes the parser reads an empty value of as absent).
fn non_empty_text() -> impl Strategy<Value = String> {
    text().prop_filter("non-empty", |t| !t.is_empty())
}

const OPERATORS_ONE: &[&str] = &[
    "eq", "ne", "neq", "gt", "ge", "lt", "le", "like", "not-like", "begins-with", "not-begin-with", "ends-with", "not-end-with", "on", "on-or-before",
    "on-or-after", "last-x-days", "next-x-months", "olderthan-x-years", "under", "eq-or-above", "contain-values",
];
const OPERATORS_NONE: &[&str] =
    &["null", "not-null", "eq-userid", "ne-userid", "eq-businessid", "today", "yesterday", "this-month", "last-year", "eq-useroruserhierarchy"];
const OPERATORS_MANY: &[&str] = &["in", "not-in", "contain-values", "not-contain-values"];
const OPERATORS_TWO: &[&str] = &["between", "not-between"];

fn condition() -> impl Strategy<Value = Condition> {
    let shape = prop_oneof![
        // value="…"
        4 => (prop::sample::select(OPERATORS_ONE), text()).prop_map(|(op, v)| (op.to_string(), Some(v), vec![], None)),
        // valueof="…"
        1 => (prop::sample::select(&["eq", "ne", "gt", "le"][..]), name()).prop_map(|(op, col)| (op.to_string(), None, vec![], Some(col))),
        // no value
        1 => prop::sample::select(OPERATORS_NONE).prop_map(|op| (op.to_string(), None, vec![], None)),
        // <value> children
        2 => (prop::sample::select(OPERATORS_MANY), prop::collection::vec(text(), 1..4)).prop_map(|(op, vs)| (op.to_string(), None, vs, None)),
        1 => (prop::sample::select(OPERATORS_TWO), text(), text()).prop_map(|(op, a, b)| (op.to_string(), None, vec![a, b], None)),
    ];
    (name(), shape, prop::option::weighted(0.2, name())).prop_map(|(attribute, (operator, value, values, value_of), entity_name)| Condition {
        attribute,
        operator,
        value,
        values,
        entity_name,
        value_of,
    })
}

/// How the root entity's columns look: plain, or an aggregate query's.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    Aggregate,
}

fn attribute(mode: Mode) -> BoxedStrategy<Attribute> {
    match mode {
        Mode::Plain => (name(), prop::option::weighted(0.3, name())).prop_map(|(name, alias)| Attribute { name, alias, ..Attribute::default() }).boxed(),
        Mode::Aggregate => {
            let function = prop::sample::select(vec![
                AggregateFn::Count,
                AggregateFn::CountColumn,
                AggregateFn::Sum,
                AggregateFn::Avg,
                AggregateFn::Min,
                AggregateFn::Max,
            ]);
            let grouping = prop::sample::select(vec![
                DateGrouping::Day,
                DateGrouping::Week,
                DateGrouping::Month,
                DateGrouping::Quarter,
                DateGrouping::Year,
                DateGrouping::FiscalPeriod,
                DateGrouping::FiscalYear,
            ]);
            let aggregated = (name(), name(), function, any::<bool>()).prop_map(|(name, alias, f, distinct)| Attribute {
                name,
                alias: Some(alias),
                aggregate: Some(f),
                distinct: distinct && f == AggregateFn::CountColumn,
                ..Attribute::default()
            });
            let grouped = (name(), name(), prop::option::weighted(0.3, grouping)).prop_map(|(name, alias, date_grouping)| Attribute {
                name,
                alias: Some(alias),
                group_by: true,
                date_grouping,
                ..Attribute::default()
            });
            prop_oneof![aggregated, grouped].boxed()
        }
    }
}

fn order(mode: Mode) -> BoxedStrategy<Order> {
    let target = match mode {
        Mode::Plain => name().prop_map(|a| (Some(a), None)).boxed(),
        Mode::Aggregate => name().prop_map(|a| (None, Some(a))).boxed(),
    };
    (target, any::<bool>(), prop::option::weighted(0.2, name()))
        .prop_map(|((attribute, alias), descending, entity_name)| Order { attribute, alias, descending, entity_name })
        .boxed()
}

/// A `<filter>`: conditions, and below `depth` 0 nested filters and filter-only links.
fn filter(depth: u32, mode: Mode) -> BoxedStrategy<Filter> {
    let item = if depth == 0 {
        condition().prop_map(FilterItem::Condition).boxed()
    } else {
        prop_oneof![
            4 => condition().prop_map(FilterItem::Condition),
            2 => filter(depth - 1, mode).prop_map(FilterItem::Filter),
            1 => link(depth - 1, mode, true).prop_map(FilterItem::Link),
        ]
        .boxed()
    };
    (any::<bool>(), prop::collection::vec(item, 0..4)).prop_map(|(or, items)| Filter { or, items }).boxed()
}

/// A `<link-entity>`; `in_filter` picks the filter-only link types allowed inside `<filter>`.
fn link(depth: u32, mode: Mode, in_filter: bool) -> BoxedStrategy<LinkEntity> {
    let link_type = if in_filter {
        prop::sample::select(vec![LinkType::Any, LinkType::NotAny, LinkType::All, LinkType::NotAll])
    } else {
        prop::sample::select(vec![LinkType::Inner, LinkType::Outer, LinkType::Exists, LinkType::In, LinkType::MatchFirstRow])
    };
    (
        link_type,
        prop::option::weighted(0.9, name()),
        prop::option::weighted(0.9, name()),
        prop::option::weighted(0.5, name()),
        any::<bool>(),
        entity(depth, mode),
    )
        .prop_map(|(link_type, from, to, alias, intersect, entity)| LinkEntity { from, to, alias, link_type, intersect, entity })
        .boxed()
}

fn entity(depth: u32, mode: Mode) -> BoxedStrategy<Entity> {
    let links = if depth == 0 { Just(vec![]).boxed() } else { prop::collection::vec(link(depth - 1, mode, false), 0..3).boxed() };
    (
        name(),
        prop::collection::vec(attribute(mode), 0..4),
        prop::bool::weighted(0.1),
        prop::collection::vec(order(mode), 0..3),
        prop::collection::vec(filter(depth.min(2), mode), 0..3),
        links,
    )
        .prop_map(|(name, attributes, all_attributes, orders, filters, links)| Entity { name, attributes, all_attributes, orders, filters, links })
        .boxed()
}

/// A valid `<fetch>`: paging by `top` or by `count`/`page`/cookie, never both; aggregate
/// queries with aliased aggregate or group-by columns and no `distinct`.
fn fetch() -> impl Strategy<Value = Fetch> {
    let plain = (
        prop_oneof![
            Just((None, None, None, None, false)),
            (1u32..5000).prop_map(|top| (Some(top), None, None, None, false)),
            (1u32..5000, prop::option::of(1u32..100), prop::option::of(non_empty_text()), any::<bool>())
                .prop_map(|(count, page, cookie, total)| (None, Some(count), page, cookie, total)),
        ],
        any::<bool>(),
        any::<bool>(),
        entity(3, Mode::Plain),
    )
        .prop_map(|((top, count, page, paging_cookie, return_total_record_count), distinct, use_raw_order_by, entity)| Fetch {
            top,
            count,
            page,
            paging_cookie,
            aggregate: false,
            aggregate_limit: None,
            distinct,
            return_total_record_count,
            use_raw_order_by,
            entity,
        });
    let aggregate = (prop::option::of(1u32..100), prop::option::of(1u32..50_000), entity(2, Mode::Aggregate)).prop_map(|(top, aggregate_limit, entity)| {
        Fetch { top, aggregate: true, aggregate_limit, entity, ..Fetch::default() }
    });
    prop_oneof![3 => plain, 1 => aggregate]
}

// ---------------------------------------------------------------------------------------
// Writing the tree as FetchXML, with the spelling chosen by a seeded generator: quote
// style, entity or character references, synonyms (`natural`, `1`), attribute order,
// element interleaving and whitespace all vary.
// ---------------------------------------------------------------------------------------

struct Writer {
    out: String,
    state: u64,
    pretty: bool,
}

impl Writer {
    fn new(seed: u64) -> Writer {
        let mut w = Writer { out: String::new(), state: seed | 1, pretty: false };
        w.pretty = w.chance(2);
        w
    }

    /// xorshift64*
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True one time in `n`.
    fn chance(&mut self, n: u64) -> bool {
        self.next() < u64::MAX / n
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[(self.next() % options.len() as u64) as usize]
    }

    /// `text` escaped for a position quoted by `quote` (`None` for element content).
    fn escape(&mut self, text: &str, quote: Option<char>) -> String {
        let mut out = String::new();
        for c in text.chars() {
            let numeric = self.chance(4);
            let hex = self.chance(2);
            let named = match c {
                '&' => Some("&amp;"),
                '<' => Some("&lt;"),
                '>' => Some("&gt;"),
                '"' if quote != Some('\'') || self.chance(2) => Some("&quot;"),
                '\'' if quote != Some('"') || self.chance(2) => Some("&apos;"),
                _ => None,
            };
            match named {
                Some(_) if numeric && hex => out.push_str(&format!("&#x{:X};", c as u32)),
                Some(_) if numeric => out.push_str(&format!("&#{};", c as u32)),
                Some(entity) => out.push_str(entity),
                // Now and then an ordinary character as a character reference too.
                None if self.chance(16) => out.push_str(&format!("&#{};", c as u32)),
                None => out.push(c),
            }
        }
        out
    }

    fn newline(&mut self, depth: usize) {
        if self.pretty {
            self.out.push('\n');
            self.out.push_str(&"  ".repeat(depth));
        }
    }

    /// Writes `<name a="…" …` (unclosed), the attributes in a shuffled order.
    fn open(&mut self, depth: usize, name: &str, mut attributes: Vec<(&str, String)>) {
        self.newline(depth);
        self.out.push('<');
        self.out.push_str(name);
        for i in (1..attributes.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            attributes.swap(i, j);
        }
        for (key, value) in attributes {
            let quote = if self.chance(2) { '"' } else { '\'' };
            let value = self.escape(&value, Some(quote));
            let space = if self.chance(8) { "\n   " } else { " " };
            let around = if self.chance(8) { " " } else { "" };
            self.out.push_str(&format!("{space}{key}{around}={around}{quote}{value}{quote}"));
        }
    }

    /// Closes an opened element with `/>`, or `></name>` when it has no content.
    fn close_empty(&mut self, name: &str) {
        if self.chance(4) {
            self.out.push_str(&format!("></{name}>"));
        } else {
            let close = if self.chance(2) { "/>" } else { " />" };
            self.out.push_str(close);
        }
    }

    fn end(&mut self, depth: usize, name: &str) {
        self.newline(depth);
        self.out.push_str(&format!("</{name}>"));
    }

    fn boolean(&mut self) -> String {
        self.pick(&["true", "1", "True"]).to_string()
    }

    fn fetch(mut self, f: &Fetch) -> String {
        if self.chance(2) {
            self.out.push_str(r#"<?xml version="1.0" encoding="utf-8"?>"#);
        }
        if self.chance(4) {
            self.out.push_str("<!-- generated -->");
        }
        let mut a = vec![];
        if self.chance(2) {
            a.push(("version", "1.0".to_string()));
        }
        if self.chance(2) {
            a.push(("mapping", "logical".to_string()));
        }
        for (key, value) in [("top", f.top), ("count", f.count), ("page", f.page), ("aggregatelimit", f.aggregate_limit)] {
            if let Some(v) = value {
                a.push((key, v.to_string()));
            }
        }
        if let Some(c) = &f.paging_cookie {
            a.push(("paging-cookie", c.clone()));
        }
        for (key, value) in [
            ("aggregate", f.aggregate),
            ("distinct", f.distinct),
            ("returntotalrecordcount", f.return_total_record_count),
            ("useraworderby", f.use_raw_order_by),
        ] {
            if value {
                a.push((key, self.boolean()));
            } else if self.chance(6) {
                a.push((key, "false".to_string()));
            }
        }
        if self.chance(6) {
            a.push(("no-lock", "true".to_string()));
        }
        self.open(0, "fetch", a);
        self.out.push('>');
        self.entity(1, "entity", vec![("name", f.entity.name.clone())], &f.entity);
        self.end(0, "fetch");
        if self.chance(4) {
            self.out.push('\n');
        }
        self.out
    }

    /// An `<entity>` or `<link-entity>`: its children in document order per kind, the
    /// kinds interleaved at random.
    fn entity(&mut self, depth: usize, tag: &str, attributes: Vec<(&str, String)>, e: &Entity) {
        self.open(depth, tag, attributes);
        let mut queues = [e.attributes.len(), usize::from(e.all_attributes), e.orders.len(), e.filters.len(), e.links.len()];
        if queues.iter().all(|&n| n == 0) {
            self.close_empty(tag);
            return;
        }
        self.out.push('>');
        let mut taken = [0usize; 5];
        while queues.iter().any(|&n| n > 0) {
            let kind = loop {
                let k = (self.next() % 5) as usize;
                if queues[k] > 0 {
                    break k;
                }
            };
            let i = taken[kind];
            match kind {
                0 => self.attribute(depth + 1, &e.attributes[i]),
                1 => {
                    self.open(depth + 1, "all-attributes", vec![]);
                    self.close_empty("all-attributes");
                }
                2 => self.order(depth + 1, &e.orders[i]),
                3 => self.filter(depth + 1, &e.filters[i]),
                _ => self.link(depth + 1, &e.links[i]),
            }
            queues[kind] -= 1;
            taken[kind] += 1;
        }
        self.end(depth, tag);
    }

    fn attribute(&mut self, depth: usize, a: &Attribute) {
        let mut attrs = vec![("name", a.name.clone())];
        if let Some(alias) = &a.alias {
            attrs.push(("alias", alias.clone()));
        }
        if let Some(f) = a.aggregate {
            let f = match f {
                AggregateFn::Count => "count",
                AggregateFn::CountColumn => "countcolumn",
                AggregateFn::Sum => "sum",
                AggregateFn::Avg => "avg",
                AggregateFn::Min => "min",
                AggregateFn::Max => "max",
            };
            attrs.push(("aggregate", f.to_string()));
        }
        if a.group_by {
            attrs.push(("groupby", self.boolean()));
        }
        if let Some(d) = a.date_grouping {
            let d = match d {
                DateGrouping::Day => "day",
                DateGrouping::Week => "week",
                DateGrouping::Month => "month",
                DateGrouping::Quarter => "quarter",
                DateGrouping::Year => "year",
                DateGrouping::FiscalPeriod => "fiscal-period",
                DateGrouping::FiscalYear => "fiscal-year",
            };
            attrs.push(("dategrouping", d.to_string()));
        }
        if a.distinct {
            attrs.push(("distinct", self.boolean()));
        }
        if a.row_aggregate {
            attrs.push(("rowaggregate", "CountChildren".to_string()));
        }
        self.open(depth, "attribute", attrs);
        self.close_empty("attribute");
    }

    fn order(&mut self, depth: usize, o: &Order) {
        let mut attrs = vec![];
        for (key, value) in [("attribute", &o.attribute), ("alias", &o.alias), ("entityname", &o.entity_name)] {
            if let Some(v) = value {
                attrs.push((key, v.clone()));
            }
        }
        if o.descending {
            attrs.push(("descending", self.boolean()));
        } else if self.chance(3) {
            attrs.push(("descending", "false".to_string()));
        }
        self.open(depth, "order", attrs);
        self.close_empty("order");
    }

    fn filter(&mut self, depth: usize, f: &Filter) {
        let mut attrs = vec![];
        if f.or {
            attrs.push(("type", "or".to_string()));
        } else if self.chance(2) {
            attrs.push(("type", "and".to_string()));
        }
        self.open(depth, "filter", attrs);
        if f.items.is_empty() {
            self.close_empty("filter");
            return;
        }
        self.out.push('>');
        for item in &f.items {
            match item {
                FilterItem::Condition(c) => self.condition(depth + 1, c),
                FilterItem::Filter(f) => self.filter(depth + 1, f),
                FilterItem::Link(l) => self.link(depth + 1, l),
            }
        }
        self.end(depth, "filter");
    }

    fn condition(&mut self, depth: usize, c: &Condition) {
        let column = if self.chance(8) { "column" } else { "attribute" };
        let mut attrs = vec![(column, c.attribute.clone()), ("operator", c.operator.clone())];
        for (key, value) in [("value", &c.value), ("entityname", &c.entity_name), ("valueof", &c.value_of)] {
            if let Some(v) = value {
                attrs.push((key, v.clone()));
            }
        }
        self.open(depth, "condition", attrs);
        if c.values.is_empty() {
            self.close_empty("condition");
            return;
        }
        self.out.push('>');
        for v in &c.values {
            self.newline(depth + 1);
            if v.is_empty() && self.chance(2) {
                self.out.push_str("<value/>");
            } else if !v.contains("]]>") && self.chance(6) {
                self.out.push_str(&format!("<value><![CDATA[{v}]]></value>"));
            } else {
                let escaped = self.escape(v, None);
                self.out.push_str(&format!("<value>{escaped}</value>"));
            }
        }
        self.end(depth, "condition");
    }

    fn link(&mut self, depth: usize, l: &LinkEntity) {
        let mut attrs = vec![("name", l.entity.name.clone())];
        for (key, value) in [("from", &l.from), ("to", &l.to), ("alias", &l.alias)] {
            if let Some(v) = value {
                attrs.push((key, v.clone()));
            }
        }
        let link_type = match l.link_type {
            LinkType::Inner => match self.next() % 3 {
                0 => None,
                1 => Some("inner"),
                _ => Some("natural"),
            },
            LinkType::Outer => Some("outer"),
            LinkType::Any => Some("any"),
            LinkType::NotAny => Some("not any"),
            LinkType::All => Some("all"),
            LinkType::NotAll => Some("not all"),
            LinkType::Exists => Some("exists"),
            LinkType::In => Some("in"),
            LinkType::MatchFirstRow => Some("matchfirstrowusingcrossapply"),
        };
        if let Some(t) = link_type {
            attrs.push(("link-type", t.to_string()));
        }
        if l.intersect {
            attrs.push(("intersect", self.boolean()));
        }
        if self.chance(5) {
            attrs.push(("visible", "false".to_string()));
        }
        self.entity(depth, "link-entity", attrs, &l.entity);
    }
}

fn write(f: &Fetch, seed: u64) -> String {
    Writer::new(seed).fetch(f)
}

// ---------------------------------------------------------------------------------------
// Checks beyond equality, so a failure says which part went wrong.
// ---------------------------------------------------------------------------------------

/// Counts of columns, conditions and links, and every link type, operator and value, in
/// document order per kind.
#[derive(Debug, Default, PartialEq)]
struct Summary {
    attributes: usize,
    conditions: usize,
    links: usize,
    link_types: Vec<LinkType>,
    operators: Vec<String>,
    values: Vec<String>,
}

impl Summary {
    fn of(f: &Fetch) -> Summary {
        let mut s = Summary::default();
        s.entity(&f.entity);
        s
    }

    fn entity(&mut self, e: &Entity) {
        self.attributes += e.attributes.len();
        for f in &e.filters {
            self.filter(f);
        }
        for l in &e.links {
            self.link(l);
        }
    }

    fn link(&mut self, l: &LinkEntity) {
        self.links += 1;
        self.link_types.push(l.link_type);
        self.entity(&l.entity);
    }

    fn filter(&mut self, f: &Filter) {
        for item in &f.items {
            match item {
                FilterItem::Condition(c) => {
                    self.conditions += 1;
                    self.operators.push(c.operator.clone());
                    self.values.extend(c.value.iter().cloned());
                    self.values.extend(c.values.iter().cloned());
                }
                FilterItem::Filter(f) => self.filter(f),
                FilterItem::Link(l) => self.link(l),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mutations of valid documents.
// ---------------------------------------------------------------------------------------

/// Byte spans of every element (start tag to end tag) in a document [`Writer`] wrote: it
/// never leaves `<` or `>` unescaped in values, so tags can be found by those alone.
fn element_spans(xml: &str) -> Vec<(usize, usize)> {
    let bytes = xml.as_bytes();
    let mut spans = vec![];
    let mut open: Vec<usize> = vec![];
    let mut i = 0;
    while let Some(offset) = xml[i..].find('<') {
        let start = i + offset;
        if xml[start..].starts_with("<![CDATA[") {
            i = start + xml[start..].find("]]>").map_or(xml.len() - start, |e| e + 3);
            continue;
        }
        let Some(len) = xml[start..].find('>') else { break };
        let end = start + len + 1;
        match bytes.get(start + 1) {
            Some(b'?') | Some(b'!') => {}
            Some(b'/') => {
                if let Some(s) = open.pop() {
                    spans.push((s, end));
                }
            }
            _ if bytes[end - 2] == b'/' => spans.push((start, end)),
            _ => open.push(start),
        }
        i = end;
    }
    spans
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Cut at this fraction of the length.
    Truncate(prop::sample::Index),
    /// Set the byte at an index to a value.
    Byte(prop::sample::Index, u8),
    /// Repeat an element right after itself.
    Duplicate(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let special = prop::sample::select(b"<>/&;\"'= !?-[]#x0\x00\xff\xc3".to_vec());
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), prop_oneof![special, any::<u8>()]).prop_map(|(i, b)| Mutation::Byte(i, b)),
        any::<prop::sample::Index>().prop_map(Mutation::Duplicate),
    ]
}

fn mutate(xml: &str, m: &Mutation) -> String {
    let bytes = xml.as_bytes();
    match m {
        Mutation::Truncate(i) => String::from_utf8_lossy(&bytes[..i.index(bytes.len() + 1)]).into_owned(),
        Mutation::Byte(_, _) if bytes.is_empty() => String::new(),
        Mutation::Byte(i, b) => {
            let mut bytes = bytes.to_vec();
            let i = i.index(bytes.len());
            bytes[i] = *b;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Duplicate(i) => duplicate(xml, i.index(element_spans(xml).len())),
    }
}

/// `xml` with its `n`th element (in [`element_spans`] order) repeated right after itself.
fn duplicate(xml: &str, n: usize) -> String {
    let (s, e) = element_spans(xml)[n];
    format!("{}{}{}", &xml[..e], &xml[s..e], &xml[e..])
}

// ---------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------

/// Fragments of FetchXML and of XML's trickier corners, for token soup.
const FRAGMENTS: &[&str] = &[
    "<fetch>",
    "<fetch ",
    "</fetch>",
    "<entity name='account'>",
    "<entity name=\"a\"/>",
    "</entity>",
    "<attribute name='name'/>",
    "<all-attributes/>",
    "<filter type='or'>",
    "<filter>",
    "</filter>",
    "<condition attribute='a' operator='eq' value='1'/>",
    "<condition attribute='a' operator='in'>",
    "<value>",
    "</value>",
    "</condition>",
    "<link-entity name='c' link-type='any'>",
    "<link-entity name='c' from='a' to='b'>",
    "</link-entity>",
    "<order attribute='a' descending='true'/>",
    " count='5'",
    " top='-1'",
    " page='99999999999'",
    " aggregate='true'",
    "<?xml version='1.0'?>",
    "<!DOCTYPE fetch>",
    "<!ENTITY x 'y'>",
    "<!-- ",
    " -->",
    "<![CDATA[",
    "]]>",
    "&amp;",
    "&lt;",
    "&bogus;",
    "&#0;",
    "&#x110000;",
    "&#xD800;",
    "&#65;",
    "&#",
    "&",
    "<",
    ">",
    "/>",
    "'",
    "\"",
    "=",
    " ",
    "\n",
    "\u{0}",
    "é",
    "🦀",
    "xmlns='urn:x'",
    "a:b",
    "<a:fetch xmlns:a='u'>",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text_is_refused_cleanly(s in any::<String>()) {
        refused_cleanly(&s)?;
    }

    #[test]
    fn xml_like_text_is_refused_cleanly(s in "[<>/=\"' a-z&;#!?\\[\\]-]{0,64}") {
        refused_cleanly(&s)?;
    }

    #[test]
    fn token_soup_is_refused_cleanly(s in soup()) {
        refused_cleanly(&s)?;
    }

    #[test]
    fn token_soup_in_a_valid_shell_is_refused_cleanly(s in soup()) {
        refused_cleanly(&format!("<fetch><entity name='account'>{s}</entity></fetch>"))?;
        refused_cleanly(&format!("<fetch><entity name='account'><filter><condition attribute='a' operator='in'><value>{s}</value></condition></filter></entity></fetch>"))?;
    }

    #[test]
    fn generated_documents_parse_to_what_was_written(f in fetch(), seed in any::<u64>()) {
        let xml = write(&f, seed);
        let parsed = match parse(&xml) {
            Ok(parsed) => parsed,
            Err(e) => return Err(TestCaseError::fail(format!("{} ({:?}) on\n{xml}", e.message(), e.code()))),
        };
        prop_assert_eq!(Summary::of(&parsed), Summary::of(&f), "on\n{}", xml);
        prop_assert_eq!(parsed, f, "on\n{}", xml);
    }

    #[test]
    fn mutated_documents_are_refused_cleanly(f in fetch(), seed in any::<u64>(), mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut xml = write(&f, seed);
        for m in &mutations {
            // Each mutation applies to the previous one's result; element spans are only
            // meaningful on a document still shaped as written, so duplication goes first.
            if matches!(m, Mutation::Duplicate(_)) && !element_spans(&xml).is_empty() {
                xml = mutate(&xml, m);
            }
        }
        for m in &mutations {
            if !matches!(m, Mutation::Duplicate(_)) {
                xml = mutate(&xml, m);
            }
        }
        refused_cleanly(&xml)?;
    }
}

/// Values with every escaped form come back unescaped, in attributes and in `<value>`s.
#[test]
fn escaped_values_come_back_unescaped() {
    let xml = r#"<fetch paging-cookie="&lt;cookie page=&quot;1&quot;&gt;&lt;accountid last=&quot;{1}&quot; /&gt;&lt;/cookie&gt;">
        <entity name="account">
          <filter>
            <condition attribute="name" operator="eq" value="A &amp; B &lt;c&gt; &quot;d&quot; &apos;e&apos; &#38; &#x3C; é" />
            <condition attribute="name" operator="in">
              <value>x &amp; y</value><value>&lt;z&gt;</value><value><![CDATA[<raw & kept>]]></value><value/>
              <value>a&#x26;b&#60;</value>
            </condition>
            <condition attribute='name' operator='eq' value='say "hi" &apos;x&apos;' />
          </filter>
        </entity>
      </fetch>"#;
    let f = parse(xml).unwrap();
    assert_eq!(f.paging_cookie.as_deref(), Some(r#"<cookie page="1"><accountid last="{1}" /></cookie>"#));
    let items = &f.entity.filters[0].items;
    let FilterItem::Condition(c) = &items[0] else { panic!("{items:?}") };
    assert_eq!(c.value.as_deref(), Some(r#"A & B <c> "d" 'e' & < é"#));
    let FilterItem::Condition(c) = &items[1] else { panic!("{items:?}") };
    assert_eq!(c.values, vec!["x & y", "<z>", "<raw & kept>", "", "a&b<"]);
    let FilterItem::Condition(c) = &items[2] else { panic!("{items:?}") };
    assert_eq!(c.value.as_deref(), Some(r#"say "hi" 'x'"#));
}

/// A duplicated element is found and repeated whole by the mutation helper.
#[test]
fn element_spans_find_whole_elements() {
    let xml = "<fetch><entity name='a'><filter><condition attribute='x' operator='in'><value>1</value></condition></filter><attribute name='b'/></entity></fetch>";
    let spans = element_spans(xml);
    assert_eq!(spans.len(), 6);
    assert!(spans.contains(&(0, xml.len())));
    let dup = duplicate(xml, 0);
    assert!(dup.contains("<value>1</value><value>1</value>"), "{dup}");
    let f = parse(&dup).unwrap();
    let FilterItem::Condition(c) = &f.entity.filters[0].items[0] else { panic!() };
    assert_eq!(c.values, vec!["1", "1"]);
}

/// The fuzz target's seed corpus (`emulator/fuzz/seeds/fetchxml`) stays valid.
#[test]
fn fuzz_seeds_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/fetchxml");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let xml = std::fs::read_to_string(&path).unwrap();
        if let Err(e) = parse(&xml) {
            panic!("{}: {}", path.display(), e.message());
        }
        seen += 1;
    }
    assert!(seen >= 3, "{}", dir.display());
}
