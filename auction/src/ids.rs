//! Identifiers: validated string newtypes for users, assets, auctions and idempotency keys, and
//! the lot number.
//!
//! A string identifier is 1 to 64 characters of `[A-Za-z0-9_.:@-]`. The check runs in
//! [`UserId::try_new`] (and friends) *and* when deserialising, so an identifier read from the wire
//! or from the event log is as trustworthy as one built in code. On the wire each is a plain string.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest identifier accepted, in characters (all allowed characters are ASCII, so also bytes).
pub const MAX_ID_LEN: usize = 64;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is empty.
    #[error("{kind} must not be empty")]
    Empty {
        /// Which identifier ("user id", "asset id", …).
        kind: &'static str,
    },
    /// The string is longer than [`MAX_ID_LEN`].
    #[error("{kind} must be at most 64 characters (got {len})")]
    TooLong {
        /// Which identifier.
        kind: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// The string holds a character outside `[A-Za-z0-9_.:@-]`.
    #[error(
        "{kind} may only contain letters, digits and _ . : @ - (found {found:?} at position {position})"
    )]
    InvalidChar {
        /// Which identifier.
        kind: &'static str,
        /// The first offending character.
        found: char,
        /// Its position (in characters, from 0).
        position: usize,
    },
}

fn validate(kind: &'static str, value: &str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if let Some((position, found)) = value
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '@' | '-')))
    {
        return Err(IdError::InvalidChar {
            kind,
            found,
            position,
        });
    }
    if value.len() > MAX_ID_LEN {
        return Err(IdError::TooLong {
            kind,
            len: value.len(),
        });
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// What this identifier is called in error messages.
            pub const KIND: &'static str = $kind;

            /// Validates and wraps `value` (1 to 64 characters of `[A-Za-z0-9_.:@-]`).
            pub fn try_new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                validate($kind, &value)?;
                Ok(Self(value))
            }

            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identifier as an owned string.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Sound: the derived `Hash`/`Eq`/`Ord` of a one-field tuple struct are those of the `String`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                Self::try_new(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::try_new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(value: &str) -> Result<Self, IdError> {
                Self::try_new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Self::try_new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_id!(
    /// A person: a manager, the commissioner or a spectator.
    UserId,
    "user id"
);
string_id!(
    /// Something that can be bought: a club, a player, a team.
    AssetId,
    "asset id"
);
string_id!(
    /// One auction (one league's draft).
    AuctionId,
    "auction id"
);
string_id!(
    /// A client-chosen key that makes a bid or proxy request safe to retry: the same key from the
    /// same manager never creates a second bid.
    IdempotencyKey,
    "idempotency key"
);

/// The number of a lot within an auction: the first lot opened is 1, and every opening (a re-offer
/// included) takes the next number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LotNumber(pub u32);

impl LotNumber {
    /// The number as an integer.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for LotNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests;
