//! The pilot's journey through the public API: a commissioner creates a league, managers get in by
//! invite code and by CSV import, the Premier League catalogue becomes the pool, the `auction`
//! crate runs the draft from the league's setup, and the results feed the scoring, the league
//! table and the CSV exports. Sign-in by magic link and session token is checked on the way.

use auction::{
    Auction, AuctionId, Command, CurrencyFormat, DurationMs, IdempotencyKey, LeagueSettings, Money,
    NominationMode, PhaseView, Sport, Timestamp, UserId,
};
use league::auth::{self, MagicLink, Revocations, SessionSecret};
use league::catalogue::{self, Catalogue};
use league::csvio::{self, BidLine, Limits, RosterLine, UnknownTeams};
use league::invite::{Invite, InviteOptions};
use league::model::{Action, Email, JoinRole, League, LeagueId, NewLeague, Role, User};
use league::scoring::{self, Roster, ScoringRules};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const T0: Timestamp = Timestamp(1_754_049_600_000); // 2025-08-01T12:00:00Z

fn user(id: &str, name: &str) -> User {
    let email = Email::parse(&format!("{id}@example.com")).expect("valid email");
    User::new(UserId::try_new(id).expect("valid id"), name, email, T0).expect("valid name")
}

#[test]
fn a_pilot_league_from_invites_to_the_league_table() {
    let mut rng = ChaCha20Rng::seed_from_u64(2025);
    let commish = user("commish", "Club Admin");
    let ann = user("ann", "Ann");
    let bob = user("bob", "Bob");

    // Sign-in: a magic link for Ann, redeemed once, gives a session token.
    let (token, mut link) = MagicLink::create(ann.email.clone(), T0, &mut rng);
    assert_eq!(
        link.redeem(token.reveal(), T0.plus(DurationMs::from_secs(30))),
        Ok(&ann.email)
    );
    let secret = SessionSecret::new(vec![7_u8; 32]).expect("32 bytes");
    let revocations = Revocations::new();
    let session = auth::issue(
        &secret,
        &ann,
        revocations.current_version(&ann.id),
        T0,
        &mut rng,
    );
    let claims = auth::verify_session(
        &secret,
        &session,
        T0.plus(DurationMs::from_secs(60)),
        &revocations,
    )
    .expect("a fresh session is valid");
    assert_eq!(claims.sub, ann.id);

    // The league, with the pilot's settings but a fixed lot order so the draft is predictable.
    let settings = LeagueSettings {
        nomination: NominationMode::FixedOrder,
        ..LeagueSettings::default()
    };
    let mut league = League::create(
        NewLeague {
            id: LeagueId::try_new("everton-pilot").expect("valid id"),
            name: "Everton Fans Pilot".into(),
            settings,
            commissioner: commish.id.clone(),
            commissioner_plays: false,
        },
        T0,
    )
    .expect("valid league");

    // Ann joins with an invite code typed in capitals; a guessed pattern gets nowhere.
    let (code, mut invite) = Invite::issue(
        league.id(),
        &commish.id,
        InviteOptions::default(),
        T0,
        &mut rng,
    )
    .expect("valid options");
    assert!(invite.accept(".*", &mut league, &bob.id, T0).is_err());
    assert_eq!(
        invite.accept(&code.reveal().to_uppercase(), &mut league, &ann.id, T0),
        Ok(Role::Manager)
    );

    // Bob and Cat arrive by CSV import (Cat has no account yet: the service would create it).
    let imported = csvio::import_managers(
        "name,email,league\nBob,bob@example.com,Everton Fans Pilot\nCat,cat@example.com,everton-pilot\n".as_bytes(),
        &[&league],
        Limits::default(),
    )
    .expect("valid file");
    assert_eq!(imported.len(), 2);
    let cat = user("cat", &imported[1].name);
    for (row, account) in imported.iter().zip([&bob, &cat]) {
        assert_eq!(row.email, account.email);
        league
            .join(&account.id, JoinRole::Manager, T0)
            .expect("room in the league");
    }
    assert_eq!(league.manager_count(), 3);

    // The Premier League catalogue becomes the pool: 20 clubs for 9 roster places.
    let pool = catalogue::by_key("premier-league-2025-26")
        .expect("shipped")
        .assets();
    assert!(
        league
            .set_asset_pool(pool.clone())
            .expect("valid pool")
            .is_empty()
    );
    assert_eq!(Catalogue::premier_league_2025_26().assets(), pool);

    // Only the commissioner may start; then the league freezes.
    assert!(league.can(Some(&commish.id), Action::StartAuction));
    assert!(!league.can(Some(&ann.id), Action::StartAuction));
    assert!(!league.can(None, Action::WatchAuction));
    let auction_id = AuctionId::try_new("everton-pilot-1").expect("valid id");
    let setup = league
        .auction_setup(
            auction_id.clone(),
            &[commish.clone(), ann.clone(), bob.clone(), cat.clone()],
        )
        .expect("valid setup");
    league
        .start_auction(auction_id.clone())
        .expect("enough managers and a pool");
    assert!(
        league
            .join(
                &UserId::try_new("late").expect("valid"),
                JoinRole::Manager,
                T0
            )
            .is_err()
    );

    // The draft: each lot goes to the manager with the most empty slots, for the opening bid, except
    // that Bob outbids Ann on the first lot.
    let (mut draft, _created) = Auction::create(setup, T0).expect("valid setup");
    let mut now = T0;
    draft
        .execute(
            &Command::Begin {
                by: commish.id.clone(),
                seed: 1,
            },
            now,
        )
        .expect("commissioner begins");
    let mut keys = 0_u32;
    let mut key = || {
        keys += 1;
        IdempotencyKey::try_new(format!("k{keys}")).expect("valid key")
    };
    while !draft.is_ended() {
        if draft.phase_view() == PhaseView::LotOpen {
            let lot = draft.lot_view().expect("a lot is open");
            if lot.bids.is_empty() {
                let managers = draft.manager_views();
                // The first (in setup order) of the managers with the most empty slots.
                let bidder = managers
                    .iter()
                    .filter(|manager| manager.slots_left > 0)
                    .min_by_key(|manager| std::cmp::Reverse(manager.slots_left))
                    .expect("someone has a free slot");
                now = now.plus(DurationMs::from_secs(1));
                let first = Command::PlaceBid {
                    by: bidder.id.clone(),
                    lot: lot.lot,
                    amount: lot.min_next_bid,
                    key: key(),
                };
                draft.execute(&first, now).expect("opening bid");
                if lot.lot.get() == 1 {
                    now = now.plus(DurationMs::from_secs(1));
                    let raise = Command::PlaceBid {
                        by: bob.id.clone(),
                        lot: lot.lot,
                        amount: Money::millions(25),
                        key: key(),
                    };
                    draft.execute(&raise, now).expect("Bob raises");
                }
            }
        }
        if draft.is_ended() {
            // The last lot closes at once when no one else can bid, and that ends the auction.
            break;
        }
        now = draft
            .next_deadline()
            .expect("a live auction has a next deadline");
        for event in draft.advance(now) {
            draft.apply(&event);
        }
    }
    league
        .complete_auction(&auction_id)
        .expect("the league's auction");
    let results = draft.results();

    // Exports of the draft.
    let roster_lines = RosterLine::from_results(&results, &pool);
    assert_eq!(roster_lines.len(), 9);
    let rosters_csv = csvio::export_rosters_csv(&roster_lines, &CurrencyFormat::pounds());
    assert!(
        rosters_csv.contains("Bob,bob,Arsenal,arsenal,25000000,£25m,no,1\r\n"),
        "{rosters_csv}"
    );
    let bid_lines = BidLine::from_results(&results, &pool);
    assert_eq!(bid_lines.len(), 10, "one bid per lot, plus Bob's raise");
    assert_eq!(
        (bid_lines[0].bidder.as_str(), bid_lines[0].outcome.as_str()),
        ("Ann", "outbid")
    );
    assert_eq!(
        (bid_lines[1].bidder.as_str(), bid_lines[1].outcome.as_str()),
        ("Bob", "won")
    );
    let history_csv = csvio::export_bid_history_csv(&bid_lines, &CurrencyFormat::pounds());
    assert_eq!(history_csv.lines().count(), 11);

    // Week one's results and the league table.
    let fixtures = csvio::import_fixtures(
        "external_match_id,starts_at,home,away,home_goals,away_goals,status\n\
         pl-1,2025-08-15T19:00:00Z,Liverpool,Bournemouth,4,2,finished\n\
         pl-2,2025-08-16T11:30:00Z,Aston Villa,Newcastle United,0,0,finished\n\
         pl-3,2025-08-16T14:00:00Z,Brighton & Hove Albion,Fulham,1,1,finished\n\
         pl-4,2025-08-17T15:30:00Z,manchester-united,arsenal,0,1,finished\n"
            .as_bytes(),
        league.asset_pool(),
        UnknownTeams::Reject,
        Limits::default(),
    )
    .expect("valid fixtures");
    let ScoringRules::Football(rules) = league.scoring() else {
        panic!("a football league has football rules")
    };
    let scores = scoring::football_scores(rules, &fixtures);
    let rosters = Roster::from_results(&results);
    let table = scoring::league_table(Sport::Football, &rosters, &scores);
    assert_eq!(table.len(), 3);
    let owned_points: i64 = rosters
        .iter()
        .flat_map(|roster| &roster.assets)
        .filter_map(|asset| scores.get(asset))
        .map(|score| score.points)
        .sum();
    assert_eq!(
        table.iter().map(|row| row.points).sum::<i64>(),
        owned_points,
        "only owned clubs score"
    );
    assert!(
        table
            .windows(2)
            .all(|pair| pair[0].points >= pair[1].points),
        "sorted by points"
    );
    assert_eq!(table[0].rank, 1);
    let bobs_row = table
        .iter()
        .find(|row| row.user == bob.id)
        .expect("Bob is in the table");
    assert!(
        bobs_row
            .assets
            .contains(&(auction::AssetId::try_new("arsenal").expect("valid"), 3 + 1)),
        "Arsenal won 1-0"
    );
    let table_csv = csvio::export_table_csv(&table, league.asset_pool());
    assert!(table_csv.starts_with("\u{FEFF}rank,manager,points,goals_for,wins,assets\r\n"));
    assert_eq!(table_csv.lines().count(), 4);
}
