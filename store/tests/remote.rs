//! Behaviour specific to the remote backend: multiplexing, timeouts, lost replies ("outcome unknown"),
//! reconnection, the handshake and malformed input on the server, and draining on shutdown.
//! Everything runs on 127.0.0.1.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::conformance::fixtures::TestServer;
use store::wire::{self, EventChunk, Op, PROTOCOL_VERSION, Reply, Request, Response};
use store::{
    AppendError, EmbeddedStore, EventLog, OwnerId, RemoteConfig, RemoteStore, Store, StoreError,
};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

type Reader = FramedRead<OwnedReadHalf, LengthDelimitedCodec>;
type Writer = FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>;

fn split(socket: TcpStream) -> (Reader, Writer) {
    let (read_half, write_half) = socket.into_split();
    (
        FramedRead::new(read_half, wire::codec()),
        FramedWrite::new(write_half, wire::codec()),
    )
}

async fn read_frame<T: serde::de::DeserializeOwned>(reader: &mut Reader) -> Option<T> {
    let frame = reader.next().await?.expect("frame");
    Some(wire::decode(&frame).expect("decodable frame"))
}

async fn write_frame<T: Serialize>(writer: &mut Writer, message: &T) {
    let bytes = wire::encode(message).expect("encode");
    writer.send(Bytes::from(bytes)).await.expect("send frame");
}

/// Accept one connection on a fake server and complete the client's handshake.
async fn accept_greeted(listener: &TcpListener) -> (Reader, Writer) {
    let (socket, _) = listener.accept().await.expect("accept");
    let (mut reader, mut writer) = split(socket);
    let hello: Request = read_frame(&mut reader).await.expect("hello");
    assert_eq!(
        hello.op,
        Op::Hello {
            protocol: PROTOCOL_VERSION
        },
        "the client greets first"
    );
    write_frame(
        &mut writer,
        &Response {
            id: hello.id,
            result: Reply::Hello(Ok(())),
        },
    )
    .await;
    (reader, writer)
}

async fn fake_server() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    (listener, addr)
}

fn config(addr: SocketAddr, timeout: Duration) -> RemoteConfig {
    let mut config = RemoteConfig::new(addr.to_string());
    config.request_timeout = timeout;
    config
}

fn owner() -> OwnerId {
    OwnerId::new("node-a", 1)
}

/// 32 concurrent calls share one connection: all 32 requests arrive before the server answers any, and the
/// answers, sent in reverse order, reach the right callers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn requests_are_pipelined_on_one_connection_and_routed_by_id() {
    const CALLS: u64 = 32;
    let (listener, addr) = fake_server().await;
    let client = RemoteStore::new(config(addr, Duration::from_secs(30))).expect("client");
    let server = tokio::spawn(async move {
        let (mut reader, mut writer) = accept_greeted(&listener).await;
        let mut requests = Vec::new();
        while requests.len() < CALLS as usize {
            let request: Request = read_frame(&mut reader).await.expect("request");
            requests.push(request);
        }
        for request in requests.iter().rev() {
            let Op::LastSeq { auction } = &request.op else {
                panic!("unexpected op {:?}", request.op);
            };
            let number: u64 = auction
                .trim_start_matches("auction-")
                .parse()
                .expect("auction number");
            write_frame(
                &mut writer,
                &Response {
                    id: request.id,
                    result: Reply::LastSeq(Ok(number * 10)),
                },
            )
            .await;
        }
        let mut ids: Vec<u64> = requests.iter().map(|request| request.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len() as u64, CALLS, "request ids are unique");
    });
    let calls: Vec<_> = (0..CALLS)
        .map(|number| {
            let client = client.clone();
            tokio::spawn(
                async move { (number, client.last_seq(&format!("auction-{number}")).await) },
            )
        })
        .collect();
    for call in calls {
        let (number, result) = call.await.expect("call task");
        assert_eq!(result, Ok(number * 10), "call {number} got its own reply");
    }
    server.await.expect("fake server");
}

