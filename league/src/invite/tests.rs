//! Invite codes: shape, exact matching, expiry, limits, revocation and leak-free errors.

use super::*;
use crate::model::JoinError;
use crate::test_util::{asset, at, auction_id, league_with, lid, rng, t0, uid};

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;

fn issue(league: &League, options: InviteOptions, seed: u64) -> (InviteCode, Invite) {
    Invite::issue(
        league.id(),
        league.commissioner(),
        options,
        t0(),
        &mut rng(seed),
    )
    .expect("valid options")
}

#[test]
fn a_code_is_26_base32_characters_in_five_groups_and_only_its_hash_is_stored() {
    let league = league_with("a", "commish", &[], 8);
    let (code, invite) = issue(&league, InviteOptions::default(), 1);
    let shown = code.reveal();
    assert_eq!(shown.len(), 26 + 4);
    assert_eq!(
        shown.split('-').map(str::len).collect::<Vec<_>>(),
        vec![5, 5, 5, 5, 6]
    );
    assert_eq!(code.canonical().len(), 26);
    assert_eq!(invite.code_hash(), &code.hash());
    let stored = serde_json::to_string(&invite).expect("serialises");
    assert!(
        !stored.contains(code.canonical()),
        "the stored invite must not contain the code"
    );
    assert_eq!(format!("{code:?}"), "InviteCode(<redacted>)");
    assert!(!format!("{invite:?}").contains(code.canonical()));
    assert_eq!(invite.expires_at(), at(7 * DAY_MS));
    assert_eq!(invite.state(t0()), InviteState::Active);
}

#[test]
fn codes_from_different_draws_differ() {
    let league = league_with("a", "commish", &[], 8);
    let mut generator = rng(7);
    let codes: Vec<String> = (0..100)
        .map(|_| {
            let (code, _) = Invite::issue(
                league.id(),
                league.commissioner(),
                InviteOptions::default(),
                t0(),
                &mut generator,
            )
            .expect("valid");
            code.canonical().to_owned()
        })
        .collect();
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), codes.len());
}

#[test]
fn the_exact_code_joins_in_any_case_and_grouping() {
    let mut league = league_with("a", "commish", &[], 8);
    let (code, mut invite) = issue(&league, InviteOptions::default(), 2);
    assert_eq!(
        invite.accept(&code.reveal(), &mut league, &uid("m1"), t0()),
        Ok(Role::Manager)
    );
    assert_eq!(
        invite.accept(&code.reveal().to_uppercase(), &mut league, &uid("m2"), t0()),
        Ok(Role::Manager)
    );
    assert_eq!(
        invite.accept(
            &format!(" {} ", code.canonical()),
            &mut league,
            &uid("m3"),
            t0()
        ),
        Ok(Role::Manager)
    );
    assert_eq!(invite.uses(), 3);
    assert_eq!(league.manager_ids(), vec![uid("m1"), uid("m2"), uid("m3")]);
}

#[test]
fn patterns_prefixes_and_near_misses_are_unknown() {
    // The predecessor matched the code as a regular expression: `.*` joined any league.
    let mut league = league_with("a", "commish", &[], 8);
    let (code, mut invite) = issue(&league, InviteOptions::default(), 3);
    let canonical = code.canonical().to_owned();
    let mut near_miss = canonical.clone().into_bytes();
    near_miss[25] = if near_miss[25] == b'a' { b'b' } else { b'a' };
    let near_miss = String::from_utf8(near_miss).expect("ascii");
    for presented in [
        ".*".to_owned(),
        "^.*$".to_owned(),
        "*".to_owned(),
        String::new(),
        canonical[..25].to_owned(),
        format!("{canonical}a"),
        format!("{}.", &canonical[..25]),
        near_miss,
        format!("{canonical}%"),
    ] {
        assert_eq!(
            invite.accept(&presented, &mut league, &uid("intruder"), t0()),
            Err(InviteError::Unknown),
            "{presented:?} must not join"
        );
    }
    assert_eq!(invite.uses(), 0);
    assert_eq!(league.role_of(&uid("intruder")), None);
}

#[test]
fn a_code_for_another_league_is_unknown() {
    let mut league_a = league_with("a", "commish", &[], 8);
    let mut league_b = league_with("b", "commish", &[], 8);
    let (code, mut invite) = issue(&league_a, InviteOptions::default(), 4);
    assert_eq!(
        invite.accept(code.canonical(), &mut league_b, &uid("m1"), t0()),
        Err(InviteError::Unknown)
    );
    assert_eq!(league_b.role_of(&uid("m1")), None);
    assert_eq!(
        invite.accept(code.canonical(), &mut league_a, &uid("m1"), t0()),
        Ok(Role::Manager)
    );
}

#[test]
fn codes_expire() {
    let mut league = league_with("a", "commish", &[], 8);
    let options = InviteOptions {
        ttl: Duration::from_secs(3600),
        ..InviteOptions::default()
    };
    let (code, mut invite) = issue(&league, options, 5);
    let just_before = at(60 * MINUTE_MS - 1);
    let at_expiry = at(60 * MINUTE_MS);
    assert_eq!(invite.state(just_before), InviteState::Active);
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("late"), at_expiry),
        Err(InviteError::Expired)
    );
    assert_eq!(invite.state(at_expiry), InviteState::Expired);
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("early"), just_before),
        Ok(Role::Manager)
    );
}

