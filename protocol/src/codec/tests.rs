//! Round trips in both encodings, and golden bytes: the wire format must not change by accident
//! (clients in the field and nodes mid-upgrade depend on it).

use auction::{AuctionId, IdempotencyKey, LotNumber, Money, UserId};

use super::*;
use crate::client::{AuctionCommand, AuctionStatus, ClientFrame, ErrorCode, Limits, ServerFrame};

fn auction() -> AuctionId {
    AuctionId::try_new("demo-epl".to_string()).expect("valid")
}

fn client_frames() -> Vec<ClientFrame> {
    let bid = AuctionCommand::Bid {
        lot: LotNumber(4),
        amount: Money(12_000_000),
        key: IdempotencyKey::try_new("k-7f3a".to_string()).expect("valid"),
    };
    let mut frames = vec![
        ClientFrame::Hello {
            token: "eyJ0eXAi…".into(),
            client: Some("web/1".into()),
        },
        ClientFrame::Subscribe {
            auction_id: auction(),
            after_seq: Some(41),
        },
        ClientFrame::Subscribe {
            auction_id: auction(),
            after_seq: None,
        },
        ClientFrame::Unsubscribe {
            auction_id: auction(),
        },
        ClientFrame::Ping {
            client_time: Some(1_800_000_000_000),
        },
    ];
    let commands = [
        bid,
        AuctionCommand::Proxy {
            lot: LotNumber(4),
            max: Money(30_000_000),
            key: IdempotencyKey::try_new("p-1".to_string()).expect("valid"),
        },
        AuctionCommand::Pass { lot: LotNumber(4) },
        AuctionCommand::AutoPass {
            on: true,
            manager: None,
        },
        AuctionCommand::Nominate {
            asset: auction::AssetId::try_new("arsenal".to_string()).expect("valid"),
            opening_bid: None,
        },
        AuctionCommand::Begin,
        AuctionCommand::Pause,
        AuctionCommand::Resume,
        AuctionCommand::Skip {
            lot: Some(LotNumber(4)),
        },
        AuctionCommand::Skip { lot: None },
        AuctionCommand::Undo {
            lot: Some(LotNumber(3)),
        },
        AuctionCommand::End,
    ];
    for (index, command) in commands.into_iter().enumerate() {
        frames.push(ClientFrame::Command {
            request_id: index as u64 + 1,
            auction_id: auction(),
            command,
        });
    }
    frames
}

fn server_frames() -> Vec<ServerFrame> {
    vec![
        ServerFrame::Welcome {
            server_time: 1,
            protocol: 1,
            user: UserId::try_new("alice".to_string()).expect("valid"),
            name: "Alice".into(),
            limits: Limits {
                max_frame_bytes: 16_384,
                commands_per_minute: 120,
                idle_timeout_ms: 45_000,
            },
        },
        ServerFrame::Ack {
            server_time: 2,
            request_id: 7,
            auction_id: auction(),
            seq: 42,
            duplicate_of: None,
        },
        ServerFrame::Refused {
            server_time: 3,
            request_id: 8,
            auction_id: auction(),
            code: "above_max_bid".into(),
            message: "Max bid is £48m: keep £1m for each of your 2 other empty slots".into(),
        },
        ServerFrame::Error {
            server_time: 4,
            request_id: None,
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
            retry_after_ms: Some(500),
        },
        ServerFrame::AuctionStatus {
            server_time: 5,
            auction_id: auction(),
            status: AuctionStatus::Recovering,
        },
        ServerFrame::Presence {
            server_time: 6,
            auction_id: auction(),
            online: vec![],
            watchers: 3,
        },
        ServerFrame::Pong {
            server_time: 7,
            client_time: Some(6),
        },
    ]
}

#[test]
fn every_client_frame_round_trips_in_both_encodings() {
    for frame in client_frames() {
        for encoding in [Encoding::Json, Encoding::MessagePack] {
            let encoded = encoding.encode(&frame).expect("encodes");
            let decoded: ClientFrame = decode_frame(&encoded).expect("decodes");
            assert_eq!(decoded, frame, "{} round trip", encoding.name());
        }
    }
}

