//! One integration-test binary (link time matters on a small machine):
//! the store suite on SQLite and PostgreSQL, the HTTP server driven like a
//! client, the authorization table, the API, and the browser test.

mod api;
mod authz;
mod browser;
mod cli;
mod mail;
mod pages;
mod schedule;
mod store;
mod support;
