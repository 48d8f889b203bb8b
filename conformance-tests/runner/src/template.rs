//! `${name}` substitution: the per-run prefix, the target's URLs and captured values.

use std::collections::BTreeMap;

/// Variables visible to a scenario's strings.
///
/// Predefined: `run` (a unique per-run prefix for names), `base` (the Web API root with
/// its trailing slash), `origin` (scheme and host), and `guid:<label>` (a fresh GUID,
/// the same one each time the label is used in a run).
#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

impl Vars {
    pub fn new(run: &str, base: &str, origin: &str) -> Vars {
        let mut v = Vars::default();
        v.set("run", run);
        v.set("base", base);
        v.set("origin", origin);
        v
    }

    pub fn set(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_string(), value.to_string());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Replaces each `${name}` in `text`; `escape` is applied to each substituted value
    /// (regex escaping inside `$regex` patterns). Unknown names are an error.
    pub fn expand_with(&mut self, text: &str, escape: fn(&str) -> String) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("unterminated ${{ in {text:?}"))?;
            let name = &after[..end];
            let value = match name.strip_prefix("guid:") {
                Some(_) => {
                    if self.get(name).is_none() {
                        let fresh = uuid::Uuid::new_v4().to_string();
                        self.set(name, &fresh);
                    }
                    self.get(name).unwrap_or_default().to_string()
                }
                None => self.get(name).ok_or_else(|| format!("unknown variable ${{{name}}}"))?.to_string(),
            };
            out.push_str(&escape(&value));
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Replaces each `${name}` in `text` with its value as is.
    pub fn expand(&mut self, text: &str) -> Result<String, String> {
        self.expand_with(text, str::to_string)
    }

    /// Expands every string inside a JSON value (keys included).
    pub fn expand_json(&mut self, value: &serde_json::Value) -> Result<serde_json::Value, String> {
        use serde_json::Value;
        Ok(match value {
            Value::String(s) => Value::String(self.expand(s)?),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.expand_json(v)).collect::<Result<_, _>>()?),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(self.expand(k)?, self.expand_json(v)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// True when every `${name}` in `text` can be expanded (cleanup steps use it).
    pub fn can_expand(&self, text: &str) -> bool {
        let mut copy = self.clone();
        copy.expand(text).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_known_names_and_fresh_guids() {
        let mut v = Vars::new("conf-1", "http://h/api/data/v9.2/", "http://h");
        assert_eq!(v.expand("${run}-a at ${base}").unwrap(), "conf-1-a at http://h/api/data/v9.2/");
        let a = v.expand("${guid:x}").unwrap();
        assert_eq!(a.len(), 36);
        assert_eq!(v.expand("${guid:x}").unwrap(), a);
        assert!(v.expand("${nope}").is_err());
        assert_eq!(v.expand_with("${base}", regex::escape).unwrap(), r"http://h/api/data/v9\.2/");
    }
}
