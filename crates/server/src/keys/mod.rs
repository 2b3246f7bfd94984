//! Keys at run time: the master key's origin, each organization's key ring (cached), field
//! encryption through it, and rotation with its re-encryption job.

pub mod master;
pub mod rings;
pub mod rotation;

pub use rings::KeyRings;
