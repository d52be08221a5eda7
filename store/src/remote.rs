//! [`RemoteStore`]: the store ports over TCP, talking to [`server::serve`](crate::server::serve) (the
//! `store-server` binary).
//!
//! One background task owns the connection. Calls from any number of tasks are multiplexed over it: each
//! request gets an id, is written as soon as it is queued (pipelined, many in flight), and its response is
//! routed back by id, in whatever order the server answers. If the connection drops, the task reconnects by
//! itself with exponential backoff (`min_backoff` doubling up to `max_backoff`); requests queued meanwhile wait
//! for the new connection within their own timeout.
//!
//! Every call has a timeout (`request_timeout`, default 5 s) and fails with [`StoreError::Unavailable`] when no
//! reply arrived in time, or when the connection dropped after the request was sent. **For writes (above all
//! `append`) that means OUTCOME UNKNOWN**: the request may have been applied, or may still be applied later.
//! Epoch fencing keeps that safe (a late append can never land after a takeover), but the caller must re-read
//! the log to learn what happened.
//!
//! Requests are validated here with the same [`limits`](crate::limits) as the server, so invalid input fails
//! without a round trip and no request can exceed the frame limit. A request is written at most once: it is
//! never replayed on a new connection, so a lost reply never turns into a duplicate write. Concurrent requests
//! may be executed by the server in any order.

use crate::error::{AppendError, ClaimError, LeaseError, PutError, StoreError};
use crate::limits::{self, MAX_FRAME_BYTES};
use crate::metrics::{self, Outcome};
use crate::ports::{EventLog, RecordStore};
use crate::types::{Claim, Epoch, Expect, NodeLease, OwnerId, Ownership, Record, Seq, StoredEvent};
use crate::wire::{self, Op, PROTOCOL_VERSION, Reply, Request, Response};
use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};
use tokio_util::sync::CancellationToken;

/// Metric label of this backend.
const BACKEND: &str = "remote";

/// Requests queued for the connection task; callers wait (within their timeout) when it is full.
const QUEUE_CAPACITY: usize = 4096;

/// Most requests written before one flush.
const MAX_WRITE_BATCH: usize = 256;

/// How often the connection task forgets requests whose caller stopped waiting.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// How to reach a store server and how patient to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteConfig {
    /// `host:port` of the store server.
    pub addr: String,
    /// How long a call waits for its reply (including waiting for a connection) before failing with
    /// `Unavailable`.
    pub request_timeout: Duration,
    /// How long one connection attempt (TCP connect plus handshake) may take.
    pub connect_timeout: Duration,
    /// Pause after the first failed connection attempt; doubles on every further failure.
    pub min_backoff: Duration,
    /// Longest pause between connection attempts.
    pub max_backoff: Duration,
}

impl From<String> for RemoteConfig {
    /// Default settings for the `host:port` address.
    fn from(addr: String) -> Self {
        Self::new(addr)
    }
}

impl From<&str> for RemoteConfig {
    /// Default settings for the `host:port` address.
    fn from(addr: &str) -> Self {
        Self::new(addr)
    }
}

impl RemoteConfig {
    /// Defaults: 5 s request timeout, 2 s connect timeout, backoff from 50 ms to 2 s.
    pub fn new(addr: impl Into<String>) -> Self {
        Self {
            addr: addr.into(),
            request_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
        }
    }
}

/// A store reached over TCP. Cheap to clone: clones share one connection. The connection task stops when the
/// last clone is dropped.
#[derive(Clone)]
pub struct RemoteStore {
    inner: Arc<ClientInner>,
}

struct ClientInner {
    config: RemoteConfig,
    /// Queue of the connection task.
    outgoing: mpsc::Sender<Outgoing>,
    /// Why the last connection attempt or connection failed, to explain timeouts.
    last_error: Arc<Mutex<Option<String>>>,
    /// Stops the connection task when the last handle is dropped.
    stop: CancellationToken,
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteStore")
            .field("addr", &self.inner.config.addr)
            .finish()
    }
}

/// A request on its way to the connection task.
struct Outgoing {
    op: Op,
    reply: oneshot::Sender<Result<Reply, StoreError>>,
}

