//! Interned logical names: the column (and table) names stored rows are keyed by.
//!
//! A loaded org holds hundreds of thousands of rows with a few dozen columns each, and the
//! same few hundred names. Keeping a `String` per column per row made every row dozens of
//! small allocations (and most of a large fixture load's time went to allocating, zeroing
//! and freeing them). A [`LogicalName`] is one pointer to a name stored once for the life of
//! the process, so it is `Copy`, compares equal by address, and costs a row nothing to hold.
//!
//! Names are never freed. There are only as many as the schemas a process ever sees have
//! columns (the standard tables have about 20,000 between them), so the interner's size is
//! bounded by the schema, not by the data.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::{OnceLock, RwLock};

/// A column or table logical name, interned. Dereferences to `str`; ordered like `str`.
#[derive(Clone, Copy)]
pub struct LogicalName(&'static &'static str);

type Interned = HashMap<&'static str, LogicalName, foldhash::fast::RandomState>;

fn interner() -> &'static RwLock<Interned> {
    static NAMES: OnceLock<RwLock<Interned>> = OnceLock::new();
    NAMES.get_or_init(RwLock::default)
}

impl LogicalName {
    /// The interned name for `name`, adding it the first time it is seen.
    pub fn new(name: &str) -> LogicalName {
        if let Some(found) = interner().read().unwrap_or_else(|e| e.into_inner()).get(name) {
            return *found;
        }
        let mut names = interner().write().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = names.get(name) {
            return *found;
        }
        let text: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let interned = LogicalName(Box::leak(Box::new(text)));
        names.insert(text, interned);
        interned
    }

    /// The name as a `str` that lives as long as the process.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Interns a name known at compile time once per call site, so hot paths that write
/// system columns (`createdon`, `modifiedby`, …) never take the interner's lock.
#[macro_export]
#[doc(hidden)]
macro_rules! logical_name {
    ($name:literal) => {{
        static NAME: ::std::sync::OnceLock<$crate::store::LogicalName> = ::std::sync::OnceLock::new();
        *NAME.get_or_init(|| $crate::store::LogicalName::new($name))
    }};
}

impl Deref for LogicalName {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for LogicalName {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl PartialEq for LogicalName {
    fn eq(&self, other: &Self) -> bool {
        // Interned: one address per name.
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for LogicalName {}

impl Hash for LogicalName {
    /// By address, like equality: a row's list of names hashes without reading the names.
    fn hash<H: Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state)
    }
}

impl PartialOrd for LogicalName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LogicalName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(other.0)
    }
}

impl PartialEq<str> for LogicalName {
    fn eq(&self, other: &str) -> bool {
        *self.0 == other
    }
}

impl PartialEq<&str> for LogicalName {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<String> for LogicalName {
    fn eq(&self, other: &String) -> bool {
        *self.0 == other.as_str()
    }
}

impl fmt::Debug for LogicalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(*self.0, f)
    }
}

impl fmt::Display for LogicalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl From<&str> for LogicalName {
    fn from(name: &str) -> Self {
        LogicalName::new(name)
    }
}

impl From<&String> for LogicalName {
    fn from(name: &String) -> Self {
        LogicalName::new(name)
    }
}

impl From<String> for LogicalName {
    fn from(name: String) -> Self {
        LogicalName::new(&name)
    }
}

impl From<&LogicalName> for LogicalName {
    fn from(name: &LogicalName) -> Self {
        *name
    }
}

impl From<LogicalName> for String {
    fn from(name: LogicalName) -> Self {
        name.0.to_string()
    }
}

impl serde::Serialize for LogicalName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::LogicalName;

    #[test]
    fn one_address_per_name() {
        let a = LogicalName::new("emailaddress1");
        let b = LogicalName::new(&String::from("emailaddress1"));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_ne!(a, LogicalName::new("emailaddress2"));
        assert_eq!(a, "emailaddress1");
        assert_eq!(crate::logical_name!("emailaddress1"), a);
    }

    #[test]
    fn ordered_like_str() {
        let mut names: Vec<LogicalName> = ["statecode", "accountid", "name", "address1_city"].into_iter().map(LogicalName::new).collect();
        names.sort();
        let text: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
        assert_eq!(text, ["accountid", "address1_city", "name", "statecode"]);
    }
}
