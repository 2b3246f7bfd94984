//! The WhatsApp Cloud API as the platform uses it: the signature of inbound webhooks, and sending
//! (`POST {base}/{phone_number_id}/messages` with the organization's bearer token). Reference:
//! `fixtures/whatsapp/CLOUD_API_NOTES.md`.

pub mod media;
pub mod outbound;
pub mod send;
pub mod signature;
pub mod webhook;

pub use send::{CloudApi, SendError, Sent};
