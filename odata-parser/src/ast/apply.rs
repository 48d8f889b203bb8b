//! `$apply` (data aggregation, the OData Aggregation extension), in the subset Dataverse
//! supports: a `/`-separated pipeline of `filter`, `groupby` and `aggregate`.

use std::fmt::{self, Display, Formatter, Write as _};

use super::display::joined;
use super::expr::{Expr, MemberPath};
use crate::span::SourceSpan;

/// One step of an `$apply` pipeline. A whole `$apply` is a `Vec<Transformation>`
/// applied in order; its canonical text is the steps' `Display` joined by `/`.
#[derive(Debug, Clone, PartialEq)]
pub enum Transformation {
    /// `filter(address1_city eq 'Redmond')`: keeps the rows that match.
    Filter(Expr),
    /// `groupby((statuscode,primarycontactid/fullname),aggregate($count as count))`:
    /// one row per distinct combination of `properties`.
    GroupBy {
        /// The grouping properties, in order; never empty.
        properties: Vec<MemberPath>,
        /// The aggregates computed per group; empty when no `aggregate(…)` was given.
        aggregate: Vec<AggregateExpr>,
    },
    /// `aggregate(revenue with sum as total)`: one row over all input rows. Never empty.
    Aggregate(Vec<AggregateExpr>),
}

/// `revenue with sum as total` or `$count as count`.
///
/// Invariant: `method` is `Some` exactly when `source` is a property.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateExpr {
    /// What is aggregated.
    pub source: AggregateSource,
    /// How; `None` for `$count`.
    pub method: Option<AggregateMethod>,
    /// The name of the result column (`as total`).
    pub alias: String,
    /// Where the expression was written (ignored by `==`).
    pub span: SourceSpan,
}

/// The input of an [`AggregateExpr`].
#[derive(Debug, Clone, PartialEq)]
pub enum AggregateSource {
    /// A property path: `revenue`, `primarycontactid/numberofchildren`.
    Property(MemberPath),
    /// `$count`: the number of rows.
    Count,
}

/// The `with` method of an [`AggregateExpr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateMethod {
    /// `sum`
    Sum,
    /// `min`
    Min,
    /// `max`
    Max,
    /// `average`
    Average,
    /// `countdistinct`
    CountDistinct,
}

impl AggregateMethod {
    /// Every method, in the order the grammar lists them.
    pub const ALL: [AggregateMethod; 5] = [
        AggregateMethod::Sum,
        AggregateMethod::Min,
        AggregateMethod::Max,
        AggregateMethod::Average,
        AggregateMethod::CountDistinct,
    ];

    /// The method's keyword as written in a URL (`sum`, `countdistinct`, …).
    pub fn keyword(self) -> &'static str {
        match self {
            AggregateMethod::Sum => "sum",
            AggregateMethod::Min => "min",
            AggregateMethod::Max => "max",
            AggregateMethod::Average => "average",
            AggregateMethod::CountDistinct => "countdistinct",
        }
    }
}

impl Display for AggregateMethod {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

impl Display for AggregateExpr {
    /// `path with method as alias`, or `$count as alias`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.source {
            AggregateSource::Property(path) => write!(f, "{path}")?,
            AggregateSource::Count => f.write_str("$count")?,
        }
        if let Some(method) = self.method {
            write!(f, " with {method}")?;
        }
        write!(f, " as {}", self.alias)
    }
}

impl Display for Transformation {
    /// `filter(…)`, `groupby((a,b))`, `groupby((a),aggregate(…))`, `aggregate(…)`, with
    /// `,` between list items and no other spaces.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Transformation::Filter(expr) => write!(f, "filter({expr})"),
            Transformation::GroupBy {
                properties,
                aggregate,
            } => {
                write!(f, "groupby(({})", joined(properties, ","))?;
                if !aggregate.is_empty() {
                    write!(f, ",aggregate({})", joined(aggregate, ","))?;
                }
                f.write_char(')')
            }
            Transformation::Aggregate(aggregate) => {
                write!(f, "aggregate({})", joined(aggregate, ","))
            }
        }
    }
}

impl AggregateExpr {
    /// Compact rendering for tests: `(sum revenue total)`, `($count count)`.
    pub fn to_sexpr(&self) -> String {
        match (&self.source, self.method) {
            (AggregateSource::Property(path), Some(method)) => {
                format!("({method} {path} {})", self.alias)
            }
            (AggregateSource::Property(path), None) => format!("({path} {})", self.alias),
            (AggregateSource::Count, _) => format!("($count {})", self.alias),
        }
    }
}

impl Transformation {
    /// Compact rendering for tests: `(filter (eq a 1))`,
    /// `(groupby (statuscode) (aggregate ($count count)))`,
    /// `(aggregate (sum revenue total) (max revenue max))`.
    pub fn to_sexpr(&self) -> String {
        let aggregates = |list: &[AggregateExpr]| {
            let mut out = String::from("(aggregate");
            list.iter().for_each(|a| {
                let _ = write!(out, " {}", a.to_sexpr());
            });
            out + ")"
        };
        match self {
            Transformation::Filter(expr) => format!("(filter {})", expr.to_sexpr()),
            Transformation::GroupBy {
                properties,
                aggregate,
            } => {
                let mut out = format!("(groupby ({})", joined(properties, " "));
                if !aggregate.is_empty() {
                    let _ = write!(out, " {}", aggregates(aggregate));
                }
                out + ")"
            }
            Transformation::Aggregate(list) => aggregates(list),
        }
    }
}
