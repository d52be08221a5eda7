//! Money as integers and how to show it.
//!
//! [`Money`] counts whole base currency units (pounds, rupees) in a `u64`: £500m is
//! `Money(500_000_000)`, ₹5 lakh is `Money(500_000)`. There is no floating point anywhere. Amounts
//! above [`Money::MAX_AMOUNT`] (10^15) are refused by every rule with a typed reason, so sums of
//! accepted amounts can never overflow.
//!
//! [`CurrencyFormat`] renders amounts exactly (never rounded: the price shown is the real price),
//! in the style a league chooses: `£48m`, `£1.5m`, `£500k`; `₹5 lakh`, `₹1.2 cr`; or `$1,234,567`.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

/// An amount of money in whole base units.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(pub u64);

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money(0);
    /// The largest amount any rule accepts: 10^15 base units.
    pub const MAX_AMOUNT: Money = Money(1_000_000_000_000_000);

    /// `n` millions (`Money::millions(48)` is £48m).
    pub const fn millions(n: u64) -> Money {
        Money(n.saturating_mul(1_000_000))
    }

    /// `n` thousands.
    pub const fn thousands(n: u64) -> Money {
        Money(n.saturating_mul(1_000))
    }

    /// `n` lakh (1 lakh = 100,000).
    pub const fn lakh(n: u64) -> Money {
        Money(n.saturating_mul(100_000))
    }

    /// `n` crore (1 crore = 10,000,000 = 100 lakh).
    pub const fn crore(n: u64) -> Money {
        Money(n.saturating_mul(10_000_000))
    }

    /// The amount in base units.
    pub const fn units(self) -> u64 {
        self.0
    }

    /// Whether this amount is within [`Money::MAX_AMOUNT`].
    pub const fn is_within_limit(self) -> bool {
        self.0 <= Self::MAX_AMOUNT.0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Money) -> Option<Money> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Money(sum)),
            None => None,
        }
    }

    /// `self - other`, or `None` when `other` is larger.
    pub const fn checked_sub(self, other: Money) -> Option<Money> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(Money(difference)),
            None => None,
        }
    }

    /// `self × factor`, or `None` on overflow.
    pub const fn checked_mul(self, factor: u64) -> Option<Money> {
        match self.0.checked_mul(factor) {
            Some(product) => Some(Money(product)),
            None => None,
        }
    }

    /// `self + other`, saturating at `u64::MAX`.
    pub const fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    /// `self - other`, saturating at zero.
    pub const fn saturating_sub(self, other: Money) -> Money {
        Money(self.0.saturating_sub(other.0))
    }

    /// `self × factor`, saturating at `u64::MAX`.
    pub const fn saturating_mul(self, factor: u64) -> Money {
        Money(self.0.saturating_mul(factor))
    }
}

/// Base units with thousands separators (`500,000,000`), for logs and settings errors. People see
/// amounts through [`CurrencyFormat::format`].
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&group_thousands(self.0))
    }
}

/// How a league shows money. Every style is exact: no amount is ever rounded for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case")]
pub enum CurrencyFormat {
    /// Millions with a suffix: `£48m`, `£1.5m`; thousands below a million (`£500k`); plain units
    /// below a thousand (`£750`). The pilot's style.
    Millions {
        /// Currency symbol written before the amount, e.g. `£`.
        symbol: String,
    },
    /// The Indian system: `₹1.2 cr` from a crore up, `₹5 lakh` from a lakh up, plain units below
    /// (`₹50,000`).
    Indian {
        /// Currency symbol written before the amount, e.g. `₹`.
        symbol: String,
    },
    /// Whole units with thousands separators: `$1,234,567`.
    Plain {
        /// Currency symbol written before the amount, e.g. `$`.
        symbol: String,
    },
}

impl Default for CurrencyFormat {
    /// Pounds in millions (`£48m`), the pilot's style.
    fn default() -> Self {
        CurrencyFormat::pounds()
    }
}

impl CurrencyFormat {
    /// Pounds in millions: `£48m`.
    pub fn pounds() -> Self {
        CurrencyFormat::Millions {
            symbol: "£".to_owned(),
        }
    }

    /// Rupees in lakh and crore: `₹5 lakh`, `₹1.2 cr`.
    pub fn rupees() -> Self {
        CurrencyFormat::Indian {
            symbol: "₹".to_owned(),
        }
    }

    /// The amount as a person should read it.
    pub fn format(&self, amount: Money) -> String {
        let mut out = String::new();
        let units = amount.0;
        match self {
            CurrencyFormat::Millions { symbol } => {
                out.push_str(symbol);
                if units >= 1_000_000 {
                    push_scaled(&mut out, units, 1_000_000, "m");
                } else if units >= 1_000 {
                    push_scaled(&mut out, units, 1_000, "k");
                } else {
                    let _ = write!(out, "{units}");
                }
            }
            CurrencyFormat::Indian { symbol } => {
                out.push_str(symbol);
                if units >= 10_000_000 {
                    push_scaled(&mut out, units, 10_000_000, " cr");
                } else if units >= 100_000 {
                    push_scaled(&mut out, units, 100_000, " lakh");
                } else {
                    out.push_str(&group_thousands(units));
                }
            }
            CurrencyFormat::Plain { symbol } => {
                out.push_str(symbol);
                out.push_str(&group_thousands(units));
            }
        }
        out
    }
}

/// Writes `units / scale` with exactly as many decimals as needed (trailing zeros trimmed), then
/// `suffix`. `scale` is a power of ten.
fn push_scaled(out: &mut String, units: u64, scale: u64, suffix: &str) {
    let whole = units / scale;
    let fraction = units % scale;
    out.push_str(&group_thousands(whole));
    if fraction != 0 {
        let width = scale.ilog10() as usize;
        let digits = format!("{fraction:0width$}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out.push_str(suffix);
}

fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests;
