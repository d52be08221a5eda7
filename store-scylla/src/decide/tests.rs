//! Unit tests of `decide`.

use super::*;

const T0: i64 = 1_750_000_000_000;
const TTL: i64 = 10_000;

fn owner(node: &str, incarnation: u64) -> OwnerId {
    OwnerId::new(node, incarnation)
}

fn owned(owner: &OwnerId, epoch: Epoch) -> Ownership {
    Ownership {
        owner: Some(owner.clone()),
        epoch,
        released_at: None,
        retired: false,
    }
}

fn statics(ownership: Ownership, last_seq: Seq) -> Statics {
    Statics {
        ownership,
        last_seq,
    }
}

fn lease(owner: &OwnerId, renewed_at: i64, expires_at: i64) -> NodeLease {
    NodeLease {
        node: owner.node.clone(),
        incarnation: owner.incarnation,
        addr: "127.0.0.1:7001".to_owned(),
        renewed_at,
        expires_at,
        draining: false,
    }
}

#[test]
fn u64_columns_round_trip_bit_for_bit() {
    for value in [
        0,
        1,
        42,
        i64::MAX.cast_unsigned(),
        1 << 63,
        u64::MAX - 1,
        u64::MAX,
    ] {
        assert_eq!(u64_from_cql(u64_to_cql(value)), value);
    }
    assert_eq!(u64_to_cql(u64::MAX), -1);
    assert_eq!(u64_to_cql(7), 7);
    // A nanosecond incarnation (node::new_incarnation) stays positive until 2262.
    assert_eq!(
        u64_to_cql(1_750_000_000_000_000_000),
        1_750_000_000_000_000_000
    );
}

#[test]
fn append_seqs_stay_within_the_bigint_range() {
    assert_eq!(append_seqs(1, 1), Ok((1, 1)));
    assert_eq!(append_seqs(5, 3), Ok((5, 7)));
    let max = i64::MAX.cast_unsigned();
    assert_eq!(append_seqs(max, 1), Ok((i64::MAX, i64::MAX)));
    assert_eq!(append_seqs(max - 9, 10), Ok((i64::MAX - 9, i64::MAX)));
    for (first, count) in [(max, 2), (max + 1, 1), (u64::MAX - 5, 3)] {
        match append_seqs(first, count) {
            Err(StoreError::InvalidInput(message)) => {
                assert!(message.contains("bigint"), "{message}");
            }
            other => panic!("append of {count} at {first}: {other:?}"),
        }
    }
}

#[test]
fn statics_decode_like_the_ports_report_them() {
    assert_eq!(RawStatics::default().decode(), Ok(None), "never claimed");
    // A partition with a last_seq but no owner epoch is still unclaimed.
    assert_eq!(
        RawStatics {
            last_seq: Some(3),
            ..RawStatics::default()
        }
        .decode(),
        Ok(None)
    );
    let raw = RawStatics {
        owner_node: Some("node-a".to_owned()),
        owner_incarnation: Some(-1),
        owner_epoch: Some(2),
        released_at: Some(T0),
        retired: Some(false),
        last_seq: Some(7),
    };
    assert_eq!(
        raw.decode(),
        Ok(Some(statics(
            Ownership {
                owner: Some(owner("node-a", u64::MAX)),
                epoch: 2,
                released_at: Some(T0),
                retired: false,
            },
            7
        )))
    );
    let fresh = RawStatics {
        owner_node: Some("node-a".to_owned()),
        owner_incarnation: Some(1),
        owner_epoch: Some(1),
        retired: None,
        last_seq: None,
        ..RawStatics::default()
    };
    let decoded = fresh.decode().expect("decode").expect("claimed");
    assert_eq!(decoded.last_seq, 0, "no last_seq yet reads as an empty log");
    assert!(!decoded.ownership.retired);

    let half_owner = RawStatics {
        owner_node: Some("node-a".to_owned()),
        owner_epoch: Some(1),
        ..RawStatics::default()
    };
    assert!(half_owner.decode().is_err());
    let negative = RawStatics {
        owner_epoch: Some(1),
        owner_node: Some("n".to_owned()),
        owner_incarnation: Some(1),
        last_seq: Some(-4),
        ..RawStatics::default()
    };
    assert!(negative.decode().is_err());
}

