//! The emulator's HTTP tests: each starts the server in-process on 127.0.0.1:0 and speaks HTTP
//! to it (`common::Server`), asserting status, headers and body.
//!
//! They are one test binary, not one per file: linking sixty copies of the emulator cost
//! ~175 MB of disk and a link step each, which ran CI's disk out. Run one area with
//! `cargo test -p dataverse-emulator --test http -- batch::` (module name = file name).
#![recursion_limit = "512"]

mod common;
mod webhook_receiver;

mod activity_parties;
mod admin_clock;
mod admin_faults;
mod admin_journal;
mod admin_orgs;
mod alternate_keys;
mod atomicity;
mod auth;
mod auth_code;
mod background_operations;
mod batch;
mod batch_atomicity;
mod change_tracking;
mod create;
mod delete;
mod errors;
mod fetchxml;
mod fetchxml_props;
mod file_images;
mod files;
mod fixture_layers;
mod headers;
mod lookups;
mod messages_bulk;
mod messages_bulk_delete;
mod messages_custom_api;
mod messages_email_lead;
mod messages_functions;
mod messages_merge;
mod messages_sharing;
mod messages_team;
mod metadata_attributes;
mod metadata_choices;
mod metadata_csdl;
mod metadata_entities;
mod metadata_writes;
mod property;
mod query_apply;
mod query_expand;
mod query_filter;
mod query_functions;
mod query_orderby_top_count;
mod query_paging;
mod query_sql;
mod refs;
mod replay;
mod replay_csdl;
mod replay_diff;
mod replay_documented;
mod replay_links;
mod retrieve;
mod scenario_corpus;
mod state_transitions;
mod system_columns;
mod tls;
mod typed_values;
mod ui;
mod update_upsert;
mod webhooks;
mod webhooks_bulk;
mod webhooks_custom_messages;
mod webhooks_fixture_loads;
mod webhooks_pipeline;
