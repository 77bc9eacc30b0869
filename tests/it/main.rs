//! One integration-test binary (link time matters on a small machine):
//! the store suite on SQLite and PostgreSQL, the HTTP server driven like a
//! client, the authorization table, the API, the live room over WebSockets,
//! and the browser tests.

mod api;
mod authz;
mod browser;
mod cli;
mod cluster;
mod delivery;
mod digests;
mod form_errors;
mod import;
mod in_person;
mod invitations;
mod jobs;
mod mail;
mod near;
mod notifications;
mod nul_bytes;
mod openapi;
mod outage;
mod pages;
mod partner_sessions;
mod partners;
mod places;
mod push;
mod reminders;
mod room;
mod room_cluster;
mod room_timer;
mod schedule;
mod session_life;
mod sign_in_limits;
mod store;
mod support;
mod webhooks;
mod zones;