impl RemoteStore {
    /// A client for `config.addr` (a [`RemoteConfig`] or just a `host:port` string). Connects in the
    /// background (and reconnects whenever needed); calls made before the connection is up wait for it within
    /// their timeout. Must be called inside a tokio runtime.
    pub fn new(config: impl Into<RemoteConfig>) -> Result<Self, StoreError> {
        let config = config.into();
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            StoreError::InvalidInput(
                "RemoteStore::new must be called inside a tokio runtime".to_owned(),
            )
        })?;
        let (outgoing, queue) = mpsc::channel(QUEUE_CAPACITY);
        let last_error = Arc::new(Mutex::new(None));
        let stop = CancellationToken::new();
        runtime.spawn(run_connection_task(
            config.clone(),
            queue,
            Arc::clone(&last_error),
            stop.clone(),
        ));
        Ok(Self {
            inner: Arc::new(ClientInner {
                config,
                outgoing,
                last_error,
                stop,
            }),
        })
    }

    /// A client for `config.addr` (a [`RemoteConfig`] or just a `host:port` string) whose first round trip
    /// succeeded (within `request_timeout`).
    pub async fn connect(config: impl Into<RemoteConfig>) -> Result<Self, StoreError> {
        let store = Self::new(config)?;
        store.ping().await?;
        Ok(store)
    }

    /// One round trip to the server.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self
            .call(Op::Hello {
                protocol: PROTOCOL_VERSION,
            })
            .await?
        {
            Reply::Hello(result) => result,
            other => Err(unexpected(other)),
        }
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &RemoteConfig {
        &self.inner.config
    }

    /// Send `op` and wait for its reply, within the request timeout.
    async fn call(&self, op: Op) -> Result<Reply, StoreError> {
        let (reply, response) = oneshot::channel();
        let exchange = async {
            self.inner
                .outgoing
                .send(Outgoing { op, reply })
                .await
                .map_err(|_| {
                    StoreError::Unavailable("the remote store client has stopped".to_owned())
                })?;
            response.await.map_err(|_| {
                StoreError::Unavailable(
                    "the remote store client stopped before the reply arrived".to_owned(),
                )
            })?
        };
        let timeout = self.inner.config.request_timeout;
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => {
                let last_error = self
                    .inner
                    .last_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                let cause = last_error
                    .map(|error| format!(" (last connection error: {error})"))
                    .unwrap_or_default();
                Err(StoreError::Unavailable(format!(
                    "no reply from store server {} within {timeout:?}{cause}",
                    self.inner.config.addr
                )))
            }
        }
    }

    fn observe<R: Outcome>(op: &'static str, result: R) -> R {
        metrics::record_request(BACKEND, op, &result);
        result
    }

    async fn read_all(
        &self,
        auction: &str,
        from_seq: Seq,
        max: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        limits::read(auction, from_seq, max)?;
        let mut events: Vec<StoredEvent> = Vec::new();
        let mut next_seq = from_seq;
        loop {
            let remaining = u64::try_from(max - events.len()).unwrap_or(u64::MAX);
            let chunk = match self
                .call(Op::Read {
                    auction: auction.to_owned(),
                    from_seq: next_seq,
                    max: remaining,
                })
                .await?
            {
                Reply::Read(result) => result?,
                other => return Err(unexpected(other)),
            };
            let got = chunk.events.len();
            if let Some(last) = chunk.events.last() {
                next_seq = last.seq.saturating_add(1);
            }
            events.extend(chunk.events);
            if !chunk.truncated || got == 0 || events.len() >= max {
                return Ok(events);
            }
        }
    }

    async fn scan_all(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        limits::scan(table, prefix, start_after, limit)?;
        let mut records: Vec<(String, Record)> = Vec::new();
        let mut cursor = start_after.map(str::to_owned);
        loop {
            let remaining = u64::try_from(limit - records.len()).unwrap_or(u64::MAX);
            let chunk = match self
                .call(Op::Scan {
                    table: table.to_owned(),
                    prefix: prefix.to_owned(),
                    start_after: cursor.clone(),
                    limit: remaining,
                })
                .await?
            {
                Reply::Scan(result) => result?,
                other => return Err(unexpected(other)),
            };
            let got = chunk.records.len();
            if let Some((key, _)) = chunk.records.last() {
                cursor = Some(key.clone());
            }
            records.extend(chunk.records);
            if !chunk.truncated || got == 0 || records.len() >= limit {
                return Ok(records);
            }
        }
    }
}

/// A reply that does not belong to the request (a server bug or an incompatible server).
fn unexpected(reply: Reply) -> StoreError {
    match reply {
        Reply::Failed(error) => error,
        other => StoreError::Backend(format!("protocol error: unexpected reply {other:?}")),
    }
}