#[test]
fn append_refusals_prefer_fencing_over_the_sequence() {
    let a = owner("node-a", 1);
    // Never claimed.
    assert_eq!(
        append_refused(None, &a, 1, 1),
        AppendError::Fenced { current_epoch: 0 }
    );
    let live = statics(owned(&a, 1), 5);
    // Taken slot, gap.
    for first_seq in [1, 5, 7, 100] {
        assert_eq!(
            append_refused(Some(&live), &a, 1, first_seq),
            AppendError::SeqConflict { last_seq: 5 },
            "first_seq {first_seq}"
        );
    }
    // Other node, other incarnation, future epoch: fenced even when the slot would also conflict.
    for (intruder, epoch) in [
        (owner("node-b", 1), 1),
        (owner("node-a", 2), 1),
        (a.clone(), 2),
    ] {
        for first_seq in [6, 1] {
            assert_eq!(
                append_refused(Some(&live), &intruder, epoch, first_seq),
                AppendError::Fenced { current_epoch: 1 },
                "{intruder}@{epoch} at {first_seq}"
            );
        }
    }
    // Released or retired: fenced with the current epoch.
    let mut released = live.clone();
    released.ownership.released_at = Some(T0);
    assert_eq!(
        append_refused(Some(&released), &a, 1, 6),
        AppendError::Fenced { current_epoch: 1 }
    );
    let mut retired = live.clone();
    retired.ownership.retired = true;
    assert_eq!(
        append_refused(Some(&retired), &a, 1, 6),
        AppendError::Fenced { current_epoch: 1 }
    );
    // After a takeover.
    let taken = statics(owned(&owner("node-b", 1), 2), 5);
    assert_eq!(
        append_refused(Some(&taken), &a, 1, 6),
        AppendError::Fenced { current_epoch: 2 }
    );
    // The returned state allows the append: the store cannot explain the refusal.
    assert!(matches!(
        append_refused(Some(&live), &a, 1, 6),
        AppendError::Store(StoreError::Backend(_))
    ));
}

