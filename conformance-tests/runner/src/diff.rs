//! The diff report: per scenario, whether two targets agree on status, headers and body shape.

use serde::Serialize;

use crate::normalize::{covered_by, normalize_text, shape};
use crate::run::{ScenarioResult, StepRecord};
use crate::scenario::{Scenario, Step};
use crate::target::Target;

/// Headers compared on every step, besides those a step's expectations name.
const COMPARED_HEADERS: [&str; 7] = ["content-type", "odata-version", "preference-applied", "odata-entityid", "location", "etag", "www-authenticate"];

#[derive(Debug, Clone, Serialize)]
pub struct StepDiff {
    pub step: String,
    pub status: String,
    pub headers: Vec<String>,
    pub body: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioDiff {
    pub scenario: String,
    pub agree: bool,
    pub status_agree: bool,
    pub headers_agree: bool,
    pub body_agree: bool,
    /// Only the steps that disagree.
    pub steps: Vec<StepDiff>,
}

/// Compares the records of one scenario played on targets `a` and `b`.
pub fn diff(sc: &Scenario, ta: &Target, a: &ScenarioResult, tb: &Target, b: &ScenarioResult) -> ScenarioDiff {
    let specs: Vec<&Step> = sc.setup.iter().chain(&sc.steps).chain(&sc.cleanup).collect();
    let mut steps = Vec::new();
    for (i, (ra, rb)) in a.steps.iter().zip(&b.steps).enumerate() {
        if ra.skipped || rb.skipped {
            continue;
        }
        let spec = specs.get(i).copied();
        let d = diff_step(sc, spec, ta, ra, tb, rb);
        if d.status != "agree" || !d.headers.is_empty() || !d.body.is_empty() {
            steps.push(d);
        }
    }
    if a.steps.len() != b.steps.len() || a.steps.iter().zip(&b.steps).any(|(x, y)| x.skipped != y.skipped) {
        steps.push(StepDiff { step: "(run)".into(), status: "one target stopped earlier than the other".into(), headers: vec![], body: vec![] });
    }
    let status_agree = steps.iter().all(|s| s.status == "agree");
    let headers_agree = steps.iter().all(|s| s.headers.is_empty());
    let body_agree = steps.iter().all(|s| s.body.is_empty());
    ScenarioDiff { scenario: sc.name.clone(), agree: steps.is_empty(), status_agree, headers_agree, body_agree, steps }
}

fn diff_step(sc: &Scenario, spec: Option<&Step>, ta: &Target, ra: &StepRecord, tb: &Target, rb: &StepRecord) -> StepDiff {
    let status = if ra.status == rb.status { "agree".to_string() } else { format!("{}: {:?}, {}: {:?}", ta.label, ra.status, tb.label, rb.status) };
    let mut names: Vec<String> = COMPARED_HEADERS.iter().map(|s| s.to_string()).collect();
    if let Some(e) = spec.and_then(|s| s.expect.as_ref()) {
        names.extend(e.headers.keys().map(|k| k.to_ascii_lowercase()));
    }
    names.sort();
    names.dedup();
    let mut headers = Vec::new();
    for name in names {
        if sc.volatile.iter().any(|v| v.eq_ignore_ascii_case(&format!("header:{name}"))) {
            continue;
        }
        let get = |r: &StepRecord, t: &Target| {
            let vals: Vec<&str> = r.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(&name)).map(|(_, v)| v.as_str()).collect();
            (!vals.is_empty()).then(|| normalize_text(&vals.join(", "), &t.base, &t.origin))
        };
        let (va, vb) = (get(ra, ta), get(rb, tb));
        if va != vb {
            headers.push(format!("{name}: {}: {:?}, {}: {:?}", ta.label, va, tb.label, vb));
        }
    }
    let mut body = Vec::new();
    match (&ra.json, &rb.json) {
        (Some(ja), Some(jb)) => {
            let keep = |list: Vec<(String, String)>| -> Vec<(String, String)> {
                list.into_iter().filter(|(p, _)| !sc.volatile.iter().any(|v| v.starts_with('/') && covered_by(p, v))).collect()
            };
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            shape(ja, "", &mut sa);
            shape(jb, "", &mut sb);
            let (sa, sb) = (keep(sa), keep(sb));
            for (p, d) in &sa {
                match sb.iter().find(|(q, _)| q == p) {
                    None => body.push(format!("{p}: only on {} ({d})", ta.label)),
                    Some((_, e)) if e != d => body.push(format!("{p}: {}: {d}, {}: {e}", ta.label, tb.label)),
                    _ => {}
                }
            }
            for (p, d) in &sb {
                if !sa.iter().any(|(q, _)| q == p) {
                    body.push(format!("{p}: only on {} ({d})", tb.label));
                }
            }
        }
        (None, None) => {
            if normalize_text(&ra.text, &ta.base, &ta.origin) != normalize_text(&rb.text, &tb.base, &tb.origin) {
                body.push("the (non-JSON) bodies differ after normalising URLs, GUIDs and ETags".into());
            }
        }
        _ => body.push(format!("JSON on one side only ({}: {}, {}: {})", ta.label, ra.json.is_some(), tb.label, rb.json.is_some())),
    }
    StepDiff { step: ra.name.clone(), status, headers, body }
}