#[async_trait]
impl EventLog for RemoteStore {
    /// Append over the wire. **`Err(AppendError::Store(StoreError::Unavailable(_)))` means OUTCOME UNKNOWN**:
    /// the reply was lost (timeout or dropped connection) and the events may or may not have been appended,
    /// possibly later than the error. Read the log before deciding anything.
    async fn append(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        first_seq: Seq,
        payloads: Vec<Vec<u8>>,
    ) -> Result<(), AppendError> {
        let started = Instant::now();
        let result = async {
            limits::append(auction, owner, epoch, first_seq, &payloads)?;
            let op = Op::Append {
                auction: auction.to_owned(),
                owner: owner.clone(),
                epoch,
                first_seq,
                payloads: payloads
                    .into_iter()
                    .map(serde_bytes::ByteBuf::from)
                    .collect(),
            };
            match self.call(op).await? {
                Reply::Append(result) => result,
                other => Err(unexpected(other).into()),
            }
        }
        .await;
        metrics::record_append_latency(BACKEND, started.elapsed());
        Self::observe("append", result)
    }

    async fn read(
        &self,
        auction: &str,
        from_seq: Seq,
        max: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        Self::observe("read", self.read_all(auction, from_seq, max).await)
    }

    async fn last_seq(&self, auction: &str) -> Result<Seq, StoreError> {
        let result = async {
            limits::auction_id(auction)?;
            match self
                .call(Op::LastSeq {
                    auction: auction.to_owned(),
                })
                .await?
            {
                Reply::LastSeq(result) => result,
                other => Err(unexpected(other)),
            }
        }
        .await;
        Self::observe("last_seq", result)
    }

    async fn claim(
        &self,
        auction: &str,
        claimant: &OwnerId,
        now_ms: i64,
        force: bool,
    ) -> Result<Claim, ClaimError> {
        let result = async {
            limits::auction_id(auction)?;
            limits::owner(claimant)?;
            let op = Op::Claim {
                auction: auction.to_owned(),
                claimant: claimant.clone(),
                now_ms,
                force,
            };
            match self.call(op).await? {
                Reply::Claim(result) => result,
                other => Err(unexpected(other).into()),
            }
        }
        .await;
        Self::observe("claim", result)
    }

    async fn release(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
        now_ms: i64,
    ) -> Result<(), AppendError> {
        let result = async {
            limits::auction_id(auction)?;
            limits::owner(owner)?;
            limits::epoch(epoch)?;
            let op = Op::Release {
                auction: auction.to_owned(),
                owner: owner.clone(),
                epoch,
                now_ms,
            };
            match self.call(op).await? {
                Reply::Release(result) => result,
                other => Err(unexpected(other).into()),
            }
        }
        .await;
        Self::observe("release", result)
    }

    async fn retire(
        &self,
        auction: &str,
        owner: &OwnerId,
        epoch: Epoch,
    ) -> Result<(), AppendError> {
        let result = async {
            limits::auction_id(auction)?;
            limits::owner(owner)?;
            limits::epoch(epoch)?;
            let op = Op::Retire {
                auction: auction.to_owned(),
                owner: owner.clone(),
                epoch,
            };
            match self.call(op).await? {
                Reply::Retire(result) => result,
                other => Err(unexpected(other).into()),
            }
        }
        .await;
        Self::observe("retire", result)
    }

    async fn ownership(&self, auction: &str) -> Result<Option<Ownership>, StoreError> {
        let result = async {
            limits::auction_id(auction)?;
            match self
                .call(Op::Ownership {
                    auction: auction.to_owned(),
                })
                .await?
            {
                Reply::Ownership(result) => result,
                other => Err(unexpected(other)),
            }
        }
        .await;
        Self::observe("ownership", result)
    }

    async fn active_auctions(&self) -> Result<Vec<(String, Ownership)>, StoreError> {
        let result = match self.call(Op::ActiveAuctions).await {
            Ok(Reply::ActiveAuctions(result)) => result,
            Ok(other) => Err(unexpected(other)),
            Err(error) => Err(error),
        };
        Self::observe("active_auctions", result)
    }

    async fn renew_lease(&self, lease: NodeLease) -> Result<(), LeaseError> {
        let result = async {
            limits::lease(&lease)?;
            match self.call(Op::RenewLease { lease }).await? {
                Reply::RenewLease(result) => result,
                other => Err(unexpected(other).into()),
            }
        }
        .await;
        Self::observe("renew_lease", result)
    }