/// No reply within the timeout: `Unavailable`, reported as outcome unknown; a late reply is then ignored and
/// the connection keeps serving later calls correctly.
#[tokio::test]
async fn a_missing_reply_times_out_as_outcome_unknown() {
    let (listener, addr) = fake_server().await;
    let timeout = Duration::from_millis(300);
    let client = RemoteStore::new(config(addr, timeout)).expect("client");
    let (release_late_reply, late_reply_released) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let (mut reader, mut writer) = accept_greeted(&listener).await;
        let append: Request = read_frame(&mut reader).await.expect("append request");
        assert!(matches!(append.op, Op::Append { .. }));
        late_reply_released.await.expect("go-ahead");
        write_frame(
            &mut writer,
            &Response {
                id: append.id,
                result: Reply::Append(Ok(())),
            },
        )
        .await;
        let next: Request = read_frame(&mut reader).await.expect("next request");
        write_frame(
            &mut writer,
            &Response {
                id: next.id,
                result: Reply::LastSeq(Ok(42)),
            },
        )
        .await;
    });
    let started = Instant::now();
    let result = client
        .append("auction-1", &owner(), 1, 1, vec![b"bid".to_vec()])
        .await;
    let elapsed = started.elapsed();
    let Err(AppendError::Store(error)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(matches!(error, StoreError::Unavailable(_)), "got {error:?}");
    assert!(error.is_outcome_unknown());
    assert!(
        error.to_string().contains("outcome unknown"),
        "the message says so: {error}"
    );
    assert!(
        elapsed >= timeout,
        "timed out after {elapsed:?}, before the {timeout:?} timeout"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "timed out after {elapsed:?}, far beyond the timeout"
    );
    release_late_reply.send(()).expect("release the late reply");
    assert_eq!(
        client.last_seq("auction-1").await,
        Ok(42),
        "the late append reply is not mistaken for this one"
    );
    server.await.expect("fake server");
}

/// The connection drops after the append was sent: the caller learns at once (not at the timeout) that the
/// outcome is unknown, and the client reconnects by itself for the next call.
#[tokio::test]
async fn a_dropped_connection_fails_in_flight_calls_and_the_client_reconnects() {
    let (listener, addr) = fake_server().await;
    let client = RemoteStore::new(config(addr, Duration::from_secs(30))).expect("client");
    let server = tokio::spawn(async move {
        {
            let (mut reader, _writer) = accept_greeted(&listener).await;
            let append: Request = read_frame(&mut reader).await.expect("append request");
            assert!(matches!(append.op, Op::Append { .. }));
            // Dropping both halves closes the connection without a reply.
        }
        let (mut reader, mut writer) = accept_greeted(&listener).await;
        let request: Request = read_frame(&mut reader)
            .await
            .expect("request after reconnect");
        write_frame(
            &mut writer,
            &Response {
                id: request.id,
                result: Reply::LastSeq(Ok(7)),
            },
        )
        .await;
    });
    let started = Instant::now();
    let result = client
        .append("auction-1", &owner(), 1, 1, vec![b"bid".to_vec()])
        .await;
    match &result {
        Err(AppendError::Store(error @ StoreError::Unavailable(message))) => {
            assert!(error.to_string().contains("outcome unknown"), "{error}");
            assert!(
                message.contains("connection"),
                "the message names the cause: {message}"
            );
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "failed fast, not at the 30 s timeout"
    );
    assert_eq!(
        client.last_seq("auction-1").await,
        Ok(7),
        "the client reconnected by itself"
    );
    server.await.expect("fake server");
}

/// A real server stops and comes back on the same address: calls fail with `Unavailable` while it is down
/// and succeed again, with the data intact, once the client has reconnected by itself.
#[tokio::test]
async fn the_client_reconnects_after_a_server_restart() {
    let backing: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory().expect("store"));
    let server = TestServer::start(Arc::clone(&backing)).await;
    let addr = server.addr();
    let client = RemoteStore::connect(config(addr, Duration::from_millis(500)))
        .await
        .expect("connect");
    let me = owner();
    let claim = client
        .claim("auction-1", &me, 0, false)
        .await
        .expect("claim");
    client
        .append("auction-1", &me, claim.epoch, 1, vec![b"one".to_vec()])
        .await
        .expect("append");

    server.stop().await;
    let down = client.last_seq("auction-1").await;
    assert!(
        matches!(down, Err(StoreError::Unavailable(_))),
        "while the server is down: {down:?}"
    );

    let _server = TestServer::restart(Arc::clone(&backing), addr).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match client.last_seq("auction-1").await {
            Ok(last_seq) => {
                assert_eq!(last_seq, 1);
                break;
            }
            Err(StoreError::Unavailable(_)) if Instant::now() < deadline => continue,
            Err(error) => panic!("the client did not reconnect: {error}"),
        }
    }
    client
        .append("auction-1", &me, claim.epoch, 2, vec![b"two".to_vec()])
        .await
        .expect("append after reconnect");
    assert_eq!(backing.last_seq("auction-1").await, Ok(2));
}