#[test]
fn codes_respect_their_use_limit_and_revocation() {
    let mut league = league_with("a", "commish", &[], 8);
    let options = InviteOptions {
        max_uses: Some(1),
        ..InviteOptions::default()
    };
    let (code, mut invite) = issue(&league, options, 6);
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("m1"), t0()),
        Ok(Role::Manager)
    );
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("m2"), t0()),
        Err(InviteError::UsedUp)
    );
    assert_eq!(invite.state(t0()), InviteState::UsedUp);

    let (code, mut invite) = issue(&league, InviteOptions::default(), 7);
    invite.revoke();
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("m3"), t0()),
        Err(InviteError::Revoked)
    );
    assert_eq!(invite.state(t0()), InviteState::Revoked);
}

#[test]
fn manager_codes_respect_the_manager_limit_and_spectator_codes_do_not_count() {
    let mut league = league_with("a", "commish", &["m1"], 2);
    let (code, mut invite) = issue(&league, InviteOptions::default(), 8);
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("m2"), t0()),
        Ok(Role::Manager)
    );
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("m3"), t0()),
        Err(InviteError::LeagueFull { max_managers: 2 })
    );
    assert_eq!(invite.uses(), 1, "a refused join does not count as a use");

    let spectators = InviteOptions {
        role: JoinRole::Spectator,
        ..InviteOptions::default()
    };
    let (code, mut invite) = issue(&league, spectators, 9);
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("fan"), t0()),
        Ok(Role::Spectator)
    );
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("fan"), t0()),
        Err(InviteError::AlreadyMember {
            role: Role::Spectator
        })
    );
}

#[test]
fn manager_codes_stop_once_the_auction_started() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 8);
    let (code, mut invite) = issue(&league, InviteOptions::default(), 10);
    league
        .set_asset_pool(vec![asset("arsenal", "Arsenal")])
        .expect("valid");
    league.start_auction(auction_id("auc-1")).expect("starts");
    assert_eq!(
        invite.accept(code.canonical(), &mut league, &uid("m3"), t0()),
        Err(InviteError::AuctionStarted)
    );
}

#[test]
fn error_messages_never_contain_the_code() {
    let mut league = league_with("a", "commish", &["m1", "m2"], 2);
    let (code, mut invite) = issue(
        &league,
        InviteOptions {
            max_uses: Some(1),
            ..InviteOptions::default()
        },
        11,
    );
    let mut messages = Vec::new();
    for (user, now) in [("m1", t0()), ("m9", t0()), ("m9", at(8 * DAY_MS))] {
        if let Err(error) = invite.accept(&code.reveal(), &mut league, &uid(user), now) {
            messages.push(format!("{error} {error:?}"));
        }
    }
    if let Err(error) = invite.accept(
        &format!("{}x", code.canonical()),
        &mut league,
        &uid("m9"),
        t0(),
    ) {
        messages.push(format!("{error} {error:?}"));
    }
    assert_eq!(messages.len(), 4);
    for message in messages {
        assert!(!message.contains(code.canonical()), "{message}");
        assert!(
            !message.to_lowercase().contains(&code.canonical()[..8]),
            "{message}"
        );
    }
    assert_eq!(
        InviteError::Unknown.to_string(),
        "this invite code is not valid: check that it was typed correctly, or ask the commissioner for a new one"
    );
}

#[test]
fn options_are_validated() {
    let league_id = lid("a");
    let issue_with =
        |options| Invite::issue(&league_id, &uid("c"), options, t0(), &mut rng(1)).map(|_| ());
    assert_eq!(
        issue_with(InviteOptions {
            ttl: Duration::from_secs(60),
            ..InviteOptions::default()
        }),
        Err(InviteOptionsError::Ttl {
            ttl: Duration::from_secs(60)
        })
    );
    assert_eq!(
        issue_with(InviteOptions {
            ttl: Duration::from_secs(31 * 24 * 3600),
            ..InviteOptions::default()
        })
        .map_err(|error| error.to_string()),
        Err(
            "an invite code must stay valid for between 5 minutes and 30 days (got 44640 minutes)"
                .to_owned()
        )
    );
    assert_eq!(
        issue_with(InviteOptions {
            max_uses: Some(0),
            ..InviteOptions::default()
        }),
        Err(InviteOptionsError::MaxUses { max_uses: 0 })
    );
    assert_eq!(
        issue_with(InviteOptions {
            max_uses: Some(1_000),
            ..InviteOptions::default()
        }),
        Ok(())
    );
}

#[test]
fn lookup_hash_of_a_presented_code_matches_the_stored_one() {
    let league = league_with("a", "commish", &[], 8);
    let (code, invite) = issue(&league, InviteOptions::default(), 12);
    assert_eq!(
        hash_presented(&code.reveal().to_uppercase()).as_ref(),
        Some(invite.code_hash())
    );
    assert_eq!(hash_presented(".*"), None);
    let join_error: InviteError = JoinError::AuctionStarted.into();
    assert_eq!(join_error, InviteError::AuctionStarted);
}
