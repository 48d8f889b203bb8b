//! The syntax trees produced by the parser. Nothing here knows about tables or columns.
//!
//! Every tree prints as canonical OData with `Display` (parsing the output gives an
//! equal tree) and as a compact S-expression with `to_sexpr()` for tests.

mod display;
pub mod expr;
pub mod literal;
pub mod options;
pub mod path;

pub use expr::Expr;
pub use literal::Literal;
pub use options::{QueryOptions, SelectItem};
pub use path::{Parens, ResourcePath, Segment};
