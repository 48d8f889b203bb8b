//! `$batch` framing (§4; client reference §6): every request framing real clients send,
//! the response framing they parse, mixed queries, limits and malformed bodies.
//! Changesets, `$n` references, continue-on-error and isolation: batch_atomicity.rs.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::Value;

const CS: &str = "changeset_9e41";

/// A changeset creating contact `lastname` (Content-ID 1) and patching it through `$1`, a bodyless
/// top-level DELETE of `doomed`, and a GET with raw spaces and quotes; every URL starts with `prefix`.
fn sample(prefix: &str, lastname: &str, doomed: &str) -> Vec<String> {
    let create = http_part(Some("1"), "POST", &format!("{prefix}contacts"), &[], Some(&format!(r#"{{"firstname":"One","lastname":"{lastname}"}}"#)));
    let patch = http_part(Some("2"), "PATCH", "$1", &[("If-Match", "*")], Some(r#"{"firstname":"Two"}"#));
    vec![
        changeset(CS, &[create, patch]),
        http_part(None, "DELETE", &format!("{prefix}contacts({doomed})"), &[("Content-Type", "application/json")], None),
        get_part(&format!("{prefix}contacts?$select=firstname,lastname&$filter=lastname eq '{lastname}'")),
    ]
}

/// Asserts the outcome of [`sample`]: 204, 204, 204, then the patched contact; `doomed` is gone.
async fn assert_sample(s: &Server, r: &Resp, lastname: &str, doomed: &str, variant: &str) {
    assert_eq!(r.status, StatusCode::OK, "{variant}: {}", r.text);
    let parts = batch_parts(r);
    let statuses: Vec<_> = parts.iter().map(|p| (p.changeset, p.content_id.as_deref(), p.status)).collect();
    assert_eq!(statuses, [(Some(0), Some("1"), 204), (Some(0), Some("2"), 204), (None, None, 204), (None, None, 200)], "{variant}");
    assert_eq!(parts[3].json["value"].as_array().map(Vec::len), Some(1), "{variant}: {}", parts[3].body);
    assert_eq!(parts[3].json["value"][0]["firstname"], "Two", "{variant}");
    assert_eq!(parts[3].json["value"][0]["lastname"], lastname, "{variant}");
    assert_eq!(parts[3].json["value"][0]["contactid"], parts[0].entity_id(), "{variant}");
    s.get(&format!("contacts({doomed})")).await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn every_request_framing_variant_is_accepted() {
    let s = Server::start().await;
    let unquoted = format!("multipart/mixed;boundary={BATCH}");
    type Reframe = fn(String) -> String;
    let variants: Vec<(&str, String, Reframe)> = vec![
        ("dynamics-web-api: CRLF preamble, no space after ';'", unquoted.clone(), |b| b),
        ("space after ';'", format!("multipart/mixed; boundary={BATCH}"), |b| b),
        ("quoted boundary", format!("multipart/mixed;boundary=\"{BATCH}\""), |b| b),
        ("quoted boundary after a space", format!("multipart/mixed; boundary=\"{BATCH}\""), |b| b),
        ("no preamble", unquoted.clone(), |b| b.trim_start().to_string()),
        ("bare LF", unquoted.clone(), |b| b.replace("\r\n", "\n")),
        ("no space after header colons", unquoted.clone(), |b| b.replace(": ", ":")),
        ("a blank line before every delimiter", unquoted.clone(), |b| b.replace("\r\n--", "\r\n\r\n--")),
        ("padding after delimiters", unquoted.clone(), |b| b.replace(&format!("{BATCH}\r\n"), &format!("{BATCH}  \r\n"))),
    ];
    for (i, (variant, content_type, reframe)) in variants.into_iter().enumerate() {
        let (lastname, doomed) = (format!("Framing-{i}"), s.create("contacts", r#"{"lastname":"Doomed"}"#).await);
        let body = reframe(batch_body(BATCH, &sample(&s.base, &lastname, &doomed)));
        let r = s.batch_raw(&content_type, &[], &body).await;
        assert_sample(&s, &r, &lastname, &doomed, variant).await;
    }
}

#[tokio::test]
async fn the_documented_example() {
    // §4.2 verbatim but for the ids: quoted boundaries after a space, server-relative URLs,
    // pretty-printed `type=entry` bodies, and a headerless GET followed by two blank lines.
    let s = Server::start().await;
    let task = |n: u8| {
        format!(
            "--changeset_246e\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {n}\r\n\r\n\
             POST /api/data/v9.2/tasks HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n\
             {{\r\n  \"subject\": \"Task {n} in batch\",\r\n  \"regardingobjectid_account_task@odata.bind\": \"accounts({FABRIKAM})\"\r\n}}\r\n"
        )
    };
    let body = format!(
        "--batch_2297\r\nContent-Type: multipart/mixed; boundary=\"changeset_246e\"\r\n\r\n{}{}--changeset_246e--\r\n\r\n\
         --batch_2297\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n\
         GET /api/data/v9.2/accounts({FABRIKAM})/Account_Tasks?$select=subject HTTP/1.1\r\n\r\n\r\n--batch_2297--\r\n",
        task(1),
        task(2)
    );
    let r = s.batch_raw("multipart/mixed; boundary=\"batch_2297\"", &[("Accept", "application/json")], &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = batch_parts(&r);
    assert_eq!(p.iter().map(|p| (p.changeset, p.status)).collect::<Vec<_>>(), [(Some(0), 204), (Some(0), 204), (None, 200)]);
    for task in &p[..2] {
        assert!(task.header("Location").is_some_and(|l| l.starts_with(&format!("{}tasks(", s.base))), "{task:?}");
        assert_eq!(task.header("Location"), task.header("OData-EntityId"));
    }
    assert_eq!(p[2].json["@odata.context"], format!("{}$metadata#tasks(subject)", s.base));
    let mut subjects: Vec<_> = p[2].json["value"].as_array().unwrap().iter().map(|t| t["subject"].as_str().unwrap()).collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["Task 1 in batch", "Task 2 in batch"]);
}

#[tokio::test]
async fn the_python_sdk_framing() {
    // Client reference (Python SDK) §5.4: quoted boundaries, `type=entry` bodies with spaces
    // after colons, a GET followed by a blank line, `$n` as a whole URL for PATCH and DELETE.
    let s = Server::start().await;
    let base = &s.base;
    let head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n";
    let json = "Content-Type: application/json; type=entry";
    let body = format!(
        "--batch_py\r\n{head}\r\nPOST {base}accounts HTTP/1.1\r\n{json}\r\n\r\n{{\"name\": \"B 1\"}}\r\n\
         --batch_py\r\n{head}\r\nGET {base}accounts?$select=name&$filter=name eq 'B 1'&$orderby=name&$top=2&$count=true HTTP/1.1\r\nPrefer: odata.maxpagesize=2\r\n\r\n\
         --batch_py\r\nContent-Type: multipart/mixed; boundary=\"changeset_py\"\r\n\r\n\
         --changeset_py\r\n{head}Content-ID: 1\r\n\r\nPOST {base}accounts HTTP/1.1\r\n{json}\r\n\r\n{{\"name\": \"CS1\"}}\r\n\
         --changeset_py\r\n{head}Content-ID: 2\r\n\r\nPATCH $1 HTTP/1.1\r\n{json}\r\nIf-Match: *\r\n\r\n{{\"telephone1\": \"1\"}}\r\n\
         --changeset_py\r\n{head}Content-ID: 3\r\n\r\nPOST {base}accounts HTTP/1.1\r\n{json}\r\n\r\n{{\"name\": \"CS2\"}}\r\n\
         --changeset_py\r\n{head}Content-ID: 4\r\n\r\nDELETE $3 HTTP/1.1\r\nIf-Match: *\r\n\r\n\
         --changeset_py--\r\n\r\n--batch_py--\r\n"
    );
    let r = s.batch_raw("multipart/mixed; boundary=\"batch_py\"", &[], &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = batch_parts(&r);
    let shape: Vec<_> = p.iter().map(|p| (p.changeset, p.content_id.as_deref(), p.status)).collect();
    let expected = [(None, None, 204), (None, None, 200), (Some(2), Some("1"), 204), (Some(2), Some("2"), 204), (Some(2), Some("3"), 204), (Some(2), Some("4"), 204)];
    assert_eq!(shape, expected);
    assert_eq!(p[1].json["value"][0]["name"], "B 1", "{:?}", p[1]);
    assert_eq!((p[1].json["value"].as_array().map(Vec::len), p[1].json["@odata.count"].as_u64()), (Some(1), Some(1)));
    assert_eq!(s.fetch(&format!("accounts({})?$select=name,telephone1", p[2].entity_id())).await["telephone1"], "1");
    s.get(&format!("accounts({})", p[4].entity_id())).await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn absolute_server_relative_and_relative_targets() {
    let s = Server::start().await;
    for (i, prefix) in [s.base.clone(), "/api/data/v9.2/".to_string(), String::new()].iter().enumerate() {
        let (lastname, doomed) = (format!("Target-{i}"), s.create("contacts", r#"{"lastname":"Doomed"}"#).await);
        let r = s.batch(&[], &sample(prefix, &lastname, &doomed)).await;
        assert_sample(&s, &r, &lastname, &doomed, &format!("prefix {prefix:?}")).await;
        let id = batch_parts(&r)[0].entity_id();
        assert_eq!(batch_parts(&r)[0].header("OData-EntityId"), Some(format!("{}contacts({id})", s.base).as_str()));
    }
}

#[tokio::test]
async fn raw_spaces_and_quotes_in_the_request_line() {
    let s = Server::start().await;
    for name in ["Q a b", r#"Q say "hi""#, "Q O'Brien", "Q other", "Q Zoë"] {
        s.create("accounts", &serde_json::json!({ "name": name }).to_string()).await;
    }
    let r = s
        .batch(&[], &[
            get_part("accounts?$select=name&$filter=name eq 'Q a b'"),
            get_part(r#"accounts?$select=name&$filter=startswith(name,'Q say "h')"#),
            get_part("accounts?$select=name&$filter=name eq 'Q O''Brien'"),
            get_part("accounts?$select=name&$filter=startswith(name, 'Q ')&$orderby=name desc"),
            // dynamics-web-api encodes $filter but leaves $orderby raw (client reference §6.1).
            get_part("accounts?$select=name&$filter=name%20eq%20'Q%20a%20b'%20or%20name%20eq%20'Q Zoë'&$orderby=name asc"),
        ])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<Vec<String>> = batch_parts(&r)
        .iter()
        .map(|p| p.json["value"].as_array().unwrap_or_else(|| panic!("{p:?}")).iter().map(|v| v["name"].as_str().unwrap().to_string()).collect())
        .collect();
    assert_eq!(names[0], ["Q a b"]);
    assert_eq!(names[1], [r#"Q say "hi""#]);
    assert_eq!(names[2], ["Q O'Brien"]);
    assert_eq!(names[3], [r#"Q Zoë"#, r#"Q say "hi""#, "Q other", "Q O'Brien", "Q a b"]);
    assert_eq!(names[4], ["Q a b", "Q Zoë"]);
}

#[tokio::test]
async fn a_non_ascii_alternate_key_in_the_request_line() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Umlaut","accountnumber":"Jürgen-1"}"#).await;
    let key = format!("{}accounts(accountnumber='Jürgen-1')", s.base);
    let patch = http_part(Some("1"), "PATCH", &key, &[("If-Match", "*")], Some(r#"{"name":"Umlaut renamed"}"#));
    let r = s.batch(&[], &[changeset(CS, &[patch]), get_part(&format!("{key}?$select=name,accountnumber"))]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let parts = batch_parts(&r);
    assert_eq!(parts[0].status, 204, "{:?}", parts[0]);
    assert_eq!((parts[1].json["accountid"].as_str(), parts[1].json["name"].as_str()), (Some(id.as_str()), Some("Umlaut renamed")));
    assert_eq!(parts[1].json["accountnumber"], "Jürgen-1");
}

#[tokio::test]
async fn a_closing_delimiter_cut_short_is_accepted() {
    // dynamics-web-api counts Content-Length in characters: each non-ASCII character in a URL
    // costs one byte off the end of the body (client reference §8).
    let s = Server::start().await;
    for cut in 1..=6 {
        let (lastname, doomed) = (format!("Cut-{cut}"), s.create("contacts", r#"{"lastname":"Doomed"}"#).await);
        let body = batch_body(BATCH, &sample(&s.base, &lastname, &doomed));
        let r = s.batch_raw(&format!("multipart/mixed;boundary={BATCH}"), &[], &body[..body.len() - cut]).await;
        assert_sample(&s, &r, &lastname, &doomed, &format!("{cut} bytes cut")).await;
    }
    // The same over the wire, with the Content-Length the client declares.
    s.create("accounts", r#"{"name":"Zoë"}"#).await;
    let body = batch_body(BATCH, &[get_part("accounts?$select=name&$filter=name eq 'Zoë'")]);
    let head = format!("POST /api/data/v9.2/$batch HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/mixed;boundary={BATCH}\r\n", s.addr);
    let raw = s.raw(&format!("{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.chars().count())).await;
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(raw.contains("\r\n\r\n--batchresponse_") && raw.contains(r#""name":"Zoë""#), "{raw}");
}

#[tokio::test]
async fn response_framing_matches_dataverse() {
    let s = Server::start().await;
    let create = http_part(Some("1"), "POST", "contacts", &[], Some(r#"{"lastname":"Framed"}"#));
    let r = s.batch(&[], &[changeset(CS, &[create]), get_part("contacts/$count"), get_part("contacts?$select=lastname&$filter=lastname eq 'Framed'")]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ct = r.header("content-type").unwrap();
    let boundary = ct.strip_prefix("multipart/mixed; boundary=batchresponse_").unwrap_or_else(|| panic!("{ct}"));
    assert!(uuid::Uuid::parse_str(boundary).is_ok(), "{ct}");
    let cs_line = r.text.lines().nth(1).unwrap();
    let cs = cs_line.strip_prefix("Content-Type: multipart/mixed; boundary=changesetresponse_").unwrap_or_else(|| panic!("{cs_line}"));
    assert!(uuid::Uuid::parse_str(cs).is_ok(), "{cs_line}");
    assert!(r.text.starts_with(&format!("--batchresponse_{boundary}\r\n{cs_line}\r\n\r\n--changesetresponse_{cs}\r\n")), "{}", r.text);
    assert!(r.text.ends_with(&format!("\r\n--batchresponse_{boundary}--\r\n")), "{}", r.text);

    let parts = batch_parts(&r);
    assert_eq!(parts.len(), 3);
    let url = format!("{}contacts({})", s.base, parts[0].entity_id());
    let mut headers = parts[0].headers.clone();
    headers.sort();
    let expected = [("Location", url.as_str()), ("OData-EntityId", &url), ("OData-Version", "4.0")];
    assert_eq!(headers, expected.map(|(n, v)| (n.to_string(), v.to_string())));
    assert_eq!(parts[0].status_line, "HTTP/1.1 204 No Content");
    assert_eq!((parts[0].content_id.as_deref(), parts[0].body.as_str()), (Some("1"), ""));

    assert_eq!(parts[1].status_line, "HTTP/1.1 200 OK");
    assert!(parts[1].header("Content-Type").is_some_and(|t| t.starts_with("text/plain")), "{:?}", parts[1]);
    assert_eq!(parts[1].body.parse::<usize>().ok(), Some(s.count("contacts").await), "{:?}", parts[1]);

    assert_eq!(parts[2].header("Content-Type"), Some("application/json; odata.metadata=minimal; odata.streaming=true"));
    assert_eq!(parts[2].header("OData-Version"), Some("4.0"));
    assert_eq!(parts[2].json["@odata.context"], format!("{}$metadata#contacts(lastname)", s.base));
    assert_eq!(parts[2].json["value"][0]["contactid"], parts[0].entity_id());
}

#[tokio::test]
async fn an_error_part_has_the_plain_json_content_type() {
    let s = Server::start().await;
    let r = s.batch(&[], &[get_part(&format!("accounts({MISSING})"))]).await;
    let parts = batch_parts(&r);
    parts[0].assert_error(404, "0x80040217");
    assert_eq!(parts[0].header("Content-Type"), Some(JSON_MINIMAL));
}

#[tokio::test]
async fn queries_and_changesets_mixed_in_one_batch() {
    let s = Server::start().await;
    let contact = http_part(Some("1"), "POST", "contacts", &[], Some(r#"{"firstname":"Mia","lastname":"Mixed"}"#));
    let acc = |id: &str, name: &str| http_part(Some(id), "POST", "accounts", &[], Some(&format!(r#"{{"name":"{name}","primarycontactid@odata.bind":"$1"}}"#)));
    let rename = http_part(Some("1"), "PATCH", &format!("accounts({FABRIKAM})"), &[("If-Match", "*")], Some(r#"{"name":"M-Fabrikam"}"#));
    let annotated = http_part(None, "GET", "accounts?$select=name,_primarycontactid_value&$filter=startswith(name,'M-')&$orderby=name", &[("Prefer", "odata.include-annotations=\"*\"")], None);
    let r = s
        .batch(&[], &[
            changeset(CS, &[contact, acc("2", "M-Beta"), acc("3", "M-Alpha")]),
            get_part("accounts?$select=name&$filter=startswith(name,'M-')&$orderby=name asc&$count=true"),
            get_part("accounts/$count"),
            get_part(&format!("accounts({FABRIKAM})?$select=name&$expand=primarycontactid($select=fullname)")),
            changeset("changeset_2", &[rename]),
            annotated,
        ])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = batch_parts(&r);
    let shape: Vec<_> = p.iter().map(|p| (p.changeset, p.status)).collect();
    let expected = [(Some(0), 204), (Some(0), 204), (Some(0), 204), (None, 200), (None, 200), (None, 200), (Some(4), 204), (None, 200)];
    assert_eq!(shape, expected);
    let names = |p: &PartResp| p.json["value"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!((names(&p[3]), p[3].json["@odata.count"].clone()), (vec!["M-Alpha".to_string(), "M-Beta".into()], Value::from(2)));
    assert_eq!(p[4].body.parse::<usize>().ok(), Some(s.count("accounts").await));
    assert_eq!((p[5].json["name"].as_str(), p[5].json["primarycontactid"]["fullname"].as_str()), (Some("Fabrikam, Inc."), Some("Yvonne McKay")));
    // Parts run in order: the last GET sees the second changeset's rename and the annotations asked for.
    assert_eq!(names(&p[7]), ["M-Alpha", "M-Beta", "M-Fabrikam"]);
    assert_eq!(p[7].header("Preference-Applied"), Some("odata.include-annotations=\"*\""));
    assert_eq!(p[7].json["value"][0]["_primarycontactid_value@OData.Community.Display.V1.FormattedValue"], "Mia Mixed");
}

#[tokio::test]
async fn a_thousand_requests_are_accepted_and_one_more_is_refused_whole() {
    let s = Server::start().await;
    let before = s.count("contacts").await;
    let batch_of = |total: usize| {
        let creates: Vec<String> = (0..600).map(|i| http_part(Some(&i.to_string()), "POST", "contacts", &[], Some(&format!(r#"{{"lastname":"Bulk-{total}-{i}"}}"#)))).collect();
        let mut parts = vec![changeset(CS, &creates)];
        parts.extend((600..total).map(|_| get_part(&format!("accounts({FABRIKAM})?$select=name"))));
        parts
    };
    let r = s.batch(&[], &batch_of(1001)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", &r.text[..r.text.len().min(500)]);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert!(r.json["error"]["code"].as_str().is_some_and(|c| c.starts_with("0x")), "{}", r.text);
    assert!(r.json["error"]["message"].as_str().is_some_and(|m| m.contains("1000")), "{}", r.text);
    assert_eq!(s.count("contacts").await, before, "nothing of a refused batch is applied");

    let r = s.batch(&[], &batch_of(1000)).await;
    assert_eq!(r.status, StatusCode::OK);
    let parts = batch_parts(&r);
    assert_eq!(parts.len(), 1000);
    assert!(parts.iter().all(|p| p.status == if p.changeset.is_some() { 204 } else { 200 }));
    assert_eq!(s.count("contacts").await, before + 600);
}

#[tokio::test]
async fn a_malformed_batch_is_a_json_error_and_applies_nothing() {
    let s = Server::start().await;
    let ok = http_part(None, "POST", "contacts", &[], Some(r#"{"lastname":"Malformed"}"#));
    let ct = format!("multipart/mixed;boundary={BATCH}");
    let only_ok = batch_body(BATCH, std::slice::from_ref(&ok));
    let cases: Vec<(&str, String, String)> = vec![
        ("JSON content type", "application/json".into(), only_ok.clone()),
        ("no boundary parameter", "multipart/mixed".into(), only_ok.clone()),
        ("another boundary", "multipart/mixed;boundary=other".into(), only_ok),
        ("a text/plain part", ct.clone(), batch_body(BATCH, &[ok.clone(), "Content-Type: text/plain\r\n\r\nhello\r\n".into()])),
        ("a part without a request line", ct.clone(), batch_body(BATCH, &[ok.clone(), "Content-Type: application/http\r\n\r\n".into()])),
        ("a request line without a target", ct.clone(), batch_body(BATCH, &[ok.clone(), "Content-Type: application/http\r\n\r\nGET\r\n".into()])),
        ("a header line without a colon", ct.clone(), batch_body(BATCH, &[ok.clone(), "Content-Type: application/http\r\nbinary\r\n\r\nGET accounts HTTP/1.1\r\n".into()])),
        ("a changeset inside a changeset", ct.clone(), batch_body(BATCH, &[ok.clone(), changeset(CS, &[changeset("inner", std::slice::from_ref(&ok))])])),
        ("an empty body", ct.clone(), String::new()),
    ];
    for (case, content_type, body) in cases {
        let r = s.batch_raw(&content_type, &[], &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{case}: {}", r.text);
        assert_eq!(r.header("content-type"), Some(JSON_MINIMAL), "{case}");
        assert!(r.json["error"]["code"].as_str().is_some_and(|c| c.len() == 10 && c.starts_with("0x")), "{case}: {}", r.text);
        assert!(r.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{case}: {}", r.text);
        assert_eq!(s.pluck("contacts", "lastname", "lastname eq 'Malformed'").await, Vec::<String>::new(), "{case}");
    }
}

#[tokio::test]
async fn a_nested_batch_part_is_refused() {
    let s = Server::start().await;
    let inner = batch_body("inner", &[get_part("accounts")]);
    let nested = |target: String| {
        format!("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nPOST {target} HTTP/1.1\r\nContent-Type: multipart/mixed;boundary=inner\r\n\r\n{}\r\n", inner.trim())
    };
    for target in [format!("{}$batch", s.base), "/api/data/v9.2/$batch".to_string(), "$batch".to_string()] {
        let after = http_part(None, "POST", "contacts", &[], Some(r#"{"lastname":"After nested"}"#));
        let r = s.batch(&[("Prefer", "odata.continue-on-error")], &[nested(target.clone()), after]).await;
        assert_eq!(r.status, StatusCode::OK, "{target}: {}", r.text);
        let parts = batch_parts(&r);
        assert_eq!(parts.len(), 2, "{target}");
        assert_eq!(parts[0].status, 400, "{target}: {:?}", parts[0]);
        assert!(parts[0].json["error"]["message"].is_string(), "{target}: {:?}", parts[0]);
        assert!(!parts[0].body.contains("batchresponse"), "{target}: no inner batch ran: {:?}", parts[0]);
        assert_eq!(parts[1].status, 204, "{target}");
    }
    let r = s.batch(&[], &[changeset(CS, &[nested(format!("{}$batch", s.base))])]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(batch_parts(&r)[0].status, 400);
}

/// A batch GET of `accounts` filtered by `Fabrikam, Inc.` or'ed with `n` names nobody has,
/// encoded the way dynamics-web-api encodes `$filter` (client reference §5: long GETs go by batch).
async fn long_filter(s: &Server, n: usize) {
    let terms: String = (0..n).map(|i| format!("%20or%20name%20eq%20'L{i}'")).collect();
    let target = format!("{}accounts?$select=name&$filter=name%20eq%20'Fabrikam,%20Inc.'{terms}", s.base);
    let r = s.batch(&[], &[get_part(&target)]).await;
    assert_eq!(r.status, StatusCode::OK, "{n} terms, {} bytes: {}", target.len(), r.text);
    let p = batch_parts(&r);
    assert_eq!(p[0].json["value"][0]["name"], "Fabrikam, Inc.", "{n} terms, {} bytes: {:?}", target.len(), p[0]);
}

#[tokio::test]
async fn a_long_url_inside_a_batch() {
    long_filter(&Server::start().await, 120).await;
}

#[tokio::test]
async fn a_60_kb_url_inside_a_batch() {
    long_filter(&Server::start().await, 2200).await;
}