#[test]
fn every_server_frame_round_trips_in_both_encodings() {
    for frame in server_frames() {
        for encoding in [Encoding::Json, Encoding::MessagePack] {
            let encoded = encoding.encode(&frame).expect("encodes");
            let decoded: ServerFrame = decode_frame(&encoded).expect("decodes");
            assert_eq!(decoded, frame, "{} round trip", encoding.name());
        }
    }
}

#[test]
fn golden_json_of_a_bid() {
    let frame = &client_frames()[5];
    assert_eq!(
        to_json(frame).expect("encodes"),
        r#"{"type":"command","request_id":1,"auction_id":"demo-epl","command":{"type":"bid","lot":4,"amount":12000000,"key":"k-7f3a"}}"#
    );
}

#[test]
fn golden_msgpack_of_a_bid() {
    let frame = &client_frames()[5];
    let bytes = to_msgpack(frame).expect("encodes");
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    assert_eq!(hex, GOLDEN_BID_MSGPACK);
}

/// map{type:"command", request_id:1, auction_id:"demo-epl", command:map{type:"bid", lot:4, amount:u32 12000000, key:"k-7f3a"}}
const GOLDEN_BID_MSGPACK: &str = "84a474797065a7636f6d6d616e64aa726571756573745f696401aa61756374696f6e5f6964a864656d6f2d65706ca7636f6d6d616e6484a474797065a3626964a36c6f7404a6616d6f756e74ce00b71b00a36b6579a66b2d37663361";

#[test]
fn golden_json_of_server_frames() {
    let frames = server_frames();
    assert_eq!(
        to_json(&frames[1]).expect("encodes"),
        r#"{"type":"ack","server_time":2,"request_id":7,"auction_id":"demo-epl","seq":42}"#
    );
    assert_eq!(
        to_json(&frames[3]).expect("encodes"),
        r#"{"type":"error","server_time":4,"code":"rate_limited","message":"slow down","retry_after_ms":500}"#
    );
}

#[test]
fn bad_input_is_refused_with_a_readable_reason() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"type":"command","request_id":1,"auction_id":"a","command":{"type":"bid","lot":1,"amount":-5,"key":"k"}}"#,
            "invalid value",
        ),
        (
            r#"{"type":"command","request_id":1,"auction_id":"a","command":{"type":"bid","lot":1,"amount":"12m","key":"k"}}"#,
            "invalid type",
        ),
        (
            r#"{"type":"command","request_id":1,"auction_id":"a","command":{"type":"bid","lot":1,"key":"k"}}"#,
            "missing field `amount`",
        ),
        (r#"{"type":"teleport"}"#, "unknown variant `teleport`"),
        (
            r#"{"type":"command","request_id":1,"auction_id":"a","command":{"type":"bid","lot":1,"amount":184467440737095516160,"key":"k"}}"#,
            "",
        ),
        ("not json", "expected"),
    ];
    for (input, needle) in cases {
        let error =
            decode_frame::<ClientFrame>(&Frame::Text((*input).to_string())).expect_err("refused");
        let text = error.to_string();
        assert!(text.starts_with("could not read the JSON frame"), "{text}");
        assert!(text.contains(needle), "{input} → {text}");
    }
    let garbage =
        decode_frame::<ClientFrame>(&Frame::Binary(vec![0xc1, 0xff, 0x00])).expect_err("refused");
    assert!(
        garbage
            .to_string()
            .starts_with("could not read the MessagePack frame")
    );
}

#[test]
fn subprotocols_are_negotiated_in_the_clients_order() {
    assert_eq!(
        Encoding::negotiate(["auction.v1.msgpack", "auction.v1.json"]),
        Some(Encoding::MessagePack)
    );
    assert_eq!(
        Encoding::negotiate(["chat", "auction.v1.json"]),
        Some(Encoding::Json)
    );
    assert_eq!(Encoding::negotiate(["chat"]), None);
    assert_eq!(Encoding::negotiate([]), None);
}
