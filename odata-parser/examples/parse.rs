//! Prints what odata-parser makes of a URL fragment, or the error Dataverse would show.
//!
//! ```text
//! cargo run -p odata-parser --example parse -- 'accounts(1)'
//! cargo run -p odata-parser --example parse -- 'accounts?$select=name&$filter=name%20eq%20%27x%27'
//! cargo run -p odata-parser --example parse -- '$top=3&$count=true'
//! cargo run -p odata-parser --example parse -- --filter "name eq 'x' and revenue gt 10"
//! cargo run -p odata-parser --example parse -- --expand 'primarycontactid($select=fullname)'
//! cargo run -p odata-parser --example parse -- --apply 'groupby((statuscode),aggregate($count as n))'
//! ```
//!
//! A bare argument is a resource path, unless it starts with `?`, or with `$` and has
//! an `=`, in which case it is a raw query string; `path?query` parses both. A
//! `$filter`, `$orderby`, `$expand` or `$apply` found in the query is parsed too.

use std::process::ExitCode;

use odata_parser::{
    parse_apply, parse_expand, parse_filter, parse_orderby, parse_query, parse_resource_path,
    ParseError,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [flag, text] if flag == "--filter" => show_filter(text),
        [flag, text] if flag == "--orderby" => show_orderby(text),
        [flag, text] if flag == "--expand" => show_expand(text),
        [flag, text] if flag == "--apply" => show_apply(text),
        [text] => show(text),
        _ => {
            eprintln!(
                "usage: parse <path[?query]> | parse '?<query>' | parse --filter|--orderby|--expand|--apply <value>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error ({:?} at {:?}): {error}", error.kind(), error.span());
            ExitCode::FAILURE
        }
    }
}

fn show(text: &str) -> Result<(), ParseError> {
    let is_query = text.starts_with('$') && text.contains('=');
    let (path, query) = match text.split_once('?') {
        Some((path, query)) => (Some(path), Some(query)),
        None if is_query => (None, Some(text)),
        None => (Some(text), None),
    };
    if let Some(path) = path {
        let path = parse_resource_path(path)?;
        println!(
            "path:      {}\nsexpr:     {}\n{path:#?}",
            path,
            path.to_sexpr()
        );
    }
    if let Some(query) = query {
        let options = parse_query(query)?;
        println!("query:     {options}\n{options:#?}");
        if let Some(filter) = &options.filter {
            show_filter(filter)?;
        }
        if let Some(orderby) = &options.orderby {
            show_orderby(orderby)?;
        }
        if let Some(expand) = &options.expand {
            show_expand(expand)?;
        }
        if let Some(apply) = &options.apply {
            show_apply(apply)?;
        }
    }
    Ok(())
}

fn show_filter(text: &str) -> Result<(), ParseError> {
    let expr = parse_filter(text)?;
    println!("filter:    {expr}\nsexpr:     {}", expr.to_sexpr());
    Ok(())
}

/// Prints list items: canonical text (joined by `separator`), S-expressions, `Debug`.
fn show_list<T: std::fmt::Display + std::fmt::Debug>(
    label: &str,
    items: &[T],
    separator: &str,
    sexpr: impl Fn(&T) -> String,
) {
    let printed: Vec<String> = items.iter().map(ToString::to_string).collect();
    let sexprs: Vec<String> = items.iter().map(sexpr).collect();
    println!(
        "{label:<10} {}\nsexpr:     {}\n{items:#?}",
        printed.join(separator),
        sexprs.join(" ")
    );
}

fn show_orderby(text: &str) -> Result<(), ParseError> {
    let items = parse_orderby(text)?;
    show_list("orderby:", &items, ",", |i| i.to_sexpr());
    Ok(())
}

fn show_expand(text: &str) -> Result<(), ParseError> {
    let items = parse_expand(text)?;
    show_list("expand:", &items, ",", |i| i.to_sexpr());
    Ok(())
}

fn show_apply(text: &str) -> Result<(), ParseError> {
    let steps = parse_apply(text)?;
    show_list("apply:", &steps, "/", |s| s.to_sexpr());
    Ok(())
}
