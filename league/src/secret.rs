//! Random bearer secrets (invite codes, magic-link tokens) and the hashes that are stored instead.
//!
//! A secret is 128 bits from a cryptographically secure RNG, rendered as 26 characters of RFC 4648
//! base32 in lowercase without padding. Only its SHA-256 hash is ever persisted. A presented secret
//! is normalised (ASCII case folded, `-` and whitespace separators dropped; nothing else), checked
//! to have exactly the shape of a secret, hashed, and compared to the stored hash in constant time.
//! There is no pattern matching anywhere on this path: the predecessor's invite join accepted a
//! regular expression, so `.*` joined any league.

use std::fmt;
use std::hash::{Hash, Hasher};

use data_encoding::{BASE32_NOPAD, HEXLOWER};
use rand::CryptoRng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Number of random bytes in a secret (128 bits).
pub(crate) const SECRET_BYTES: usize = 16;
/// Number of base32 characters in a rendered secret.
pub(crate) const SECRET_CHARS: usize = 26;
/// Presented strings longer than this are refused before any work is done on them.
const MAX_PRESENTED_LEN: usize = 128;

/// Draws a new secret and renders it as 26 lowercase base32 characters.
pub(crate) fn generate(rng: &mut impl CryptoRng) -> String {
    let mut bytes = [0_u8; SECRET_BYTES];
    rng.fill_bytes(&mut bytes);
    BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()
}

/// Normalises what a person typed or a link carried into the canonical 26-character form, or
/// `None` when it cannot be a secret at all (wrong length or a character outside the alphabet).
pub(crate) fn normalise(presented: &str) -> Option<String> {
    if presented.len() > MAX_PRESENTED_LEN {
        return None;
    }
    let mut canonical = String::with_capacity(SECRET_CHARS);
    for character in presented.chars() {
        match character {
            '-' => {}
            c if c.is_whitespace() => {}
            c @ ('a'..='z' | '2'..='7') => canonical.push(c),
            c @ 'A'..='Z' => canonical.push(c.to_ascii_lowercase()),
            _ => return None,
        }
    }
    (canonical.len() == SECRET_CHARS).then_some(canonical)
}

/// The SHA-256 hash of a canonical secret: what is stored and looked up instead of the secret.
///
/// Equality is constant-time. The hash is not itself secret (it cannot be turned back into a code),
/// so it may be used as a lookup key and shown in logs; it serialises as 64 lowercase hex digits.
#[derive(Clone, Copy, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Hashes a secret already in canonical form.
    pub(crate) fn of_canonical(canonical: &str) -> SecretHash {
        SecretHash(Sha256::digest(canonical.as_bytes()).into())
    }

    /// Normalises and hashes a presented secret; `None` when it does not have the shape of one.
    pub(crate) fn of_presented(presented: &str) -> Option<SecretHash> {
        normalise(presented).map(|canonical| SecretHash::of_canonical(&canonical))
    }

    /// Constant-time comparison with another hash.
    pub(crate) fn matches(&self, other: &SecretHash) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// The hash as 64 lowercase hex digits.
    pub fn to_hex(self) -> String {
        HEXLOWER.encode(&self.0)
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other)
    }
}

impl Hash for SecretHash {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretHash({})", self.to_hex())
    }
}

impl Serialize for SecretHash {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SecretHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(deserializer)?;
        let bytes = HEXLOWER.decode(hex.as_bytes()).map_err(|_| {
            serde::de::Error::custom("a secret hash must be 64 lowercase hex digits")
        })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            serde::de::Error::custom("a secret hash must be 64 lowercase hex digits")
        })?;
        Ok(SecretHash(bytes))
    }
}

#[cfg(test)]
mod tests;
