//! The syntax trees produced by the parser. Nothing here knows about tables or columns.
//!
//! Every tree prints as canonical OData with `Display` (parsing the output gives an
//! equal tree) and as a compact S-expression with `to_sexpr()` for tests. The option
//! values that parse to lists (`$orderby`, `$expand`, `$apply`) print item by item;
//! join the items with `,` (or `/` for `$apply`).

pub mod apply;
mod display;
pub mod expand;
pub mod expr;
pub mod literal;
pub mod options;
pub mod orderby;
pub mod path;

pub use apply::{AggregateExpr, AggregateMethod, AggregateSource, Transformation};
pub use expand::ExpandItem;
pub use expr::Expr;
pub use literal::Literal;
pub use options::{QueryOptions, SelectItem};
pub use orderby::{OrderByExpr, OrderByItem};
pub use path::{Parens, ResourcePath, Segment};
