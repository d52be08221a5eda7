//! Magic links, session tokens (issue, verify, forgeries, expiry) and revocation.

use super::*;
use crate::test_util::{at, rng, t0, uid, user};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef-test-only";
const HOUR_MS: i64 = 3_600_000;

fn secret() -> SessionSecret {
    SessionSecret::new(SECRET).expect("long enough")
}

fn email(text: &str) -> Email {
    Email::parse(text).expect("valid")
}

// === magic links ===

#[test]
fn a_magic_link_signs_in_once_within_15_minutes() {
    let (token, mut link) = MagicLink::create(email("Ann@Example.com"), t0(), &mut rng(1));
    assert_eq!(link.expires_at(), at(15 * 60_000));
    assert_eq!(
        link.token_hash(),
        &hash_presented(token.reveal()).expect("valid shape")
    );
    assert_eq!(
        link.redeem(token.reveal(), at(60_000))
            .map(|e| e.as_str().to_owned()),
        Ok("ann@example.com".into())
    );
    assert_eq!(link.used_at(), Some(at(60_000)));
    assert_eq!(
        link.redeem(token.reveal(), at(61_000)),
        Err(MagicLinkError::AlreadyUsed)
    );
}

#[test]
fn a_magic_link_expires_and_refuses_wrong_tokens_without_being_consumed() {
    let (token, mut link) = MagicLink::create(email("ann@example.com"), t0(), &mut rng(2));
    let (other_token, _) = MagicLink::create(email("ann@example.com"), t0(), &mut rng(3));
    assert_eq!(
        link.redeem(other_token.reveal(), t0()),
        Err(MagicLinkError::Invalid)
    );
    assert_eq!(link.redeem(".*", t0()), Err(MagicLinkError::Invalid));
    assert_eq!(
        link.redeem(token.reveal(), at(15 * 60_000)),
        Err(MagicLinkError::Expired)
    );
    assert_eq!(
        link.used_at(),
        None,
        "a refused attempt does not use the link"
    );
    assert_eq!(
        MagicLinkError::Expired.to_string(),
        "this sign-in link has expired (links last 15 minutes): request a new one"
    );
}

#[test]
fn magic_link_records_and_tokens_do_not_leak_the_token() {
    let (token, link) = MagicLink::create(email("ann@example.com"), t0(), &mut rng(4));
    assert_eq!(format!("{token:?}"), "MagicLinkToken(<redacted>)");
    let stored = serde_json::to_string(&link).expect("serialises");
    assert!(!stored.contains(token.reveal()));
    let back: MagicLink = serde_json::from_str(&stored).expect("deserialises");
    assert_eq!(back, link);
}

// === session tokens ===

#[test]
fn an_issued_token_verifies_with_its_claims() {
    let ann = user("ann");
    let token = issue(&secret(), &ann, 0, t0(), &mut rng(5));
    let claims = verify(&secret(), &token, at(HOUR_MS)).expect("valid for 24 hours");
    assert_eq!(claims.sub, uid("ann"));
    assert_eq!(claims.name, "User ann");
    assert_eq!(claims.iat, timefmt::unix_seconds(t0()));
    assert_eq!(claims.exp, claims.iat + 24 * 3600);
    assert_eq!(claims.ver, 0);
    assert_eq!(claims.jti.len(), 26);
    let header = jsonwebtoken::decode_header(&token).expect("a JWT header");
    assert_eq!(header.alg, Algorithm::HS256);
}

#[test]
fn tokens_expire_at_exp_by_the_callers_clock() {
    let token = issue(&secret(), &user("ann"), 0, t0(), &mut rng(6));
    assert!(verify(&secret(), &token, at(24 * HOUR_MS - 1_000)).is_ok());
    assert_eq!(
        verify(&secret(), &token, at(24 * HOUR_MS)),
        Err(TokenError::Expired)
    );
    let short = issue_for(
        &secret(),
        &user("ann"),
        0,
        t0(),
        Duration::from_secs(60),
        &mut rng(7),
    );
    assert_eq!(
        verify(&secret(), &short, at(60_000)),
        Err(TokenError::Expired)
    );
}

#[test]
fn a_token_issued_in_the_future_is_refused_beyond_the_skew_allowance() {
    let token = issue(&secret(), &user("ann"), 0, at(HOUR_MS), &mut rng(8));
    assert_eq!(
        verify(&secret(), &token, t0()),
        Err(TokenError::NotYetValid)
    );
    assert!(
        verify(&secret(), &token, at(HOUR_MS - 60_000)).is_ok(),
        "60 s of skew is tolerated"
    );
}

