//! `import-schema` from a 20 MB `$metadata`: a synthetic CSDL in the service's shape with
//! about 1,000 tables, streamed through `read_csdl` and turned into validated fixture tables
//! by `import_with_csdl` (the same two calls the CLI makes; writing the files is left out).
//!
//! Run with `cargo bench -p dataverse-emulator --bench import_csdl_20mb`
//! (env: `BENCH_TABLES`, default 1000; `BENCH_ITERS`, default 3 measured imports).
//! Without `--bench` (as under `cargo test --benches`) it is a smoke test on 20 tables.
//!
//! Each table has 180 plain properties of every Edm type the import maps (strings with
//! `MaxLength`, decimals with `Scale`, dates, enum-typed choices, …), 20 lookups (each an
//! `_x_value` property plus a navigation property with a `ReferentialConstraint` to another
//! table, so every table is also the referenced side of relationships), one collection
//! navigation per lookup pointing back, and an alternate key annotation: the proportions
//! of a real org's CSDL, where lookups and navigation properties are a large share.

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine};
use std::fmt::Write;
use std::time::{Duration, Instant};

use dataverse_emulator::replay::csdl_import::read_csdl;
use dataverse_emulator::replay::schema_import::import_with_csdl;

/// Plain (non-lookup) properties per table.
const PLAIN: usize = 180;

const TYPES: [&str; 9] = ["Edm.String\" Unicode=\"false\" MaxLength=\"100", "Edm.Int32", "Edm.Int64", "Edm.Decimal\" Scale=\"2", "Edm.Double", "Edm.Boolean", "Edm.DateTimeOffset", "Edm.Date", "mscrm.bench_choice"];

/// A CSDL document with `tables` tables.
fn synthetic_csdl(tables: usize) -> String {
    let mut x = String::with_capacity(tables * 22_000);
    x.push_str(r#"<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>"#);
    x.push_str(r#"<Schema Namespace="Microsoft.Dynamics.CRM" Alias="mscrm" xmlns="http://docs.oasis-open.org/odata/ns/edm"><EntityType Name="crmbaseentity" Abstract="true" />"#);
    x.push('\n');
    for t in 0..tables {
        let _ = writeln!(x, r#"<EntityType Name="new_t{t}" BaseType="mscrm.crmbaseentity"><Key><PropertyRef Name="new_t{t}id" /></Key>"#);
        let _ = writeln!(x, r#"<Property Name="new_t{t}id" Type="Edm.Guid" /><Property Name="new_name" Type="Edm.String" Unicode="false" MaxLength="100" />"#);
        for p in 0..PLAIN {
            let _ = writeln!(x, r#"<Property Name="new_column_number_{p}" Type="{}" />"#, TYPES[p % TYPES.len()]);
        }
        for l in 0..20 {
            let target = (t + l * 37 + 1) % tables;
            let _ = writeln!(x, r#"<Property Name="_new_lookup{l}_value" Type="Edm.Guid" />"#);
            let _ = writeln!(
                x,
                r#"<NavigationProperty Name="new_lookup{l}" Type="mscrm.new_t{target}" Nullable="false" Partner="new_t{target}_new_t{t}_lookup{l}"><ReferentialConstraint Property="_new_lookup{l}_value" ReferencedProperty="new_t{target}id" /></NavigationProperty>"#
            );
            let source = (t + tables * 37 - l * 37 - 1 + tables * 20) % tables;
            let _ = writeln!(x, r#"<NavigationProperty Name="new_t{t}_new_t{source}_lookup{l}" Type="Collection(mscrm.new_t{source})" Partner="new_lookup{l}" />"#);
        }
        x.push_str(r#"<Annotation Term="OData.Community.Keys.V1.AlternateKeys"><Collection><Record Type="OData.Community.Keys.V1.AlternateKey"><PropertyValue Property="Key"><Collection><Record Type="OData.Community.Keys.V1.PropertyRef"><PropertyValue Property="Alias" String="new_name" /><PropertyValue Property="Name" PropertyPath="new_name" /></Record></Collection></PropertyValue></Record></Collection></Annotation>"#);
        x.push_str("</EntityType>\n");
    }
    x.push_str(r#"<EnumType Name="bench_choice"><Member Name="One" Value="1" /><Member Name="Two" Value="2" /></EnumType><EntityContainer Name="System">"#);
    for t in 0..tables {
        let _ = write!(x, r#"<EntitySet Name="new_t{t}s" EntityType="Microsoft.Dynamics.CRM.new_t{t}" />"#);
    }
    x.push_str("</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>\n");
    x
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let tables: usize = if measuring { env_or("BENCH_TABLES", 1000) } else { 20 };
    let iters: usize = if measuring { env_or("BENCH_ITERS", 3) } else { 1 };
    println!("import_csdl_20mb on {}{}", machine(), if measuring { "" } else { " (smoke test: not a measurement)" });
    let doc = synthetic_csdl(tables);
    println!("document: {tables} tables, {:.1} MB", doc.len() as f64 / 1e6);
    let mut times: Vec<(Duration, Duration)> = Vec::new();
    for _ in 0..iters {
        let start = Instant::now();
        let csdl = read_csdl(doc.as_bytes(), |_, _| {}).expect("the synthetic CSDL parses");
        let parsed = start.elapsed();
        let imported = import_with_csdl(Some(csdl), Vec::new(), None);
        let total = start.elapsed();
        assert_eq!(imported.tables.len(), tables, "every table imports: {:?}", imported.warnings.first());
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings.first());
        let columns: usize = imported.tables.values().map(|t| t["Attributes"].as_array().map_or(0, Vec::len)).sum();
        assert_eq!(columns, tables * (2 + PLAIN + 20));
        times.push((parsed, total));
    }
    times.sort_by_key(|t| t.1);
    for (label, (parsed, total)) in [("fastest", times[0]), ("slowest", times[times.len() - 1])] {
        println!("{label:<8} read_csdl {:>8.3} s   + import_with_csdl = {:>8.3} s total", parsed.as_secs_f64(), total.as_secs_f64());
    }
    if measuring {
        let worst = times[times.len() - 1].1;
        println!("target: under 5 s for the whole import: {}", if worst < Duration::from_secs(5) { "met" } else { "MISSED" });
    }
}