#[test]
fn release_refusals() {
    let a = owner("node-a", 1);
    assert_eq!(
        release_refused(None, &a, 1),
        Err(AppendError::Fenced { current_epoch: 0 })
    );
    let mut released = owned(&a, 1);
    released.released_at = Some(T0);
    assert_eq!(
        release_refused(Some(&released), &a, 1),
        Ok(()),
        "releasing again is a no-op"
    );
    assert_eq!(
        release_refused(Some(&released), &a, 2),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    assert_eq!(
        release_refused(Some(&owned(&owner("node-b", 1), 2)), &a, 1),
        Err(AppendError::Fenced { current_epoch: 2 })
    );
    assert_eq!(
        release_refused(Some(&owned(&a, 1)), &owner("node-a", 2), 1),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    assert!(matches!(
        release_refused(Some(&owned(&a, 1)), &a, 1),
        Err(AppendError::Store(StoreError::Backend(_)))
    ));
}

#[test]
fn retire_refusals() {
    let a = owner("node-a", 1);
    assert_eq!(
        retire_refused(None, &a, 1),
        Err(AppendError::Fenced { current_epoch: 0 })
    );
    let mut retired = owned(&a, 1);
    retired.retired = true;
    assert_eq!(
        retire_refused(Some(&retired), &a, 1),
        Ok(()),
        "retiring again is a no-op"
    );
    // Retired then released by the same owner: still a no-op, like the embedded backend.
    let mut retired_released = retired.clone();
    retired_released.released_at = Some(T0);
    assert_eq!(retire_refused(Some(&retired_released), &a, 1), Ok(()));
    assert_eq!(
        retire_refused(Some(&retired), &owner("node-b", 1), 1),
        Err(AppendError::Fenced { current_epoch: 1 })
    );
    let mut released = owned(&a, 1);
    released.released_at = Some(T0);
    assert_eq!(
        retire_refused(Some(&released), &a, 1),
        Err(AppendError::Fenced { current_epoch: 1 }),
        "retire after release is fenced"
    );
    assert_eq!(
        retire_refused(Some(&owned(&owner("node-b", 1), 3)), &a, 2),
        Err(AppendError::Fenced { current_epoch: 3 })
    );
    assert!(matches!(
        retire_refused(Some(&owned(&a, 1)), &a, 1),
        Err(AppendError::Store(StoreError::Backend(_)))
    ));
}

fn write(epoch: Epoch, previous: Option<PreviousOwner>, expected: Option<Ownership>) -> ClaimStep {
    ClaimStep::Write(ClaimWrite {
        epoch,
        previous,
        expected,
    })
}

#[test]
fn first_claim_gets_epoch_one_and_needs_no_lease() {
    let a = owner("node-a", 1);
    assert_eq!(lease_needed(None, &a), None);
    assert_eq!(
        decide_claim("x", None, None, &a, T0, false),
        write(1, None, None)
    );
}

#[test]
fn reclaim_by_the_live_owner_is_idempotent() {
    let a = owner("node-a", 1);
    let current = owned(&a, 3);
    assert_eq!(lease_needed(Some(&current), &a), None);
    for force in [false, true] {
        assert_eq!(
            decide_claim("x", Some(&current), None, &a, T0 + 10 * TTL, force),
            ClaimStep::Done(Ok(Claim {
                epoch: 3,
                previous: None
            }))
        );
    }
}

#[test]
fn live_lease_protects_the_owner_until_it_expires() {
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    let current = owned(&a, 1);
    assert_eq!(lease_needed(Some(&current), &b), Some(&a));
    let live = lease(&a, T0, T0 + TTL);
    for now in [T0, T0 + 1, T0 + TTL - 1] {
        assert_eq!(
            decide_claim("x", Some(&current), Some(&live), &b, now, false),
            ClaimStep::Done(Err(ClaimError::Owned {
                owner: a.clone(),
                lease_expires_at: T0 + TTL
            })),
            "at {now}"
        );
    }
    // Exactly at expires_at the owner is dead.
    assert_eq!(
        decide_claim("x", Some(&current), Some(&live), &b, T0 + TTL, false),
        write(
            2,
            Some(PreviousOwner {
                owner: a.clone(),
                epoch: 1,
                alive_until: Some(T0),
                released: false
            }),
            Some(current.clone())
        )
    );
    // Force takes over a live owner and reports its last renewal.
    assert_eq!(
        decide_claim("x", Some(&current), Some(&live), &b, T0 + 1, true),
        write(
            2,
            Some(PreviousOwner {
                owner: a,
                epoch: 1,
                alive_until: Some(T0),
                released: false
            }),
            Some(current)
        )
    );
}

#[test]
fn missing_or_foreign_lease_means_takeover_without_alive_until() {
    let old = owner("node-a", 1);
    let new = owner("node-a", 2);
    let current = owned(&old, 4);
    let expected = write(
        5,
        Some(PreviousOwner {
            owner: old.clone(),
            epoch: 4,
            alive_until: None,
            released: false,
        }),
        Some(current.clone()),
    );
    assert_eq!(
        decide_claim("x", Some(&current), None, &new, T0, false),
        expected,
        "no lease"
    );
    // The node's lease belongs to the new incarnation: the old owner is dead.
    let foreign = lease(&new, T0, T0 + TTL);
    assert_eq!(
        decide_claim("x", Some(&current), Some(&foreign), &new, T0 + 3, false),
        expected,
        "lease of another incarnation"
    );
    // While the node's lease is still the old incarnation's, it protects the old owner.
    let old_lease = lease(&old, T0, T0 + TTL);
    assert_eq!(
        decide_claim("x", Some(&current), Some(&old_lease), &new, T0 + 1, false),
        ClaimStep::Done(Err(ClaimError::Owned {
            owner: old,
            lease_expires_at: T0 + TTL
        }))
    );
}

#[test]
fn released_auction_is_taken_over_with_alive_until_the_release() {
    let a = owner("node-a", 1);
    let b = owner("node-b", 1);
    let mut current = owned(&a, 1);
    current.released_at = Some(T0 + 500);
    for claimant in [&b, &a] {
        assert_eq!(
            lease_needed(Some(&current), claimant),
            None,
            "a release needs no lease"
        );
        assert_eq!(
            decide_claim("x", Some(&current), None, claimant, T0 + 600, false),
            write(
                2,
                Some(PreviousOwner {
                    owner: a.clone(),
                    epoch: 1,
                    alive_until: Some(T0 + 500),
                    released: true
                }),
                Some(current.clone())
            ),
            "claim by {claimant}: the owner re-claiming after its release gets a new epoch too"
        );
    }
}

#[test]
fn retired_auction_cannot_be_claimed() {
    let a = owner("node-a", 1);
    let mut current = owned(&a, 1);
    current.retired = true;
    assert_eq!(lease_needed(Some(&current), &owner("node-b", 1)), None);
    for (claimant, force) in [
        (owner("node-b", 1), false),
        (owner("node-b", 1), true),
        (a, true),
    ] {
        assert_eq!(
            decide_claim("x", Some(&current), None, &claimant, T0, force),
            ClaimStep::Done(Err(ClaimError::Retired))
        );
    }
}

#[test]
fn ownerless_record_and_exhausted_epochs_follow_the_embedded_backend() {
    let a = owner("node-a", 1);
    let ownerless = Ownership {
        owner: None,
        epoch: 7,
        released_at: None,
        retired: false,
    };
    assert_eq!(
        decide_claim("x", Some(&ownerless), None, &a, T0, false),
        write(8, None, Some(ownerless.clone()))
    );
    let exhausted = owned(&owner("node-b", 1), u64::MAX);
    assert!(matches!(
        decide_claim("x", Some(&exhausted), None, &a, T0, false),
        ClaimStep::Done(Err(ClaimError::Store(StoreError::Backend(message)))) if message.contains("epochs")
    ));
}

#[test]
fn lease_decisions() {
    let new = lease(&owner("node-a", 2), T0 + 100, T0 + 100 + TTL);
    let version = |incarnation, renewed_at| {
        Some(LeaseVersion {
            incarnation,
            renewed_at: Some(renewed_at),
        })
    };
    assert_eq!(
        decide_lease(None, &new),
        LeaseStep::Write { expected: None }
    );
    assert_eq!(
        decide_lease(version(3, 0), &new),
        LeaseStep::Superseded,
        "a newer incarnation holds the lease"
    );
    assert_eq!(
        decide_lease(version(2, T0 + 101), &new),
        LeaseStep::Ignore,
        "an older renewal of the same incarnation is ignored"
    );
    assert_eq!(
        decide_lease(version(2, T0 + 100), &new),
        LeaseStep::Write {
            expected: version(2, T0 + 100)
        },
        "an equal renewal is written (it may change addr or draining)"
    );
    assert_eq!(
        decide_lease(version(2, T0), &new),
        LeaseStep::Write {
            expected: version(2, T0)
        }
    );
    assert_eq!(
        decide_lease(version(1, T0 + 999), &new),
        LeaseStep::Write {
            expected: version(1, T0 + 999)
        },
        "an older incarnation is replaced whatever its renewal time"
    );
    let damaged = Some(LeaseVersion {
        incarnation: 2,
        renewed_at: None,
    });
    assert_eq!(
        decide_lease(damaged, &new),
        LeaseStep::Write { expected: damaged }
    );
    assert_eq!(LeaseVersion::from_columns(None, Some(5)), None);
    assert_eq!(
        LeaseVersion::from_columns(Some(-1), Some(5)),
        Some(LeaseVersion {
            incarnation: u64::MAX,
            renewed_at: Some(5)
        })
    );
    assert_eq!(LeaseVersion::of(&new), version(2, T0 + 100).expect("some"));
}

#[test]
fn record_expectations() {
    assert_eq!(check_expect(None, Expect::Any), Ok(None));
    assert_eq!(check_expect(Some(3), Expect::Any), Ok(Some(3)));
    assert_eq!(check_expect(None, Expect::Absent), Ok(None));
    assert_eq!(
        check_expect(Some(3), Expect::Absent),
        Err(PutError::Conflict { current: Some(3) })
    );
    assert_eq!(check_expect(Some(3), Expect::Version(3)), Ok(Some(3)));
    assert_eq!(
        check_expect(Some(4), Expect::Version(3)),
        Err(PutError::Conflict { current: Some(4) })
    );
    assert_eq!(
        check_expect(None, Expect::Version(3)),
        Err(PutError::Conflict { current: None })
    );
    assert_eq!(
        record_refused(Some(2), Expect::Absent, "put"),
        PutError::Conflict { current: Some(2) }
    );
    assert_eq!(
        record_refused(None, Expect::Version(2), "put"),
        PutError::Conflict { current: None }
    );
    assert_eq!(
        record_refused(Some(3), Expect::Version(2), "delete"),
        PutError::Conflict { current: Some(3) }
    );
    assert!(matches!(
        record_refused(Some(2), Expect::Version(2), "delete"),
        PutError::Store(StoreError::Backend(message)) if message.contains("delete")
    ));
    assert_eq!(next_version("t", "k", None), Ok(1));
    assert_eq!(next_version("t", "k", Some(41)), Ok(42));
    assert!(matches!(
        next_version("t", "k", Some(u64::MAX)),
        Err(PutError::Store(StoreError::Backend(message))) if message.contains("t/k")
    ));
}

#[test]
fn prefix_successors() {
    assert_eq!(prefix_successor(""), None);
    assert_eq!(prefix_successor("a/").as_deref(), Some("a0"));
    assert_eq!(prefix_successor("a").as_deref(), Some("b"));
    assert_eq!(prefix_successor("az").as_deref(), Some("a{"));
    assert_eq!(prefix_successor("\u{7f}").as_deref(), Some("\u{80}"));
    assert_eq!(prefix_successor("x\u{D7FF}").as_deref(), Some("x\u{E000}"));
    assert_eq!(prefix_successor("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(prefix_successor("\u{10FFFF}\u{10FFFF}"), None);
}

/// The successor bounds exactly the keys with the prefix, in byte order (= `str` order).
#[test]
fn prefix_successor_bounds_the_prefixed_keys() {
    let keys = [
        "",
        "Z",
        "a",
        "a/",
        "a/1",
        "a/1/x",
        "a/10",
        "a/2",
        "a0",
        "ab",
        "b",
        "é",
        "\u{10FFFF}",
        "a/\u{10FFFF}",
        "a/\u{10FFFF}\u{10FFFF}",
    ];
    for prefix in ["", "a", "a/", "a/1", "é", "\u{10FFFF}"] {
        let upper = prefix_successor(prefix);
        for key in keys {
            let in_range = key >= prefix && upper.as_deref().is_none_or(|upper| key < upper);
            assert_eq!(
                in_range,
                key.starts_with(prefix),
                "prefix {prefix:?}, key {key:?}, upper {upper:?}"
            );
            // Byte order and str order agree.
            assert_eq!(key.as_bytes() < prefix.as_bytes(), key < prefix);
        }
    }
}

#[test]
fn scan_ranges() {
    let range = |lower: Lower, upper: Option<&str>| {
        Some(ScanRange {
            lower,
            upper: upper.map(str::to_owned),
        })
    };
    let from = |s: &str| Lower::From(s.to_owned());
    let after = |s: &str| Lower::After(s.to_owned());
    assert_eq!(scan_range("", None), range(from(""), None));
    assert_eq!(scan_range("a/", None), range(from("a/"), Some("a0")));
    assert_eq!(
        scan_range("a/", Some("a/1/x")),
        range(after("a/1/x"), Some("a0"))
    );
    assert_eq!(
        scan_range("a/", Some("0")),
        range(from("a/"), Some("a0")),
        "a cursor before the prefix"
    );
    assert_eq!(
        scan_range("a/", Some("a/")),
        range(after("a/"), Some("a0")),
        "the prefix itself as cursor excludes the key equal to the prefix"
    );
    assert_eq!(
        scan_range("a/", Some("zzz")),
        None,
        "a cursor after the prefix"
    );
    assert_eq!(
        scan_range("a/", Some("a0")),
        None,
        "a cursor at the successor"
    );
    assert_eq!(scan_range("", Some("a/2")), range(after("a/2"), None));
}

#[test]
fn scan_filter() {
    assert!(scan_keeps("a/1", "a/", None));
    assert!(!scan_keeps("a0", "a/", None));
    assert!(scan_keeps("a/2", "a/", Some("a/1")));
    assert!(!scan_keeps("a/1", "a/", Some("a/1")));
    assert!(scan_keeps("b", "", Some("a")));
}

/// The conformance suite's scan check, replayed on the range arithmetic and the filter over a sorted key set.
#[test]
fn scan_ranges_replay_the_conformance_scan() {
    let mut keys = vec!["b", "a/2", "a", "a/10", "ab", "a/1", "é", "Z", "a/1/x"];
    keys.sort_unstable();
    let scan = |prefix: &str, start_after: Option<&str>, limit: usize| -> Vec<&str> {
        let Some(range) = scan_range(prefix, start_after) else {
            return Vec::new();
        };
        keys.iter()
            .copied()
            .filter(|key| match &range.lower {
                Lower::From(lower) => *key >= lower.as_str(),
                Lower::After(lower) => *key > lower.as_str(),
            })
            .filter(|key| range.upper.as_deref().is_none_or(|upper| *key < upper))
            .filter(|key| scan_keeps(key, prefix, start_after))
            .take(limit)
            .collect()
    };
    assert_eq!(scan("", None, 100), keys);
    assert_eq!(scan("a/", None, 100), vec!["a/1", "a/1/x", "a/10", "a/2"]);
    assert_eq!(scan("a/", None, 2), vec!["a/1", "a/1/x"]);
    assert_eq!(scan("a/", Some("a/1/x"), 2), vec!["a/10", "a/2"]);
    assert_eq!(scan("a/", Some("a/2"), 2), Vec::<&str>::new());
    assert_eq!(scan("a/", Some("0"), 1), vec!["a/1"]);
    assert_eq!(scan("a/", Some("zzz"), 10), Vec::<&str>::new());
    assert_eq!(scan("", Some("a/2"), 3), vec!["ab", "b", "é"]);
    assert_eq!(scan("x", None, 10), Vec::<&str>::new());
}