#[test]
fn forged_and_tampered_tokens_are_refused() {
    let token = issue(&secret(), &user("ann"), 0, t0(), &mut rng(9));
    let other_key = SessionSecret::new(b"another-secret-of-at-least-32-bytes!!".as_slice())
        .expect("long enough");
    assert_eq!(
        verify(&other_key, &token, t0()),
        Err(TokenError::BadSignature)
    );

    // Change the subject in the payload and keep the signature.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let payload = data_encoding::BASE64URL_NOPAD
        .decode(parts[1].as_bytes())
        .expect("base64url");
    let forged_payload = String::from_utf8(payload)
        .expect("json")
        .replace("\"ann\"", "\"eve\"");
    parts[1] = data_encoding::BASE64URL_NOPAD.encode(forged_payload.as_bytes());
    assert_eq!(
        verify(&secret(), &parts.join("."), t0()),
        Err(TokenError::BadSignature)
    );

    // A well-formed HS256 header with an empty payload and no signature.
    assert_eq!(
        verify(&secret(), "eyJhbGciOiJIUzI1NiJ9..", t0()),
        Err(TokenError::BadSignature)
    );

    // An unsigned token ("alg": "none") signed by nobody.
    let none_header = data_encoding::BASE64URL_NOPAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert!(matches!(
        verify(&secret(), &unsigned, t0()),
        Err(TokenError::BadSignature | TokenError::Malformed)
    ));

    // The same claims signed with HS512 under the right key: only HS256 is accepted.
    let claims = verify(&secret(), &token, t0()).expect("valid");
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .expect("signs");
    assert_eq!(
        verify(&secret(), &hs512, t0()),
        Err(TokenError::BadSignature)
    );
}

#[test]
fn malformed_tokens_are_refused_as_malformed() {
    for garbage in ["", "not a token", "a.b.c", "....", "\u{0}"] {
        assert_eq!(
            verify(&secret(), garbage, t0()),
            Err(TokenError::Malformed),
            "{garbage:?}"
        );
    }
    // Validly signed, but the claims are not ours (no `jti`, `ver`, `name`).
    #[derive(Serialize)]
    struct Foreign {
        sub: String,
        exp: i64,
        iat: i64,
    }
    let foreign = Foreign {
        sub: "ann".into(),
        exp: timefmt::unix_seconds(t0()) + 60,
        iat: timefmt::unix_seconds(t0()),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &foreign,
        &EncodingKey::from_secret(SECRET),
    )
    .expect("signs");
    assert_eq!(verify(&secret(), &token, t0()), Err(TokenError::Malformed));
}

#[test]
fn token_errors_read_as_sentences_and_hold_no_secret() {
    assert_eq!(
        TokenError::Expired.to_string(),
        "your session has expired: sign in again"
    );
    assert_eq!(
        TokenError::BadSignature.to_string(),
        "the session token's signature is not valid: sign in again"
    );
    assert_eq!(format!("{:?}", secret()), "SessionSecret(<redacted>)");
    assert_eq!(
        SessionSecret::new(b"short".as_slice())
            .map(|_| ())
            .map_err(|error| error.to_string()),
        Err("the session signing secret must be at least 32 bytes long (got 5)".to_owned())
    );
}

// === revocation ===

#[test]
fn revoking_one_session_leaves_the_others_alive_until_pruned() {
    let ann = user("ann");
    let mut revocations = Revocations::new();
    let phone = issue(&secret(), &ann, 0, t0(), &mut rng(10));
    let laptop = issue(&secret(), &ann, 0, t0(), &mut rng(11));
    let phone_claims = verify(&secret(), &phone, t0()).expect("valid");
    revocations.revoke(&phone_claims);
    assert_eq!(
        verify_session(&secret(), &phone, t0(), &revocations),
        Err(TokenError::Revoked)
    );
    assert!(verify_session(&secret(), &laptop, t0(), &revocations).is_ok());

    revocations.prune(at(HOUR_MS));
    assert_eq!(
        revocations.revoked_tokens(),
        1,
        "kept while the token could still be used"
    );
    revocations.prune(at(24 * HOUR_MS));
    assert_eq!(
        revocations.revoked_tokens(),
        0,
        "dropped once the token has expired anyway"
    );
}

#[test]
fn signing_out_everywhere_refuses_every_older_token() {
    let ann = user("ann");
    let bob = user("bob");
    let mut revocations = Revocations::new();
    let old = issue(
        &secret(),
        &ann,
        revocations.current_version(&ann.id),
        t0(),
        &mut rng(12),
    );
    let bobs = issue(
        &secret(),
        &bob,
        revocations.current_version(&bob.id),
        t0(),
        &mut rng(13),
    );
    assert_eq!(revocations.sign_out_everywhere(&ann.id), 1);
    assert_eq!(
        verify_session(&secret(), &old, t0(), &revocations),
        Err(TokenError::SignedOutEverywhere)
    );
    assert!(
        verify_session(&secret(), &bobs, t0(), &revocations).is_ok(),
        "other users are untouched"
    );
    let new = issue(
        &secret(),
        &ann,
        revocations.current_version(&ann.id),
        t0(),
        &mut rng(14),
    );
    assert_eq!(
        verify_session(&secret(), &new, t0(), &revocations).map(|claims| claims.ver),
        Ok(1)
    );
}
