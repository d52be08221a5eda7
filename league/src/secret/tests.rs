//! Generation, normalisation and hashing of secrets.

use super::*;
use crate::test_util::rng;

#[test]
fn generated_secrets_are_26_lowercase_base32_characters_and_differ() {
    let mut generator = rng(1);
    let first = generate(&mut generator);
    let second = generate(&mut generator);
    assert_eq!(first.len(), SECRET_CHARS);
    assert!(
        first.chars().all(|c| matches!(c, 'a'..='z' | '2'..='7')),
        "{first}"
    );
    assert_ne!(first, second);
}

#[test]
fn normalise_folds_case_and_drops_separators_only() {
    let canonical = "abcdefghijklmnopqrstuvwxyz";
    assert_eq!(normalise(canonical).as_deref(), Some(canonical));
    assert_eq!(
        normalise("ABCDE-fghij klmno-PQRST-uvwxyz").as_deref(),
        Some(canonical)
    );
    assert_eq!(
        normalise(" abcde\tfghij-klmno-pqrst-uvwxyz\n").as_deref(),
        Some(canonical)
    );
}

#[test]
fn normalise_refuses_anything_that_is_not_exactly_a_secret() {
    for presented in [
        "",
        ".*",
        "abcdefghijklmnopqrstuvwxy",   // 25 characters
        "abcdefghijklmnopqrstuvwxyz2", // 27 characters
        "abcdefghijklmnopqrstuvwxy1",  // 1 is not in the alphabet
        "abcdefghijklmnopqrstuvwxy.",
        "abcdefghijklmnopqrstuvwx.*",
        "abcdefghijklmnopqrstuvwxyé",
        "abcdefghij_klmnopqrstuvwxyz",
    ] {
        assert_eq!(
            normalise(presented),
            None,
            "{presented:?} must not normalise"
        );
    }
    assert_eq!(normalise(&"a".repeat(10_000)), None);
}

#[test]
fn hash_matches_only_the_same_canonical_secret() {
    let hash = SecretHash::of_canonical("abcdefghijklmnopqrstuvwxyz");
    assert!(hash.matches(
        &SecretHash::of_presented("ABCDE-FGHIJ-KLMNO-PQRST-UVWXYZ").expect("valid shape")
    ));
    assert!(!hash.matches(&SecretHash::of_canonical("abcdefghijklmnopqrstuvwxy2")));
    assert_eq!(SecretHash::of_presented(".*"), None);
}

#[test]
fn hash_serialises_as_hex_and_round_trips() {
    let hash = SecretHash::of_canonical("abcdefghijklmnopqrstuvwxyz");
    let json = serde_json::to_string(&hash).expect("serialises");
    assert_eq!(json, format!("\"{}\"", hash.to_hex()));
    assert_eq!(hash.to_hex().len(), 64);
    let back: SecretHash = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, hash);
    let error = serde_json::from_str::<SecretHash>("\"abcd\"").expect_err("too short");
    assert!(
        error.to_string().contains("64 lowercase hex digits"),
        "{error}"
    );
}

proptest::proptest! {
    #[test]
    fn case_and_separators_never_change_the_hash(seed in 0_u64..u64::MAX, flips in proptest::collection::vec(0_u8..4, 26)) {
        let code = generate(&mut rng(seed));
        let mut presented = String::new();
        for (character, flip) in code.chars().zip(flips) {
            match flip {
                0 => presented.push(character.to_ascii_uppercase()),
                1 => { presented.push('-'); presented.push(character); }
                2 => { presented.push(' '); presented.push(character); }
                _ => presented.push(character),
            }
        }
        proptest::prop_assert!(SecretHash::of_presented(&presented).is_some_and(|hash| hash.matches(&SecretHash::of_canonical(&code))));
    }

    #[test]
    fn arbitrary_text_never_panics_and_only_secret_shapes_hash(text in "\\PC{0,40}") {
        let hashed = SecretHash::of_presented(&text);
        proptest::prop_assert_eq!(hashed.is_some(), normalise(&text).is_some());
    }
}
