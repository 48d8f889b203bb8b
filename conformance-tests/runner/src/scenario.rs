//! The scenario file format: a named sequence of HTTP steps with expectations.
//!
//! A scenario is JSON (see `conformance-tests/README.md` for the full grammar). Unknown
//! fields are rejected so that a typo in a file fails loudly instead of silently
//! dropping an expectation.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One scenario file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short, unique name; the report's row.
    pub name: String,
    /// What the scenario shows, and why it matters to clients.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Where the expectations come from (a section of the wire reference, a doc page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Set when the emulator is known to disagree with the reference: a failure is then
    /// reported as expected-unsupported with this reason, and a pass as a failure
    /// ("remove the mark"), unless the runner is told to ignore known differences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_difference: Option<String>,
    /// Capabilities the target needs: `"strict-auth"` (the runner holds a token and the
    /// target rejects requests without one), `"emulator-admin"` (the emulator's
    /// `/_emulator/…` API, to inject faults).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Response parts that legitimately differ between targets and are left out of the
    /// diff report: `header:<name>` or a JSON pointer with `*` for any array index or key
    /// (`/value/*/createdon`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volatile: Vec<String>,
    /// Steps that create what the scenario needs. Their expectations are checked too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setup: Vec<Step>,
    /// The steps under test.
    pub steps: Vec<Step>,
    /// Steps that remove what setup and steps created. They always run; a step whose
    /// request names a variable that was never captured is skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cleanup: Vec<Step>,
}

/// One request and what its response must look like.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub request: RequestSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// What `dataverse-emulator record` noted about the exchange (its timing and the
    /// normalised query shape); informative, never checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded: Option<Value>,
}

/// An HTTP request. Strings may hold `${var}` references.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub method: String,
    /// Relative to the Web API root (`accounts?$select=name`), or origin-relative when it
    /// starts with `/`, or an absolute URL (a captured nextLink).
    pub path: String,
    /// Extra headers; they replace the defaults of the same name, and `null` removes one.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<String, Value>,
    /// A JSON body (sent with `Content-Type: application/json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// A raw body (e.g. a `$batch` payload). Line feeds become CRLF when `crlf` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub crlf: bool,
    /// `false` sends no `Authorization` header even when the runner holds a token.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub auth: bool,
}

/// What the response must carry. Each part left out is not checked.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A status code, or a list of acceptable ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
    /// Header name (case-insensitive) → literal value or matcher.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub headers: Map<String, Value>,
    /// The JSON body's shape, with matchers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    /// The raw body: a literal, `{"$regex": …}` or `{"$contains": [… in order]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Scenario {
    /// Parses a scenario from its JSON text.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// A scenario and the file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub path: PathBuf,
    pub scenario: Scenario,
}

/// Reads every `*.json` in `dir`, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<Loaded>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load_file(p)).collect()
}

/// Reads one scenario file.
pub fn load_file(path: &Path) -> Result<Loaded, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let scenario = Scenario::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Loaded { path: path.to_path_buf(), scenario })
}
