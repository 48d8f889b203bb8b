//! `$filter` expressions (`boolCommonExpr` in the OData ABNF).
//!
//! Names stay unresolved: `name`, `primarycontactid/fullname` and a lambda variable's
//! `c/name` are all [`MemberPath`]s, and `contains` and
//! `Microsoft.Dynamics.CRM.LastXDays` are both [`FunctionCall`]s. The emulator resolves
//! them against metadata and raises semantic errors at their [`SourceSpan`].

use super::Literal;
use crate::span::SourceSpan;

/// A `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal operand: `'x'`, `10`, `null`, `@p1`, `['a','b']`.
    Literal(Literal),
    /// A property path: `name`, `primarycontactid/fullname`, `c/name`.
    Member(MemberPath),
    /// `left op right`: a comparison, `and` or `or`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        left: Box<Expr>,
        /// The right operand.
        right: Box<Expr>,
    },
    /// `not operand`. As in OData, `not` binds tighter than comparisons:
    /// `not a eq b` is `(not a) eq b`; write `not (a eq b)`.
    Not(Box<Expr>),
    /// A function call: `contains(name,'x')`, `Microsoft.Dynamics.CRM.Today(PropertyName='createdon')`.
    Call(FunctionCall),
    /// `collection/any(x: …)` or `collection/all(x: …)`.
    Lambda(Lambda),
}

/// Binary operators, loosest-binding first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl BinaryOp {
    /// The operator's keyword as written in a URL (`eq`, `and`, …).
    pub fn keyword(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "eq",
            BinaryOp::Ne => "ne",
            BinaryOp::Gt => "gt",
            BinaryOp::Ge => "ge",
            BinaryOp::Lt => "lt",
            BinaryOp::Le => "le",
        }
    }

    /// Binding strength: `or` 1, `and` 2, `eq`/`ne` 3, `gt`/`ge`/`lt`/`le` 4
    /// (OData's Equality and Relational groups; `not` is 5, operands 6).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Lt | BinaryOp::Le => 4,
        }
    }
}

/// `a/b/c`: one or more `/`-separated (possibly qualified) names.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberPath {
    /// The names in order; never empty.
    pub segments: Vec<String>,
    /// Where the path was written (ignored by `==`).
    pub span: SourceSpan,
}

/// A call of a built-in (`contains`, `tolower`) or qualified (`Microsoft.Dynamics.CRM.In`) function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// The function name exactly as written.
    pub name: String,
    /// The arguments.
    pub args: Args,
    /// Where the call was written (ignored by `==`).
    pub span: SourceSpan,
}

/// Function arguments: OData's built-ins take positional arguments, Dataverse's query
/// functions take named ones.
#[derive(Debug, Clone, PartialEq)]
pub enum Args {
    /// `(a, b)`; empty for `now()`.
    Positional(Vec<Expr>),
    /// `(PropertyName='createdon',PropertyValue=3)`; never empty.
    Named(Vec<(String, Expr)>),
}

/// `any` or `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    /// `any`: true if some member matches (or, without a predicate, if there is one).
    Any,
    /// `all`: true if every member matches.
    All,
}

/// `collection/any(c: predicate)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lambda {
    /// The collection-valued navigation path before `/any`.
    pub collection: MemberPath,
    /// `any` or `all`.
    pub quantifier: Quantifier,
    /// `c: body`; `None` only for `any()`.
    pub predicate: Option<LambdaPredicate>,
}

/// The `variable: body` part of a lambda.
#[derive(Debug, Clone, PartialEq)]
pub struct LambdaPredicate {
    /// The range variable (`c`); the body refers to it as the first member segment.
    pub variable: String,
    /// The condition.
    pub body: Box<Expr>,
}

impl Expr {
    /// Binding strength used to decide on parentheses when printing.
    pub(crate) fn precedence(&self) -> u8 {
        match self {
            Expr::Binary { op, .. } => op.precedence(),
            Expr::Not(_) => 5,
            _ => 6,
        }
    }
}