    async fn leases(&self) -> Result<Vec<NodeLease>, StoreError> {
        let result = match self.call(Op::Leases).await {
            Ok(Reply::Leases(result)) => result,
            Ok(other) => Err(unexpected(other)),
            Err(error) => Err(error),
        };
        Self::observe("leases", result)
    }
}

#[async_trait]
impl RecordStore for RemoteStore {
    async fn get(&self, table: &str, key: &str) -> Result<Option<Record>, StoreError> {
        let result = async {
            limits::record_key(table, key)?;
            let op = Op::Get {
                table: table.to_owned(),
                key: key.to_owned(),
            };
            match self.call(op).await? {
                Reply::Get(result) => result,
                other => Err(unexpected(other)),
            }
        }
        .await;
        Self::observe("get", result)
    }

    /// Conditional write over the wire; `Unavailable` means the outcome is unknown (read the record back).
    async fn put(
        &self,
        table: &str,
        key: &str,
        value: Vec<u8>,
        expect: Expect,
    ) -> Result<u64, PutError> {
        let result = async {
            limits::record_key(table, key)?;
            limits::value(&value)?;
            limits::expect(expect)?;
            let op = Op::Put {
                table: table.to_owned(),
                key: key.to_owned(),
                value,
                expect,
            };
            match self.call(op).await? {
                Reply::Put(result) => result,
                other => Err(unexpected(other).into()),
            }
        }
        .await;
        Self::observe("put", result)
    }

    /// Conditional delete over the wire; `Unavailable` means the outcome is unknown.
    async fn delete(&self, table: &str, key: &str, expect: Expect) -> Result<(), PutError> {
        let result = async {
            limits::record_key(table, key)?;
            limits::expect(expect)?;
            let op = Op::Delete {
                table: table.to_owned(),
                key: key.to_owned(),
                expect,
            };
            match self.call(op).await? {
                Reply::Delete(result) => result,
                other => Err(unexpected(other).into()),
            }
        }
        .await;
        Self::observe("delete", result)
    }

    async fn scan(
        &self,
        table: &str,
        prefix: &str,
        start_after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, Record)>, StoreError> {
        Self::observe(
            "scan",
            self.scan_all(table, prefix, start_after, limit).await,
        )
    }
}

type Reader = FramedRead<OwnedReadHalf, LengthDelimitedCodec>;
type Writer = FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>;

/// Replies awaited on the current connection, by request id.
type Pending = Mutex<HashMap<u64, oneshot::Sender<Result<Reply, StoreError>>>>;

/// Why a connection ended.
enum Ended {
    /// Every client handle is gone: stop for good.
    Stopped,
    /// The connection failed: reconnect.
    Lost(String),
}

fn remember(last_error: &Mutex<Option<String>>, error: Option<String>) {
    *last_error.lock().unwrap_or_else(PoisonError::into_inner) = error;
}

