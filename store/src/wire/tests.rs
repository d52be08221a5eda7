//! Wire format tests: round trips, compact payload encoding, and golden bytes that change only with the
//! protocol version.

use super::*;

fn sample_append() -> Request {
    Request {
        id: 42,
        op: Op::Append {
            auction: "a1".to_owned(),
            owner: OwnerId::new("n", 3),
            epoch: 2,
            first_seq: 7,
            payloads: vec![serde_bytes::ByteBuf::from(vec![1u8, 2, 3])],
        },
    }
}

#[test]
fn requests_and_responses_round_trip() {
    let request = sample_append();
    let decoded: Request = decode(&encode(&request).expect("encode")).expect("decode");
    assert_eq!(decoded, request);
    let responses = [
        Reply::Append(Err(AppendError::Fenced { current_epoch: 3 })),
        Reply::Append(Err(AppendError::Store(StoreError::Unavailable(
            "x".to_owned(),
        )))),
        Reply::Claim(Err(ClaimError::Owned {
            owner: OwnerId::new("n", 1),
            lease_expires_at: -5,
        })),
        Reply::Read(Ok(EventChunk {
            events: vec![StoredEvent {
                seq: 1,
                epoch: 1,
                payload: vec![0, 255],
            }],
            truncated: true,
        })),
        Reply::Put(Err(PutError::Conflict { current: None })),
        Reply::RenewLease(Err(LeaseError::Superseded)),
        Reply::Failed(StoreError::InvalidInput("bad".to_owned())),
    ];
    for result in responses {
        let response = Response { id: 9, result };
        let decoded: Response = decode(&encode(&response).expect("encode")).expect("decode");
        assert_eq!(decoded, response);
    }
}

#[test]
fn payloads_travel_as_binary_not_as_integer_arrays() {
    let payload = vec![0xABu8; 1000];
    let event = StoredEvent {
        seq: 1,
        epoch: 1,
        payload: payload.clone(),
    };
    let bytes = encode(&event).expect("encode");
    assert!(
        bytes.len() < payload.len() + 64,
        "{} bytes for a 1000-byte payload",
        bytes.len()
    );
    // MessagePack bin 16 marker followed by the length.
    assert!(
        bytes.windows(3).any(|window| window == [0xc5, 0x03, 0xe8]),
        "payload encoded as bin"
    );
}

/// Changing these bytes is a protocol change: bump `PROTOCOL_VERSION` and update them together.
#[test]
fn golden_bytes_of_an_append_request() {
    let bytes = encode(&sample_append()).expect("encode");
    let expected: &[u8] = &[
        0x82, 0xa2, b'i', b'd', 0x2a, 0xa2, b'o', b'p', 0x81, 0xa6, b'A', b'p', b'p', b'e', b'n',
        b'd', 0x85, 0xa7, b'a', b'u', b'c', b't', b'i', b'o', b'n', 0xa2, b'a', b'1', 0xa5, b'o',
        b'w', b'n', b'e', b'r', 0x82, 0xa4, b'n', b'o', b'd', b'e', 0xa1, b'n', 0xab, b'i', b'n',
        b'c', b'a', b'r', b'n', b'a', b't', b'i', b'o', b'n', 0x03, 0xa5, b'e', b'p', b'o', b'c',
        b'h', 0x02, 0xa9, b'f', b'i', b'r', b's', b't', b'_', b's', b'e', b'q', 0x07, 0xa8, b'p',
        b'a', b'y', b'l', b'o', b'a', b'd', b's', 0x91, 0xc4, 0x03, 0x01, 0x02, 0x03,
    ];
    assert_eq!(bytes, expected, "wire bytes changed: {bytes:02x?}");
    assert_eq!(PROTOCOL_VERSION, 1);
}
