//! Unit tests of `ids`.

use super::*;

#[test]
fn identifier_validation_table() {
    let long_ok = "a".repeat(64);
    let too_long = "a".repeat(65);
    let cases: Vec<(&str, Result<(), IdError>)> = vec![
        ("alice", Ok(())),
        ("A-z_0.9:x@y", Ok(())),
        (&long_ok, Ok(())),
        ("", Err(IdError::Empty { kind: "user id" })),
        (
            &too_long,
            Err(IdError::TooLong {
                kind: "user id",
                len: 65,
            }),
        ),
        (
            "bob smith",
            Err(IdError::InvalidChar {
                kind: "user id",
                found: ' ',
                position: 3,
            }),
        ),
        (
            ".*",
            Err(IdError::InvalidChar {
                kind: "user id",
                found: '*',
                position: 1,
            }),
        ),
        (
            "é",
            Err(IdError::InvalidChar {
                kind: "user id",
                found: 'é',
                position: 0,
            }),
        ),
    ];
    for (input, expected) in cases {
        let got = UserId::try_new(input).map(|id| assert_eq!(id.as_str(), input));
        assert_eq!(got, expected, "input {input:?}");
    }
}

#[test]
fn error_messages_are_sentences() {
    assert_eq!(
        AssetId::try_new("").unwrap_err().to_string(),
        "asset id must not be empty"
    );
    assert_eq!(
        IdempotencyKey::try_new("a b").unwrap_err().to_string(),
        "idempotency key may only contain letters, digits and _ . : @ - (found ' ' at position 1)"
    );
    assert_eq!(
        AuctionId::try_new("x".repeat(70)).unwrap_err().to_string(),
        "auction id must be at most 64 characters (got 70)"
    );
}

#[test]
fn serde_is_a_plain_string_and_validates() {
    let id = UserId::try_new("alice").unwrap();
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"alice\"");
    assert_eq!(serde_json::from_str::<UserId>("\"alice\"").unwrap(), id);
    let err = serde_json::from_str::<UserId>("\".*\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("user id may only contain"), "{err}");
    assert_eq!(serde_json::to_string(&LotNumber(7)).unwrap(), "7");
}

#[test]
fn conversions_and_borrow() {
    let id: AssetId = "arsenal".parse().unwrap();
    assert_eq!(id.to_string(), "arsenal");
    let map: std::collections::HashMap<AssetId, u8> = [(id.clone(), 1)].into_iter().collect();
    assert_eq!(map.get("arsenal"), Some(&1));
    assert_eq!(String::from(id.clone()), "arsenal");
    assert_eq!(AssetId::try_from("arsenal").unwrap(), id);
    assert_eq!(LotNumber(3).to_string(), "3");
    assert_eq!(LotNumber(3).get(), 3);
}