/// Invalid input is refused by the client itself, without waiting for a server that is not even there.
#[tokio::test]
async fn invalid_input_fails_without_a_round_trip() {
    let (listener, addr) = fake_server().await;
    drop(listener);
    let client = RemoteStore::new(config(addr, Duration::from_secs(30))).expect("client");
    let started = Instant::now();
    let result = client
        .append("", &owner(), 1, 1, vec![b"bid".to_vec()])
        .await;
    assert!(
        matches!(result, Err(AppendError::Store(StoreError::InvalidInput(_)))),
        "got {result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no timeout involved"
    );
}

/// Nobody listening: calls fail with `Unavailable` after the timeout and say why the connection failed.
#[tokio::test]
async fn an_unreachable_server_is_reported_with_its_cause() {
    let (listener, addr) = fake_server().await;
    drop(listener);
    let client = RemoteStore::new(config(addr, Duration::from_millis(300))).expect("client");
    let result = client.last_seq("auction-1").await;
    let Err(StoreError::Unavailable(message)) = result else {
        panic!("expected Unavailable, got {result:?}");
    };
    assert!(
        message.contains("connect"),
        "the message explains the cause: {message}"
    );
    let connected = RemoteStore::connect(config(addr, Duration::from_millis(300))).await;
    assert!(
        matches!(connected, Err(StoreError::Unavailable(_))),
        "connect fails too: {connected:?}"
    );
}

