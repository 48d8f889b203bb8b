//! The `SELECT` subset Dataverse's `?sql=` option takes, read into a [`Select`]: a tokenizer
//! and a recursive-descent parser. Keywords are case-insensitive; identifiers may be
//! `[bracketed]` or `"quoted"`; strings are `'…'` with `''` for a quote.

use crate::error::{Code, Error, Result};

/// A parsed `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub top: Option<u32>,
    pub items: Vec<Item>,
    /// The `FROM` table and its alias.
    pub from: TableRef,
    pub joins: Vec<Join>,
    pub filter: Option<Cond>,
    pub group_by: Vec<ColumnRef>,
    pub order_by: Vec<(ColumnRef, bool)>,
}

/// `table [AS alias]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRef {
    pub table: String,
    pub alias: Option<String>,
}

/// `[INNER|LEFT [OUTER]] JOIN table [AS alias] ON a.x = b.y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub outer: bool,
    pub table: TableRef,
    pub on: (ColumnRef, ColumnRef),
}

/// `[qualifier.]column`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    pub qualifier: Option<String>,
    pub column: String,
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// One item of the select list.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Column { column: ColumnRef, alias: Option<String> },
    /// `COUNT(*)` has no column; `distinct` is `COUNT(DISTINCT c)`.
    Aggregate { function: Aggregate, column: Option<ColumnRef>, distinct: bool, alias: Option<String> },
}

/// A literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    /// A number, as written.
    Number(String),
    Null,
}

/// A `WHERE` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    /// `column op literal`; `op` is `=`, `<>`, `<`, `>`, `<=` or `>=` (`!=` reads as `<>`).
    Compare { column: ColumnRef, op: &'static str, value: Literal },
    Like { column: ColumnRef, pattern: String, negated: bool },
    In { column: ColumnRef, values: Vec<Literal>, negated: bool },
    Between { column: ColumnRef, low: Literal, high: Literal, negated: bool },
    IsNull { column: ColumnRef, negated: bool },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    /// A `[bracketed]` or `"quoted"` identifier: never a keyword.
    Quoted(String),
    String(String),
    Number(String),
    Symbol(&'static str),
}

/// A query the endpoint doesn't take, or can't read.
pub(super) fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

const SYMBOLS: [&str; 13] = ["<>", "!=", "<=", ">=", "=", "<", ">", "(", ")", ",", ".", "*", ";"];

fn tokenize(text: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(bad("Unclosed quotation mark after the character string.")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(Token::String(s));
        } else if c == '[' || c == '"' {
            let close = if c == '[' { ']' } else { '"' };
            let end = chars[i + 1..].iter().position(|&ch| ch == close).ok_or_else(|| bad(format!("Unclosed identifier starting with {c}.")))?;
            out.push(Token::Quoted(chars[i + 1..i + 1 + end].iter().collect()));
            i += end + 2;
        } else if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            out.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' || c == '@' || c == '#' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '@' || chars[i] == '#' || chars[i] == '$') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let symbol = SYMBOLS.iter().find(|s| rest.starts_with(**s)).ok_or_else(|| bad(format!("Incorrect syntax near '{c}'.")))?;
            out.push(Token::Symbol(symbol));
            i += symbol.chars().count();
        }
    }
    Ok(out)
}

/// Words that end an identifier list or start a clause: never read as an implicit alias.
const RESERVED: [&str; 30] = [
    "select", "distinct", "top", "from", "where", "group", "order", "by", "join", "inner", "left", "right", "full", "cross", "outer", "on", "and", "or", "not", "like", "in", "between", "is",
    "null", "as", "asc", "desc", "having", "union", "exists",
];

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

/// Parses `text` as one `SELECT` statement.
pub fn parse(text: &str) -> Result<Select> {
    let mut p = Parser { tokens: tokenize(text)?, at: 0 };
    let select = p.select()?;
    p.eat_symbol(";");
    match p.peek() {
        None => Ok(select),
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("union") => Err(bad("UNION is not supported: a query has one SELECT statement.")),
        Some(Token::Word(w)) if w.eq_ignore_ascii_case("having") => Err(bad("HAVING is not supported: filter with WHERE before aggregating.")),
        Some(t) => Err(bad(format!("Incorrect syntax near '{}': a query has one SELECT statement.", show(t)))),
    }
}

