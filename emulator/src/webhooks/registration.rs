//! Reads the webhook registrations out of the org's rows: enabled steps, the webhook
//! service endpoint each is bound to, its message and table, and its images.

use uuid::Uuid;

use crate::store::{Attributes, Record, State, Value};

/// `serviceendpoint.contract` for a webhook.
const WEBHOOK: i32 = 8;

/// How a webhook endpoint authenticates (`serviceendpoint.authtype`).
#[derive(Debug, Clone)]
pub(super) struct Endpoint {
    pub(super) url: String,
    pub(super) auth_type: i32,
    pub(super) auth_value: String,
}

impl Endpoint {
    /// The URL to POST to and the extra headers: 4 WebhookKey adds `?code=<key>`,
    /// 5 HttpHeader sends each pair as a header, 6 HttpQueryString adds each pair to the query.
    pub(super) fn authenticate(&self) -> (String, Vec<(String, String)>) {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let join = |url: &str, q: String| format!("{url}{}{q}", if url.contains('?') { '&' } else { '?' });
        match self.auth_type {
            4 => (join(&self.url, format!("code={}", enc(&self.auth_value))), Vec::new()),
            5 => (self.url.clone(), settings(&self.auth_value)),
            6 => {
                let pairs = settings(&self.auth_value);
                if pairs.is_empty() {
                    return (self.url.clone(), Vec::new());
                }
                let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
                (join(&self.url, q.join("&")), Vec::new())
            }
            _ => (self.url.clone(), Vec::new()),
        }
    }
}

/// The key/value pairs of an HttpHeader or HttpQueryString `authvalue`, as the Plugin
/// Registration Tool stores them: `<settings><setting name="k" value="v" /></settings>`.
fn settings(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut reader = quick_xml::Reader::from_str(text);
    while let Ok(event) = reader.read_event() {
        match event {
            quick_xml::events::Event::Empty(e) | quick_xml::events::Event::Start(e) if e.name().as_ref() == b"setting" => {
                let attr = |n: &[u8]| {
                    e.attributes().flatten().find(|a| a.key.as_ref() == n).and_then(|a| a.unescape_value().ok()).map(|v| v.into_owned())
                };
                if let (Some(k), Some(v)) = (attr(b"name"), attr(b"value")) {
                    out.push((k, v));
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// Which images an image row supplies (`sdkmessageprocessingstepimage.imagetype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ImageKind {
    Pre,
    Post,
    Both,
}

impl ImageKind {
    /// Whether this image row supplies an image of `kind`.
    pub(super) fn includes(self, kind: ImageKind) -> bool {
        self == kind || self == ImageKind::Both
    }
}

/// One image definition.
#[derive(Debug, Clone)]
pub(super) struct Image {
    pub(super) kind: ImageKind,
    pub(super) alias: String,
    /// The columns it carries; empty means all.
    pub(super) columns: Vec<String>,
}

/// One enabled webhook step.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub(super) id: Uuid,
    pub(super) message: String,
    /// The table, or `None` for a step on every table.
    pub(super) table: Option<String>,
    pub(super) stage: i32,
    pub(super) mode: i32,
    pub(super) rank: i32,
    /// Update steps fire only when one of these changed; empty means any.
    pub(super) filtering: Vec<String>,
    pub(super) endpoint: Endpoint,
    pub(super) images: Vec<Image>,
}

impl Step {
    /// Whether a `message` on `table` changing `changed` fires this step.
    pub(super) fn fires(&self, message: &str, table: &str, changed: &Attributes) -> bool {
        self.message.eq_ignore_ascii_case(message)
            && self.table.as_deref().is_none_or(|t| t == table)
            && (message != "Update" || self.filtering.is_empty() || self.filtering.iter().any(|c| changed.contains_key(c)))
    }
}

fn text(r: &Record, column: &str) -> Option<String> {
    match r.get(column) {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn int(r: &Record, column: &str) -> Option<i32> {
    match r.get(column) {
        Value::Choice(i) | Value::Int(i) => Some(*i),
        _ => None,
    }
}

fn lookup(r: &Record, column: &str) -> Option<Uuid> {
    match r.get(column) {
        Value::Lookup(l) => Some(l.id),
        _ => None,
    }
}

/// A comma-separated column list.
fn columns(list: Option<String>) -> Vec<String> {
    list.unwrap_or_default().split(',').map(|c| c.trim().to_ascii_lowercase()).filter(|c| !c.is_empty()).collect()
}

/// The enabled webhook steps, by rank.
pub(super) fn steps(state: &State) -> Vec<Step> {
    let Some(table) = state.table("sdkmessageprocessingstep") else { return Vec::new() };
    let mut steps: Vec<Step> = table.rows().filter_map(|r| step(state, r)).collect();
    steps.sort_by_key(|s| (s.rank, s.id));
    steps
}

fn step(state: &State, r: &Record) -> Option<Step> {
    if int(r, "statecode").unwrap_or(0) != 0 {
        return None;
    }
    let se = state.get("serviceendpoint", lookup(r, "eventhandler")?)?;
    if int(se, "contract") != Some(WEBHOOK) {
        return None;
    }
    let endpoint = Endpoint { url: text(se, "url")?, auth_type: int(se, "authtype").unwrap_or(4), auth_value: text(se, "authvalue").unwrap_or_default() };
    let message = text(state.get("sdkmessage", lookup(r, "sdkmessageid")?)?, "name")?;
    let table = lookup(r, "sdkmessagefilterid").and_then(|f| state.get("sdkmessagefilter", f)).and_then(|f| text(f, "primaryobjecttypecode"));
    let images = state
        .table("sdkmessageprocessingstepimage")
        .into_iter()
        .flat_map(|t| t.rows())
        .filter(|i| lookup(i, "sdkmessageprocessingstepid") == Some(r.id))
        .map(|i| Image {
            kind: match int(i, "imagetype") {
                Some(1) => ImageKind::Post,
                Some(2) => ImageKind::Both,
                _ => ImageKind::Pre,
            },
            alias: text(i, "entityalias").unwrap_or_else(|| "Image".to_string()),
            columns: columns(text(i, "attributes")),
        })
        .collect();
    Some(Step {
        id: r.id,
        message,
        table,
        stage: int(r, "stage").unwrap_or(40),
        mode: int(r, "mode").unwrap_or(0),
        rank: int(r, "rank").unwrap_or(1),
        filtering: columns(text(r, "filteringattributes")),
        endpoint,
        images,
    })
}
