//! Helpers shared by the unit tests: ids, timestamps, a seeded RNG and ready-made leagues.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::model::{Email, JoinRole, League, LeagueId, NewLeague, User};
use crate::timefmt;
use auction::ids::{AssetId, AuctionId, UserId};
use auction::settings::{LeagueSettings, Sport};
use auction::setup::Asset;
use auction::time::Timestamp;

/// 2025-08-01T12:00:00Z, the "now" of most tests.
pub(crate) const T0_MS: i64 = 1_754_049_600_000;

pub(crate) fn at(milliseconds_after_t0: i64) -> Timestamp {
    timefmt::from_millis(T0_MS + milliseconds_after_t0)
}

pub(crate) fn t0() -> Timestamp {
    at(0)
}

pub(crate) fn uid(id: &str) -> UserId {
    UserId::try_new(id).expect("test user ids are valid")
}

pub(crate) fn aid(id: &str) -> AssetId {
    AssetId::try_new(id).expect("test asset ids are valid")
}

pub(crate) fn auction_id(id: &str) -> AuctionId {
    AuctionId::try_new(id).expect("test auction ids are valid")
}

pub(crate) fn lid(id: &str) -> LeagueId {
    LeagueId::try_new(id).expect("test league ids are valid")
}

pub(crate) fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub(crate) fn user(id: &str) -> User {
    let email = Email::parse(&format!("{id}@example.com")).expect("test emails are valid");
    User::new(uid(id), &format!("User {id}"), email, t0()).expect("test names are valid")
}

pub(crate) fn asset(id: &str, name: &str) -> Asset {
    Asset {
        id: aid(id),
        name: name.to_owned(),
        group: None,
    }
}

pub(crate) fn settings(sport: Sport, max_managers: u8) -> LeagueSettings {
    LeagueSettings {
        sport,
        max_managers,
        ..LeagueSettings::default()
    }
}

/// An open league `id` run by `commish` (who does not play), with `managers` joined as managers.
pub(crate) fn league_with(id: &str, commish: &str, managers: &[&str], max_managers: u8) -> League {
    let mut league = League::create(
        NewLeague {
            id: lid(id),
            name: format!("League {id}"),
            settings: settings(Sport::Football, max_managers),
            commissioner: uid(commish),
            commissioner_plays: false,
        },
        t0(),
    )
    .expect("test league is valid");
    for manager in managers {
        league
            .join(&uid(manager), JoinRole::Manager, t0())
            .expect("test manager can join");
    }
    league
}
