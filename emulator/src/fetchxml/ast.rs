//! The FetchXML document as parsed, before any name is resolved: one type per element of
//! Microsoft's `FetchXml.xsd`, holding the attributes the emulator understands.

/// `<fetch>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fetch {
    /// `top`: at most this many rows, no paging.
    pub top: Option<u32>,
    /// `count`: rows per page.
    pub count: Option<u32>,
    /// `page`: the 1-based page number.
    pub page: Option<u32>,
    /// `paging-cookie`: the previous page's cookie (the inner `<cookie page=…>` form).
    pub paging_cookie: Option<String>,
    /// `aggregate="true"`.
    pub aggregate: bool,
    /// `aggregatelimit`: a lower aggregate row limit.
    pub aggregate_limit: Option<u32>,
    /// `distinct="true"`.
    pub distinct: bool,
    /// `returntotalrecordcount="true"`.
    pub return_total_record_count: bool,
    /// `useraworderby="true"`: choice columns sort by value, not label.
    pub use_raw_order_by: bool,
    /// The root `<entity>`.
    pub entity: Entity,
}

/// `<entity>` or the body of a `<link-entity>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entity {
    /// `name`: the table's logical name.
    pub name: String,
    /// Columns, in document order.
    pub attributes: Vec<Attribute>,
    /// `<all-attributes/>`.
    pub all_attributes: bool,
    /// Sort orders, in document order.
    pub orders: Vec<Order>,
    /// `<filter>` children (more than one are and-ed).
    pub filters: Vec<Filter>,
    /// `<link-entity>` children.
    pub links: Vec<LinkEntity>,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateFn {
    /// Rows in the group.
    Count,
    /// Non-null values of the column.
    CountColumn,
    /// Sum.
    Sum,
    /// Average.
    Avg,
    /// Minimum.
    Min,
    /// Maximum.
    Max,
}

/// A `dategrouping` period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateGrouping {
    /// Calendar day.
    Day,
    /// Week of the year.
    Week,
    /// Calendar month.
    Month,
    /// Calendar quarter.
    Quarter,
    /// Calendar year.
    Year,
    /// Fiscal period.
    FiscalPeriod,
    /// Fiscal year.
    FiscalYear,
}

/// `<attribute>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribute {
    /// `name`.
    pub name: String,
    /// `alias`.
    pub alias: Option<String>,
    /// `aggregate`.
    pub aggregate: Option<AggregateFn>,
    /// `groupby="true"`.
    pub group_by: bool,
    /// `dategrouping`.
    pub date_grouping: Option<DateGrouping>,
    /// `distinct="true"` (with `countcolumn`).
    pub distinct: bool,
    /// `rowaggregate="CountChildren"`.
    pub row_aggregate: bool,
}

/// `<order>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Order {
    /// `attribute`.
    pub attribute: Option<String>,
    /// `alias`: an aggregate or group-by alias.
    pub alias: Option<String>,
    /// `descending="true"`.
    pub descending: bool,
    /// `entityname`: a link-entity's alias.
    pub entity_name: Option<String>,
}

/// `<filter>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// `type="or"` (default `and`).
    pub or: bool,
    /// Children, in document order.
    pub items: Vec<FilterItem>,
}

/// A child of `<filter>`.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterItem {
    /// `<condition>`.
    Condition(Condition),
    /// A nested `<filter>`.
    Filter(Filter),
    /// A `<link-entity>` with a filtering link type (`any`, `not any`, `all`, `not all`).
    Link(LinkEntity),
}

/// `<condition>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Condition {
    /// `attribute`.
    pub attribute: String,
    /// `operator`, as written.
    pub operator: String,
    /// `value`.
    pub value: Option<String>,
    /// `<value>` children.
    pub values: Vec<String>,
    /// `entityname`: a link-entity's alias.
    pub entity_name: Option<String>,
    /// `valueof`: compare with another column.
    pub value_of: Option<String>,
}

/// `link-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkType {
    /// `inner` (the default; `natural` is accepted as a synonym).
    #[default]
    Inner,
    /// `outer`.
    Outer,
    /// `any`.
    Any,
    /// `not any`.
    NotAny,
    /// `all`.
    All,
    /// `not all`.
    NotAll,
    /// `exists`.
    Exists,
    /// `in`.
    In,
    /// `matchfirstrowusingcrossapply`.
    MatchFirstRow,
}

impl LinkType {
    /// Whether the link only filters the parent rows (it adds no rows or columns).
    pub fn filters_only(self) -> bool {
        !matches!(self, LinkType::Inner | LinkType::Outer | LinkType::MatchFirstRow)
    }
}

/// `<link-entity>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkEntity {
    /// `from`: the linked table's column.
    pub from: Option<String>,
    /// `to`: the parent's column.
    pub to: Option<String>,
    /// `alias`.
    pub alias: Option<String>,
    /// `link-type`.
    pub link_type: LinkType,
    /// `intersect="true"`.
    pub intersect: bool,
    /// The linked table and its columns, orders, filters and nested links.
    pub entity: Entity,
}