/// Owns the connection: connects, serves it until it fails, reconnects with backoff; stops with the client.
async fn run_connection_task(
    config: RemoteConfig,
    mut queue: mpsc::Receiver<Outgoing>,
    last_error: Arc<Mutex<Option<String>>>,
    stop: CancellationToken,
) {
    let mut backoff = config.min_backoff;
    loop {
        let attempt = tokio::select! {
            () = stop.cancelled() => return,
            attempt = connect(&config) => attempt,
        };
        match attempt {
            Ok((reader, writer)) => {
                tracing::debug!(addr = %config.addr, "connected to the store server");
                remember(&last_error, None);
                backoff = config.min_backoff;
                match serve_connection(reader, writer, &mut queue, &stop).await {
                    Ended::Stopped => return,
                    Ended::Lost(error) => {
                        tracing::warn!(addr = %config.addr, %error, "lost the connection to the store server");
                        remember(&last_error, Some(error));
                    }
                }
            }
            Err(error) => {
                tracing::debug!(addr = %config.addr, %error, "cannot connect to the store server");
                remember(&last_error, Some(error));
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = backoff.saturating_mul(2).min(config.max_backoff);
    }
}

/// TCP connect plus handshake, within the connect timeout.
async fn connect(config: &RemoteConfig) -> Result<(Reader, Writer), String> {
    let attempt = async {
        let socket = TcpStream::connect(&config.addr)
            .await
            .map_err(|error| format!("connect: {error}"))?;
        socket
            .set_nodelay(true)
            .map_err(|error| format!("set_nodelay: {error}"))?;
        let (read_half, write_half) = socket.into_split();
        let mut reader = FramedRead::new(read_half, wire::codec());
        let mut writer = FramedWrite::new(write_half, wire::codec());
        let hello = wire::encode(&Request {
            id: 0,
            op: Op::Hello {
                protocol: PROTOCOL_VERSION,
            },
        })
        .map_err(|error| error.to_string())?;
        writer
            .send(Bytes::from(hello))
            .await
            .map_err(|error| format!("handshake: {error}"))?;
        let frame = reader
            .next()
            .await
            .ok_or_else(|| "handshake: the server closed the connection".to_owned())?
            .map_err(|error| format!("handshake: {error}"))?;
        let response: Response =
            wire::decode(&frame).map_err(|error| format!("handshake: {error}"))?;
        match response.result {
            Reply::Hello(Ok(())) => Ok((reader, writer)),
            Reply::Hello(Err(error)) | Reply::Failed(error) => {
                Err(format!("handshake refused: {error}"))
            }
            other => Err(format!("handshake: unexpected reply {other:?}")),
        }
    };
    match tokio::time::timeout(config.connect_timeout, attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!("no connection within {:?}", config.connect_timeout)),
    }
}

/// Pump requests out and responses in until the connection fails or the client stops. Every request still
/// awaiting its reply when the connection ends gets `Unavailable` (outcome unknown).
async fn serve_connection(
    mut reader: Reader,
    mut writer: Writer,
    queue: &mut mpsc::Receiver<Outgoing>,
    stop: &CancellationToken,
) -> Ended {
    let pending: Pending = Mutex::new(HashMap::new());
    let lock = || pending.lock().unwrap_or_else(PoisonError::into_inner);
    let write_loop = async {
        let mut next_id: u64 = 1;
        loop {
            let first = tokio::select! {
                () = stop.cancelled() => return Ended::Stopped,
                first = queue.recv() => first,
            };
            let Some(first) = first else {
                return Ended::Stopped;
            };
            let mut written = 0usize;
            let mut next = Some(first);
            while let Some(Outgoing { op, reply }) = next.take() {
                // A caller that timed out is gone: do not send its request at all.
                if !reply.is_closed() {
                    let id = next_id;
                    next_id = next_id.wrapping_add(1).max(1);
                    match wire::encode(&Request { id, op }) {
                        Ok(frame) if frame.len() <= MAX_FRAME_BYTES => {
                            lock().insert(id, reply);
                            if let Err(error) = writer.feed(Bytes::from(frame)).await {
                                return Ended::Lost(format!("write: {error}"));
                            }
                            written += 1;
                        }
                        Ok(frame) => {
                            let _ = reply.send(Err(StoreError::InvalidInput(format!(
                                "request of {} bytes exceeds the {MAX_FRAME_BYTES}-byte frame limit",
                                frame.len()
                            ))));
                        }
                        Err(error) => {
                            let _ = reply.send(Err(error));
                        }
                    }
                }
                if written < MAX_WRITE_BATCH {
                    next = queue.try_recv().ok();
                }
            }
            if let Err(error) = SinkExt::<Bytes>::flush(&mut writer).await {
                return Ended::Lost(format!("write: {error}"));
            }
        }
    };
    let read_loop = async {
        let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            tokio::select! {
                frame = reader.next() => {
                    let frame = match frame {
                        Some(Ok(frame)) => frame,
                        Some(Err(error)) => return Ended::Lost(format!("read: {error}")),
                        None => return Ended::Lost("the server closed the connection".to_owned()),
                    };
                    let response: Response = match wire::decode(&frame) {
                        Ok(response) => response,
                        Err(error) => return Ended::Lost(format!("undecodable response: {error}")),
                    };
                    // A missing id is a late reply to a caller that already timed out.
                    if let Some(reply) = lock().remove(&response.id) {
                        let _ = reply.send(Ok(response.result));
                    }
                }
                _ = sweep.tick() => lock().retain(|_, reply| !reply.is_closed()),
            }
        }
    };
    let ended = tokio::select! {
        ended = write_loop => ended,
        ended = read_loop => ended,
    };
    let lost = match &ended {
        Ended::Stopped => "the remote store client stopped".to_owned(),
        Ended::Lost(error) => error.clone(),
    };
    for (_, reply) in lock().drain() {
        let _ = reply.send(Err(StoreError::Unavailable(format!(
            "connection to the store server lost before the reply arrived ({lost})"
        ))));
    }
    ended
}
