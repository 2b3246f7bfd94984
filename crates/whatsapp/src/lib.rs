//! The WhatsApp Cloud API as the platform uses it. Sending: `POST {base}/{phone_number_id}/messages`
//! with the organization's bearer token (see `fixtures/whatsapp/CLOUD_API_NOTES.md` §4).

pub mod send;

pub use send::{CloudApi, SendError, Sent};
