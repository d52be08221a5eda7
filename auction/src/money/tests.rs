//! Unit tests of `money`.

use super::*;

#[test]
fn millions_format_table() {
    let pounds = CurrencyFormat::pounds();
    let cases = [
        (Money::millions(48), "£48m"),
        (Money(1_500_000), "£1.5m"),
        (Money(1_250_000), "£1.25m"),
        (Money(1_000_001), "£1.000001m"),
        (Money::millions(500), "£500m"),
        (Money::millions(1_500), "£1,500m"),
        (Money(500_000), "£500k"),
        (Money(1_500), "£1.5k"),
        (Money(999), "£999"),
        (Money::ZERO, "£0"),
    ];
    for (amount, text) in cases {
        assert_eq!(pounds.format(amount), text, "{amount:?}");
    }
}

#[test]
fn indian_format_table() {
    let rupees = CurrencyFormat::rupees();
    let cases = [
        (Money::lakh(5), "₹5 lakh"),
        (Money::lakh(12).saturating_add(Money(50_000)), "₹12.5 lakh"),
        (Money::crore(1).saturating_add(Money::lakh(20)), "₹1.2 cr"),
        (Money::crore(2), "₹2 cr"),
        (Money::crore(120), "₹120 cr"),
        (Money(50_000), "₹50,000"),
        (Money(99_999), "₹99,999"),
    ];
    for (amount, text) in cases {
        assert_eq!(rupees.format(amount), text, "{amount:?}");
    }
}

#[test]
fn plain_format_and_display() {
    let dollars = CurrencyFormat::Plain { symbol: "$".into() };
    assert_eq!(dollars.format(Money(1_234_567)), "$1,234,567");
    assert_eq!(dollars.format(Money(12)), "$12");
    assert_eq!(Money(500_000_000).to_string(), "500,000,000");
    assert_eq!(Money(100).to_string(), "100");
}

#[test]
fn arithmetic_is_checked() {
    assert_eq!(Money(5).checked_add(Money(7)), Some(Money(12)));
    assert_eq!(Money(u64::MAX).checked_add(Money(1)), None);
    assert_eq!(Money(5).checked_sub(Money(7)), None);
    assert_eq!(Money(7).checked_sub(Money(5)), Some(Money(2)));
    assert_eq!(Money(u64::MAX).checked_mul(2), None);
    assert_eq!(Money(5).saturating_sub(Money(7)), Money::ZERO);
    assert!(Money::MAX_AMOUNT.is_within_limit());
    assert!(!Money(Money::MAX_AMOUNT.0 + 1).is_within_limit());
    assert_eq!(Money::crore(1), Money::lakh(100));
}

#[test]
fn currency_serde_is_tagged() {
    let json = serde_json::to_string(&CurrencyFormat::pounds()).unwrap();
    assert_eq!(json, r#"{"style":"millions","symbol":"£"}"#);
    let back: CurrencyFormat = serde_json::from_str(&json).unwrap();
    assert_eq!(back, CurrencyFormat::pounds());
    assert_eq!(serde_json::to_string(&Money(5)).unwrap(), "5");
}