/// The server insists on the handshake and a matching protocol version, answers undecodable requests with a
/// clear error when their id is readable, chunks large reads, and drops connections sending oversized frames.
#[tokio::test]
async fn the_server_rejects_bad_peers_clearly() {
    let backing: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory().expect("store"));
    let server = TestServer::start(Arc::clone(&backing)).await;
    let connect = || async { split(TcpStream::connect(server.addr()).await.expect("connect")) };

    // Wrong protocol version: refused, then closed.
    let (mut reader, mut writer) = connect().await;
    write_frame(
        &mut writer,
        &Request {
            id: 0,
            op: Op::Hello {
                protocol: PROTOCOL_VERSION + 1,
            },
        },
    )
    .await;
    let response: Response = read_frame(&mut reader).await.expect("hello reply");
    match response.result {
        Reply::Hello(Err(StoreError::InvalidInput(message))) => {
            assert!(message.contains("protocol version mismatch"), "{message}");
        }
        other => panic!("expected a refused hello, got {other:?}"),
    }
    assert!(
        read_frame::<Response>(&mut reader).await.is_none(),
        "closed after the refusal"
    );

    // A request before the hello: refused, then closed.
    let (mut reader, mut writer) = connect().await;
    write_frame(
        &mut writer,
        &Request {
            id: 5,
            op: Op::Leases,
        },
    )
    .await;
    let response: Response = read_frame(&mut reader).await.expect("reply");
    assert_eq!(response.id, 5);
    assert!(
        matches!(response.result, Reply::Failed(StoreError::InvalidInput(ref m)) if m.contains("hello"))
    );
    assert!(
        read_frame::<Response>(&mut reader).await.is_none(),
        "closed"
    );

    // An undecodable operation with a readable id: a clear error, and the connection stays usable.
    let (mut reader, mut writer) = connect().await;
    write_frame(
        &mut writer,
        &Request {
            id: 0,
            op: Op::Hello {
                protocol: PROTOCOL_VERSION,
            },
        },
    )
    .await;
    let _: Response = read_frame(&mut reader).await.expect("hello reply");
    #[derive(Serialize)]
    struct Bogus {
        id: u64,
        op: &'static str,
    }
    write_frame(
        &mut writer,
        &Bogus {
            id: 7,
            op: "Teleport",
        },
    )
    .await;
    let response: Response = read_frame(&mut reader).await.expect("reply");
    assert_eq!(response.id, 7);
    assert!(
        matches!(response.result, Reply::Failed(StoreError::InvalidInput(ref m)) if m.contains("undecodable")),
        "{:?}",
        response.result
    );

    // A read larger than the reply budget comes back in chunks flagged as truncated.
    let me = owner();
    backing.claim("big", &me, 0, false).await.expect("claim");
    for first in [1u64, 7] {
        let payloads = (0..6)
            .map(|_| vec![1u8; store::limits::MAX_PAYLOAD_BYTES])
            .collect();
        backing
            .append("big", &me, 1, first, payloads)
            .await
            .expect("append");
    }
    write_frame(
        &mut writer,
        &Request {
            id: 8,
            op: Op::Read {
                auction: "big".to_owned(),
                from_seq: 1,
                max: 100,
            },
        },
    )
    .await;
    let response: Response = read_frame(&mut reader).await.expect("read reply");
    let Reply::Read(Ok(EventChunk { events, truncated })) = response.result else {
        panic!("expected a read chunk, got {:?}", response.result);
    };
    assert!(truncated, "12 MiB do not fit in one reply");
    assert!(
        !events.is_empty() && events.len() < 12,
        "a partial chunk: {} events",
        events.len()
    );
    let bytes: usize = events.iter().map(|event| event.payload.len()).sum();
    assert!(
        bytes <= wire::REPLY_BUDGET_BYTES + store::limits::MAX_PAYLOAD_BYTES,
        "chunk of {bytes} bytes"
    );

    // An oversized frame: the server closes the connection.
    let (mut read_half, mut write_half) = TcpStream::connect(server.addr())
        .await
        .expect("connect")
        .into_split();
    let length = u32::try_from(store::limits::MAX_FRAME_BYTES + 1).expect("fits u32");
    write_half
        .write_all(&length.to_be_bytes())
        .await
        .expect("write length");
    write_half
        .write_all(&[0u8; 1024])
        .await
        .expect("write some bytes");
    let mut buffer = [0u8; 16];
    let read = tokio::io::AsyncReadExt::read(&mut read_half, &mut buffer).await;
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "the server closed the connection: {read:?}"
    );
}

/// Stopping the server while appends are in flight: every acknowledged append is in the store, and every
/// other one failed as `Unavailable` (never silently).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_drains_in_flight_requests() {
    const AUCTIONS: usize = 40;
    let backing: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory().expect("store"));
    let server = TestServer::start(Arc::clone(&backing)).await;
    let client = RemoteStore::connect(config(server.addr(), Duration::from_secs(5)))
        .await
        .expect("connect");
    let me = owner();
    for index in 0..AUCTIONS {
        client
            .claim(&format!("auction-{index}"), &me, 0, false)
            .await
            .expect("claim");
    }
    let appends: Vec<_> = (0..AUCTIONS)
        .map(|index| {
            let client = client.clone();
            let me = me.clone();
            tokio::spawn(async move {
                let auction = format!("auction-{index}");
                let result = client
                    .append(&auction, &me, 1, 1, vec![b"bid".to_vec()])
                    .await;
                (auction, result)
            })
        })
        .collect();
    server.stop().await;
    for append in appends {
        let (auction, result) = append.await.expect("append task");
        match result {
            Ok(()) => assert_eq!(
                backing.last_seq(&auction).await,
                Ok(1),
                "{auction}: acknowledged but missing"
            ),
            Err(AppendError::Store(StoreError::Unavailable(_))) => {}
            Err(error) => panic!("{auction}: unexpected error {error}"),
        }
    }
}