fn show(t: &Token) -> String {
    match t {
        Token::Word(w) | Token::Quoted(w) | Token::Number(w) => w.clone(),
        Token::String(s) => format!("'{s}'"),
        Token::Symbol(s) => (*s).to_string(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let yes = self.is_word(word);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let yes = matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol);
        if yes {
            self.at += 1;
        }
        yes
    }

    fn near(&self) -> String {
        self.peek().map_or_else(|| "the end of the query".to_string(), |t| format!("'{}'", show(t)))
    }

    fn expect_word(&mut self, word: &str) -> Result<()> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(bad(format!("Incorrect syntax near {}: expected {}.", self.near(), word.to_uppercase())))
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<()> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(bad(format!("Incorrect syntax near {}: expected '{symbol}'.", self.near())))
        }
    }

    fn identifier(&mut self) -> Result<String> {
        match self.peek().cloned() {
            Some(Token::Quoted(q)) => {
                self.at += 1;
                Ok(q)
            }
            Some(Token::Word(w)) if !RESERVED.contains(&w.to_ascii_lowercase().as_str()) => {
                self.at += 1;
                Ok(w)
            }
            _ => Err(bad(format!("Incorrect syntax near {}: expected a name.", self.near()))),
        }
    }

    /// `AS alias` or a bare alias.
    fn alias(&mut self) -> Result<Option<String>> {
        if self.eat_word("as") {
            return self.identifier().map(Some);
        }
        match self.peek() {
            Some(Token::Quoted(_)) => self.identifier().map(Some),
            Some(Token::Word(w)) if !RESERVED.contains(&w.to_ascii_lowercase().as_str()) => self.identifier().map(Some),
            _ => Ok(None),
        }
    }

    fn column(&mut self) -> Result<ColumnRef> {
        let first = self.identifier()?;
        if self.eat_symbol(".") {
            if self.eat_symbol("*") {
                return Err(bad("SELECT * is not supported: name each column."));
            }
            let column = self.identifier()?;
            return Ok(ColumnRef { qualifier: Some(first), column });
        }
        Ok(ColumnRef { qualifier: None, column: first })
    }

    fn select(&mut self) -> Result<Select> {
        if !self.is_word("select") {
            let statement = self.peek().map(show).unwrap_or_default().to_uppercase();
            return Err(bad(format!("Only SELECT statements are supported, not {}.", if statement.is_empty() { "an empty query".to_string() } else { statement })));
        }
        self.at += 1;
        let distinct = self.eat_word("distinct");
        let top = if self.eat_word("top") {
            let parenthesised = self.eat_symbol("(");
            let n = match self.peek().cloned() {
                Some(Token::Number(n)) => n.parse::<u32>().map_err(|_| bad(format!("TOP takes a whole number of rows, not {n}.")))?,
                _ => return Err(bad(format!("Incorrect syntax near {}: TOP takes a number.", self.near()))),
            };
            self.at += 1;
            if parenthesised {
                self.expect_symbol(")")?;
            }
            Some(n)
        } else {
            None
        };
        let mut items = vec![self.item()?];
        while self.eat_symbol(",") {
            items.push(self.item()?);
        }
        self.expect_word("from")?;
        if self.eat_symbol("(") {
            return Err(bad("Subqueries are not supported."));
        }
        let from = self.table_ref()?;
        let mut joins = Vec::new();
        loop {
            for unsupported in ["right", "full", "cross"] {
                if self.is_word(unsupported) {
                    return Err(bad(format!("{} JOIN is not supported: use INNER JOIN or LEFT JOIN.", unsupported.to_uppercase())));
                }
            }
            if self.is_symbol(",") {
                return Err(bad("Joins are written with JOIN … ON, not as a list of tables."));
            }
            let outer = if self.eat_word("left") {
                self.eat_word("outer");
                true
            } else {
                self.eat_word("inner");
                false
            };
            if !self.eat_word("join") {
                if outer {
                    return Err(bad(format!("Incorrect syntax near {}: expected JOIN.", self.near())));
                }
                break;
            }
            let table = self.table_ref()?;
            self.expect_word("on")?;
            let left = self.column()?;
            self.expect_symbol("=")?;
            let right = self.column()?;
            joins.push(Join { outer, table, on: (left, right) });
        }
        let filter = if self.eat_word("where") { Some(self.or()?) } else { None };
        let mut group_by = Vec::new();
        if self.eat_word("group") {
            self.expect_word("by")?;
            group_by.push(self.column()?);
            while self.eat_symbol(",") {
                group_by.push(self.column()?);
            }
        }
        if self.is_word("having") {
            return Err(bad("HAVING is not supported: filter with WHERE before aggregating."));
        }
        let mut order_by = Vec::new();
        if self.eat_word("order") {
            self.expect_word("by")?;
            loop {
                let column = self.column()?;
                if self.is_symbol("(") {
                    return Err(bad("ORDER BY takes column names, not expressions."));
                }
                let descending = if self.eat_word("desc") {
                    true
                } else {
                    self.eat_word("asc");
                    false
                };
                order_by.push((column, descending));
                if !self.eat_symbol(",") {
                    break;
                }
            }
            if self.is_word("offset") {
                return Err(bad("OFFSET … FETCH is not supported: page with Prefer: odata.maxpagesize."));
            }
        }
        Ok(Select { distinct, top, items, from, joins, filter, group_by, order_by })
    }

    fn is_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol)
    }

    fn table_ref(&mut self) -> Result<TableRef> {
        let mut table = self.identifier()?;
        // `dbo.account`: the schema is dropped.
        if self.eat_symbol(".") {
            table = self.identifier()?;
        }
        let alias = self.alias()?;
        Ok(TableRef { table, alias })
    }

    fn item(&mut self) -> Result<Item> {
        if self.eat_symbol("*") {
            return Err(bad("SELECT * is not supported: name each column."));
        }
        let function = match self.peek() {
            Some(Token::Word(w)) if matches!(self.tokens.get(self.at + 1), Some(Token::Symbol("("))) => {
                let f = match w.to_ascii_lowercase().as_str() {
                    "count" => Aggregate::Count,
                    "sum" => Aggregate::Sum,
                    "avg" => Aggregate::Avg,
                    "min" => Aggregate::Min,
                    "max" => Aggregate::Max,
                    _ => return Err(bad(format!("The function '{w}' is not supported in the select list: only COUNT, SUM, AVG, MIN and MAX."))),
                };
                Some(f)
            }
            _ => None,
        };
        let Some(function) = function else {
            let column = self.column()?;
            let alias = self.alias()?;
            return Ok(Item::Column { column, alias });
        };
        self.at += 2;
        let (column, distinct) = if function == Aggregate::Count && self.eat_symbol("*") {
            (None, false)
        } else {
            let distinct = self.eat_word("distinct");
            (Some(self.column()?), distinct)
        };
        self.expect_symbol(")")?;
        let alias = self.alias()?;
        Ok(Item::Aggregate { function, column, distinct, alias })
    }

    fn or(&mut self) -> Result<Cond> {
        let mut parts = vec![self.and()?];
        while self.eat_word("or") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Cond::Or(parts) })
    }

    fn and(&mut self) -> Result<Cond> {
        let mut parts = vec![self.not()?];
        while self.eat_word("and") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Cond::And(parts) })
    }

    fn not(&mut self) -> Result<Cond> {
        if self.eat_word("not") {
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        if self.is_word("exists") {
            return Err(bad("EXISTS is not supported."));
        }
        if self.eat_symbol("(") {
            if self.is_word("select") {
                return Err(bad("Subqueries are not supported."));
            }
            let inner = self.or()?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        if matches!(self.peek(), Some(Token::String(_) | Token::Number(_))) {
            return Err(bad("A condition compares a column with a literal: the column comes first."));
        }
        let column = self.column()?;
        if self.is_symbol("(") {
            return Err(bad("Functions are not supported in WHERE: compare a column with a literal."));
        }
        let negated = self.eat_word("not");
        if self.eat_word("like") {
            let pattern = match self.literal()? {
                Literal::String(s) => s,
                _ => return Err(bad("LIKE takes a string pattern.")),
            };
            return Ok(Cond::Like { column, pattern, negated });
        }
        if self.eat_word("in") {
            self.expect_symbol("(")?;
            if self.is_word("select") {
                return Err(bad("Subqueries are not supported."));
            }
            let mut values = vec![self.literal()?];
            while self.eat_symbol(",") {
                values.push(self.literal()?);
            }
            self.expect_symbol(")")?;
            return Ok(Cond::In { column, values, negated });
        }
        if self.eat_word("between") {
            let low = self.literal()?;
            self.expect_word("and")?;
            let high = self.literal()?;
            return Ok(Cond::Between { column, low, high, negated });
        }
        if negated {
            return Err(bad(format!("Incorrect syntax near {}: expected LIKE, IN or BETWEEN after NOT.", self.near())));
        }
        if self.eat_word("is") {
            let negated = self.eat_word("not");
            self.expect_word("null")?;
            return Ok(Cond::IsNull { column, negated });
        }
        let op = match self.peek() {
            Some(Token::Symbol(s)) if matches!(*s, "=" | "<>" | "!=" | "<" | ">" | "<=" | ">=") => {
                if *s == "!=" {
                    "<>"
                } else {
                    s
                }
            }
            _ => return Err(bad(format!("Incorrect syntax near {}: expected a comparison.", self.near()))),
        };
        self.at += 1;
        if matches!(self.peek(), Some(Token::Word(w)) if !w.eq_ignore_ascii_case("null")) || matches!(self.peek(), Some(Token::Quoted(_))) {
            return Err(bad("A condition compares a column with a literal, not with another column."));
        }
        let value = self.literal()?;
        Ok(Cond::Compare { column, op, value })
    }

    fn literal(&mut self) -> Result<Literal> {
        let literal = match self.peek().cloned() {
            Some(Token::String(s)) => Literal::String(s),
            Some(Token::Number(n)) => Literal::Number(n),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return Err(bad(format!("Incorrect syntax near {}: expected a literal.", self.near()))),
        };
        self.at += 1;
        Ok(literal)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_the_documented_examples() {
        let s = parse("SELECT a.name AS account_name, a.telephone1 phone\r\nFROM account AS a\r\nWHERE a.name LIKE 'Fourth%' AND (statecode = 0 OR statecode <> 1) -- note\nORDER BY a.name ASC, createdon DESC;").unwrap();
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.items[1], Item::Column { column: ColumnRef { qualifier: Some("a".into()), column: "telephone1".into() }, alias: Some("phone".into()) });
        assert_eq!(s.from, TableRef { table: "account".into(), alias: Some("a".into()) });
        assert_eq!(s.order_by.len(), 2);
        assert!(s.order_by[1].1);
        let s = parse("select count(*) as n, sum(revenue), count(distinct [city]) from dbo.account group by name").unwrap();
        assert_eq!(s.items[0], Item::Aggregate { function: Aggregate::Count, column: None, distinct: false, alias: Some("n".into()) });
        assert!(matches!(&s.items[2], Item::Aggregate { distinct: true, column: Some(c), .. } if c.column == "city"));
        assert_eq!(s.from.table, "account");
        let s = parse("SELECT name FROM account WHERE name NOT IN ('a','b''c') AND revenue NOT BETWEEN 1 AND -2.5 AND telephone1 IS NOT NULL").unwrap();
        let Some(Cond::And(parts)) = s.filter else { panic!() };
        assert!(matches!(&parts[0], Cond::In { negated: true, values, .. } if values[1] == Literal::String("b'c".into())));
        assert!(matches!(&parts[1], Cond::Between { negated: true, high: Literal::Number(n), .. } if n == "-2.5"));
        assert!(matches!(&parts[2], Cond::IsNull { negated: true, .. }));
    }

    #[test]
    fn refuses_what_the_service_does_not_take_and_says_why() {
        for (text, says) in [
            ("SELECT * FROM account", "SELECT *"),
            ("SELECT a.* FROM account a", "SELECT *"),
            ("DELETE FROM account", "Only SELECT"),
            ("", "Only SELECT"),
            ("SELECT name FROM account; SELECT fullname FROM contact", "one SELECT"),
            ("SELECT name FROM account UNION SELECT fullname FROM contact", "UNION"),
            ("SELECT name, COUNT(*) FROM account GROUP BY name HAVING COUNT(*) > 1", "HAVING"),
            ("SELECT name FROM account WHERE accountid IN (SELECT accountid FROM account)", "Subqueries"),
            ("SELECT name FROM (SELECT name FROM account) x", "Subqueries"),
            ("SELECT name FROM account a RIGHT JOIN contact c ON a.accountid = c.parentcustomerid", "RIGHT JOIN"),
            ("SELECT name FROM account WHERE LEN(name) > 3", "Functions are not supported"),
            ("SELECT name FROM account WHERE name = telephone1", "not with another column"),
            ("SELECT name FROM account WHERE 1 = 1", "the column comes first"),
            ("SELECT name FROM account WHERE EXISTS (SELECT 1)", "EXISTS"),
            ("SELECT name FROM account WHERE name = 'open", "Unclosed quotation"),
            ("SELECT UPPER(name) FROM account", "UPPER"),
            ("SELECT name FROM account ORDER BY name OFFSET 10 ROWS", "OFFSET"),
            ("SELECT name FROM account WHERE name ~ 'x'", "Incorrect syntax near '~'"),
        ] {
            let e = parse(text).map(|_| ()).expect_err(text);
            assert_eq!(e.code(), Code::InvalidArgument, "{text}");
            assert!(e.message().contains(says), "{text}: {}", e.message());
        }
    }

    /// A column reference as a query would write it.
    fn column() -> impl Strategy<Value = String> {
        (prop::option::of(prop::sample::select(vec!["a", "c"])), prop::sample::select(vec!["name", "statecode", "revenue", "telephone1", "[address1_city]"]))
            .prop_map(|(q, c)| q.map_or(c.to_string(), |q| format!("{q}.{c}")))
    }

    fn literal() -> impl Strategy<Value = String> {
        prop_oneof![Just("NULL".to_string()), (-1000i64..1000).prop_map(|n| n.to_string()), "[a-z%_' ]{0,8}".prop_map(|s| format!("'{}'", s.replace('\'', "''")))]
    }

    fn condition() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            (column(), prop::sample::select(vec!["=", "<>", "!=", "<", ">", "<=", ">="]), literal()).prop_map(|(c, op, v)| format!("{c} {op} {v}")),
            (column(), any::<bool>(), literal()).prop_map(|(c, not, v)| format!("{c} {}LIKE {}", if not { "NOT " } else { "" }, if v.starts_with('\'') { v } else { "'x%'".into() })),
            (column(), any::<bool>(), prop::collection::vec(literal(), 1..4)).prop_map(|(c, not, vs)| format!("{c} {}IN ({})", if not { "NOT " } else { "" }, vs.join(", "))),
            (column(), any::<bool>(), literal(), literal()).prop_map(|(c, not, a, b)| format!("{c} {}BETWEEN {a} AND {b}", if not { "NOT " } else { "" })),
            (column(), any::<bool>()).prop_map(|(c, not)| format!("{c} IS {}NULL", if not { "NOT " } else { "" })),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                (inner.clone(), prop::sample::select(vec!["AND", "OR"]), inner.clone()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                inner.clone().prop_map(|c| format!("NOT ({c})")),
                inner.prop_map(|c| format!("({c})")),
            ]
        })
    }

    proptest! {
        /// Every query built from the supported grammar reads and converts to FetchXML.
        #[test]
        fn supported_queries_read_and_convert(cond in condition(), top in prop::option::of(1u32..100), distinct in any::<bool>(), desc in any::<bool>()) {
            let text = format!(
                "SELECT {}{}a.name, c.fullname AS who FROM account AS a LEFT JOIN contact AS c ON a.accountid = c.parentcustomerid WHERE {cond} ORDER BY a.name {}",
                if distinct { "DISTINCT " } else { "" },
                top.map_or(String::new(), |n| format!("TOP {n} ")),
                if desc { "DESC" } else { "ASC" },
            );
            let fetch = crate::sql::to_fetch(&text, "accountid");
            prop_assert!(fetch.is_ok(), "{text}: {:?}", fetch.err());
            let fetch = fetch.unwrap();
            prop_assert_eq!(fetch.top, top);
            prop_assert_eq!(fetch.entity.links.len(), 1);
            prop_assert_eq!(fetch.entity.filters.len(), 1);
        }

        /// Anything else is read or refused with InvalidArgument and a message, never a panic.
        #[test]
        fn any_text_is_read_or_refused_cleanly(text in "\\PC{0,80}", tail in "[a-zA-Z0-9 '(),.=<>!*%\\[\\]-]{0,60}") {
            for candidate in [text.clone(), format!("SELECT name FROM account WHERE {tail}"), format!("SELECT {tail}")] {
                if let Err(e) = crate::sql::to_fetch(&candidate, "accountid") {
                    prop_assert_eq!(e.code(), Code::InvalidArgument);
                    prop_assert!(!e.message().is_empty());
                }
            }
        }
    }
}
