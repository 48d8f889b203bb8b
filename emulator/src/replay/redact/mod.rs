//! Redaction of a recording before anything is written: secrets always, personal data by
//! rule.
//!
//! - **Secrets** (always): `Authorization` and cookies are never recorded at all (see
//!   [`super::proxy`]); on top of that, JSON properties named like credentials
//!   (`access_token`, `client_secret`, `password`, …), form fields and query parameters of
//!   the same names, bearer tokens and JWTs anywhere in text become `[redacted]`.
//! - **Personal data** (by rule): a rule names a column, `contact.emailaddress1`, or a
//!   column of every table, `*.emailaddress1`. Its values are replaced by a pseudonym,
//!   `redacted-<8 hex digits of its SHA-256>`, the same for the same value everywhere in
//!   the recording (responses, request bodies, the seed, and request URLs: every `$filter`
//!   literal, key, alias or FetchXML condition value of the column, see [`query`]), so that
//!   a replay that filters on a redacted value still finds its record.
//!   Numbers and flags have no pseudonym of their type and become null. Records are
//!   matched to tables by entity set; records nested in `$expand`ed
//!   properties are redacted by column name whatever their table (erring towards hiding).

mod query;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// JSON properties, form fields and query parameters that always hold secrets.
const SECRET_NAMES: [&str; 9] = ["access_token", "refresh_token", "id_token", "client_secret", "client_assertion", "password", "assertion", "code_verifier", "sharedaccesskey"];

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// The personal-data rules and the pseudonyms handed out so far.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// Table logical name (or `*`) → columns.
    rules: BTreeMap<String, BTreeSet<String>>,
    /// Entity set → table, for matching records to rules.
    sets: BTreeMap<String, String>,
    /// Original value → pseudonym, for the values replaced so far.
    seen: BTreeMap<String, String>,
}

