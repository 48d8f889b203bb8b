//! The syntax tree produced by the parser. Nothing here knows about tables or columns.

pub mod literal;
pub mod options;
pub mod path;

pub use literal::Literal;
pub use options::{QueryOptions, SelectItem};
pub use path::{Parens, ResourcePath, Segment};
