//! Every example in docs/PROTOCOL.md parses as the frame it claims to be and survives a round trip
//! through both encodings, so the document cannot drift from the code.

use protocol::client::{ClientFrame, ServerFrame};
use protocol::codec::{self, Encoding};

const DOC: &str = include_str!("../../docs/PROTOCOL.md");

/// The fenced blocks tagged ```json client / ```json server.
fn examples(kind: &str) -> Vec<String> {
    let fence = format!("```json {kind}");
    let mut out = Vec::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        if line.trim() == fence {
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            out.push(block.join("\n"));
        }
    }
    out
}

#[test]
fn every_client_example_is_a_valid_client_frame() {
    let blocks = examples("client");
    let mut kinds = std::collections::BTreeSet::new();
    for block in blocks {
        let frame: ClientFrame =
            codec::from_json(block.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{block}"));
        kinds.insert(match &frame {
            ClientFrame::Hello { .. } => "hello",
            ClientFrame::Subscribe { .. } => "subscribe",
            ClientFrame::Unsubscribe { .. } => "unsubscribe",
            ClientFrame::Ping { .. } => "ping",
            ClientFrame::Command { command, .. } => command.kind(),
        });
        for encoding in [Encoding::Json, Encoding::MessagePack] {
            let again: ClientFrame =
                codec::decode_frame(&encoding.encode(&frame).expect("encodes")).expect("decodes");
            assert_eq!(again, frame);
        }
    }
    let all = [
        "hello",
        "subscribe",
        "unsubscribe",
        "ping",
        "bid",
        "proxy",
        "pass",
        "auto_pass",
        "nominate",
        "begin",
        "pause",
        "resume",
        "skip",
        "undo",
        "end",
    ];
    for kind in all {
        assert!(
            kinds.contains(kind),
            "docs/PROTOCOL.md has no example of `{kind}`"
        );
    }
}

#[test]
fn every_server_example_is_a_valid_server_frame() {
    let blocks = examples("server");
    let mut kinds = std::collections::BTreeSet::new();
    for block in &blocks {
        let frame: ServerFrame =
            codec::from_json(block.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{block}"));
        kinds.insert(frame.kind());
        for encoding in [Encoding::Json, Encoding::MessagePack] {
            let again: ServerFrame =
                codec::decode_frame(&encoding.encode(&frame).expect("encodes")).expect("decodes");
            assert_eq!(again, frame);
        }
    }
    let all = [
        "welcome",
        "snapshot",
        "events",
        "ack",
        "refused",
        "error",
        "auction_status",
        "presence",
        "pong",
    ];
    for kind in all {
        assert!(
            kinds.contains(kind),
            "docs/PROTOCOL.md has no example of `{kind}`"
        );
    }
}