impl Redactor {
    /// Rules as `table.column` or `*.column`; anything else is an error naming the rule.
    pub fn new(rules: &[String]) -> Result<Redactor, String> {
        let mut r = Redactor::default();
        for rule in rules.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let (table, column) = rule.split_once('.').filter(|(t, c)| !t.is_empty() && !c.is_empty() && !c.contains('.')).ok_or_else(|| format!("redaction rule {rule:?}: expected <table>.<column> or *.<column>"))?;
            r.rules.entry(table.to_ascii_lowercase()).or_default().insert(column.to_ascii_lowercase());
        }
        Ok(r)
    }

    /// Rules from a file: one `table.column` per line; blank lines and `#` comments ignored.
    pub fn rules_from_file(text: &str) -> Vec<String> {
        text.lines().map(|l| l.split('#').next().unwrap_or_default().trim().to_string()).filter(|l| !l.is_empty()).collect()
    }

    /// Whether there are personal-data rules (secrets are redacted regardless).
    pub fn has_rules(&self) -> bool {
        !self.rules.is_empty()
    }

    /// The tables named by rules (not `*`).
    pub fn tables(&self) -> Vec<String> {
        self.rules.keys().filter(|t| *t != "*").cloned().collect()
    }

    /// Tells the redactor which entity set a table's records come from.
    pub fn set_entity_set(&mut self, table: &str, set: &str) {
        self.sets.insert(set.to_string(), table.to_string());
    }

    fn columns_for(&self, set: Option<&str>) -> BTreeSet<&str> {
        let table = set.and_then(|s| self.sets.get(s));
        let mut out: BTreeSet<&str> = self.rules.get("*").into_iter().flatten().map(String::as_str).collect();
        let every_table_placed = self.tables().iter().all(|t| self.sets.values().any(|v| v == t));
        match table {
            Some(t) => out.extend(self.rules.get(t).into_iter().flatten().map(String::as_str)),
            // Another table's records, when every rule's table is known by its set.
            None if every_table_placed && set.is_some() => {}
            // A set the redactor cannot place: every rule's columns apply.
            None => out.extend(self.rules.values().flatten().map(String::as_str)),
        }
        out
    }

    fn pseudonym(&mut self, value: &str) -> String {
        let digest = Sha256::digest(value.as_bytes());
        let name = format!("redacted-{:02x}{:02x}{:02x}{:02x}", digest[0], digest[1], digest[2], digest[3]);
        self.seen.insert(value.to_string(), name.clone());
        name
    }

    /// Redacts a JSON body whose records belong to entity set `set` (if known): secrets
    /// and personal-data columns, in nested records too.
    pub fn json(&mut self, body: &mut Json, set: Option<&str>) {
        let top = self.columns_for(set).into_iter().map(str::to_string).collect::<BTreeSet<_>>();
        let any: BTreeSet<String> = self.rules.values().flatten().cloned().collect();
        self.walk(body, &top, &any, 0);
    }

    fn walk(&mut self, v: &mut Json, top: &BTreeSet<String>, any: &BTreeSet<String>, depth: usize) {
        match v {
            Json::Object(map) => {
                // The top-level record (or each item of `value`) uses the table's rules.
                let columns = if depth <= 1 { top } else { any };
                for (k, child) in map.iter_mut() {
                    let key = k.to_ascii_lowercase();
                    if SECRET_NAMES.contains(&key.as_str()) {
                        *child = Json::String(REDACTED.into());
                    } else if columns.contains(&key) && !child.is_null() {
                        // Text gets its pseudonym; a number or flag has none of its type, so
                        // it is dropped (null), which the seed leaves out and replay matches.
                        *child = match &*child {
                            Json::String(s) => {
                                let original = s.clone();
                                Json::String(self.pseudonym(&original))
                            }
                            _ => Json::Null,
                        };
                    } else {
                        let next = if k == "value" && depth == 0 { 1 } else { depth + 2 };
                        self.walk(child, top, any, next);
                    }
                }
            }
            Json::Array(items) => items.iter_mut().for_each(|i| self.walk(i, top, any, depth)),
            Json::String(s) => *s = secrets_in_text(s),
            _ => {}
        }
    }

    /// Redacts a request URL: the values it gives a rule's column (its `$filter` literals,
    /// an alternate key, parameter aliases, FetchXML conditions; see [`query`]) get their
    /// pseudonyms, then [`Self::text`] replaces them wherever they are written. A URL that
    /// doesn't parse falls back to `column eq|ne '…'` comparisons found by pattern.
    pub fn url(&mut self, url: &str) -> String {
        let columns: BTreeSet<String> = self.rules.values().flatten().cloned().collect();
        if columns.is_empty() {
            return self.text(url);
        }
        match query::values(url, &columns) {
            Some(values) => {
                for value in values.into_iter().filter(|v| !v.is_empty()) {
                    self.pseudonym(&value);
                }
                self.text(url)
            }
            None => self.url_by_pattern(url, &columns),
        }
    }

    fn url_by_pattern(&mut self, url: &str, columns: &BTreeSet<String>) -> String {
        let mut out = url.to_string();
        for column in columns {
            let Ok(re) = regex::Regex::new(&format!(r"(?i)\b{}((?:\s|%20|\+)+(?:eq|ne)(?:\s|%20|\+)+)(?:'|%27)((?:[^'%]|%[0-9A-Fa-f]{{2}})*?)(?:'|%27)", regex::escape(column))) else { continue };
            let found: Vec<(String, String)> = re.captures_iter(&out).map(|c| (c[0].to_string(), c[2].to_string())).collect();
            for (whole, raw) in found {
                let value = percent_encoding::percent_decode_str(&raw).decode_utf8_lossy().into_owned();
                if value.contains('%') || value.is_empty() {
                    continue;
                }
                let name = self.pseudonym(&value);
                out = out.replace(&whole, &whole.replace(&raw, &name));
            }
        }
        self.text(&out)
    }

    /// Redacts text (a URL, a raw body, a header): secrets, and every personal value
    /// already seen, as written and in the forms a URL carries it: percent-encoded the way
    /// `encodeURIComponent` does and the way everything but letters and digits is, and with
    /// its quotes doubled as in an OData string literal.
    pub fn text(&self, text: &str) -> String {
        let mut out = secrets_in_text(text);
        for (original, name) in &self.seen {
            if original.len() < 3 {
                continue;
            }
            let doubled = original.replace('\'', "''");
            for form in [original.clone(), doubled] {
                out = out.replace(form.as_str(), name);
                for set in [URI_COMPONENT, percent_encoding::NON_ALPHANUMERIC] {
                    let encoded = percent_encoding::utf8_percent_encode(&form, set).to_string();
                    if encoded != form {
                        out = out.replace(&encoded, name);
                    }
                }
            }
        }
        out
    }
}

/// What `encodeURIComponent` leaves as it is: letters, digits and `-_.!~*'()`.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'!').remove(b'~').remove(b'*').remove(b'\'').remove(b'(').remove(b')');

/// Bearer tokens, JWTs and `secret=value` pairs in free text.
fn secrets_in_text(text: &str) -> String {
    if !text.contains("Bearer") && !text.contains("eyJ") && !text.contains('=') {
        return text.to_string();
    }
    static PATTERNS: std::sync::OnceLock<[regex::Regex; 3]> = std::sync::OnceLock::new();
    let [bearer, jwt, pair] = PATTERNS.get_or_init(|| {
        [
            regex::Regex::new(r"(?i)bearer\s+[A-Za-z0-9._~+/-]+=*").expect("bearer regex"),
            regex::Regex::new(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*").expect("jwt regex"),
            regex::Regex::new(&format!(r"(?i)\b({})=[^&\s]*", SECRET_NAMES.join("|"))).expect("pair regex"),
        ]
    });
    let out = bearer.replace_all(text, format!("Bearer {REDACTED}").as_str());
    let out = jwt.replace_all(&out, REDACTED);
    pair.replace_all(&out, format!("$1={REDACTED}").as_str()).into_owned()
}
