//! Randomness from the operating system (getrandom), the only source this crate uses.

use crate::CryptoError;

pub fn bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| CryptoError::Random)?;
    Ok(out)
}

/// A uniform integer in `0..bound` (rejection sampling: no modulo bias). `bound` must be positive.
pub fn below(bound: u32) -> Result<u32, CryptoError> {
    let bound = bound.max(1);
    // The largest multiple of `bound` that fits; draws at or above it are retried.
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let draw = u32::from_be_bytes(bytes::<4>()?);
        if draw < zone {
            return Ok(draw % bound);
        }
    }
}
