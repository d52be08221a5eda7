//! The server side of the remote protocol: [`serve`] exposes any [`Store`] over TCP.
//!
//! Several node and gateway processes on one machine share one store by running `store-server` (which serves
//! an [`EmbeddedStore`](crate::EmbeddedStore)) and connecting with [`RemoteStore`](crate::RemoteStore).
//!
//! Per connection, one task reads request frames and starts one task per request (at most
//! [`MAX_IN_FLIGHT_PER_CONNECTION`] at a time, then it stops reading: backpressure), and one task writes the
//! responses as they complete, in completion order. Because every request runs on its own, concurrent appends
//! from many connections reach the embedded store's writer together and share a group commit.
//!
//! Shutdown stops accepting and reading, lets every request already read finish and send its response, then
//! closes the connections. The server never times a request out: a client that gave up on a request may see it
//! applied later, which is why a timed-out append is "outcome unknown" on the client side.
//!
//! Requests of one connection run concurrently, so they may complete in any order: a client that needs one
//! write to happen before another waits for the first reply (as the append contract requires anyway).

use crate::error::StoreError;
use crate::limits::{self, MAX_FRAME_BYTES};
use crate::ports::Store;
use crate::wire::{
    self, EventChunk, ITEM_OVERHEAD_BYTES, Op, PROTOCOL_VERSION, REPLY_BUDGET_BYTES, RecordChunk,
    Reply,
};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Requests of one connection executed concurrently; beyond that the server stops reading the connection.
pub const MAX_IN_FLIGHT_PER_CONNECTION: usize = 1024;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Serve `store` on `listener` until `shutdown` completes, then drain: every request already received is
/// answered before this returns.
pub async fn serve<F>(listener: TcpListener, store: Arc<dyn Store>, shutdown: F)
where
    F: Future<Output = ()> + Send,
{
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    connections.spawn(connection(socket, peer, Arc::clone(&store), stop.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "store server: accept failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                    }
                }
            },
        }
    }
    tracing::info!("store server shutting down: draining connections");
    stop.cancel();
    connections.close();
    connections.wait().await;
}

/// Just the id of a request, to answer a request whose operation could not be decoded.
#[derive(Deserialize)]
struct RequestId {
    id: u64,
}

async fn connection(
    socket: TcpStream,
    peer: SocketAddr,
    store: Arc<dyn Store>,
    stop: CancellationToken,
) {
    if let Err(error) = socket.set_nodelay(true) {
        tracing::debug!(%peer, %error, "store server: set_nodelay failed");
    }
    tracing::debug!(%peer, "store server: connection opened");
    let (read_half, write_half) = socket.into_split();
    let mut frames = FramedRead::new(read_half, wire::codec());
    let (responses, response_queue) = mpsc::channel::<Bytes>(MAX_IN_FLIGHT_PER_CONNECTION);
    let writer = tokio::spawn(write_responses(
        FramedWrite::new(write_half, wire::codec()),
        response_queue,
        peer,
    ));
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT_PER_CONNECTION));
    let mut greeted = false;
    loop {
        let frame = tokio::select! {
            () = stop.cancelled() => break,
            frame = frames.next() => frame,
        };
        let frame = match frame {
            None => break,
            Some(Ok(frame)) => frame,
            Some(Err(error)) => {
                tracing::warn!(%peer, %error, "store server: bad frame; closing the connection");
                break;
            }
        };
        let request: wire::Request = match wire::decode(&frame) {
            Ok(request) => request,
            Err(error) => {
                // Answer the request if at least its id is readable, so the client gets a clear error.
                match wire::decode::<RequestId>(&frame) {
                    Ok(RequestId { id }) => {
                        tracing::warn!(%peer, %error, "store server: undecodable request");
                        let reply = Reply::Failed(StoreError::InvalidInput(format!(
                            "undecodable request: {error}"
                        )));
                        if !send_response(&responses, id, reply).await {
                            break;
                        }
                        continue;
                    }
                    Err(_) => {
                        tracing::warn!(%peer, %error, "store server: unreadable frame; closing the connection");
                        break;
                    }
                }
            }
        };
        if let Op::Hello { protocol } = request.op {
            let result = if protocol == PROTOCOL_VERSION {
                greeted = true;
                Ok(())
            } else {
                Err(StoreError::InvalidInput(format!(
                    "protocol version mismatch: the client speaks version {protocol}, this server speaks \
                     version {PROTOCOL_VERSION}"
                )))
            };
            let accepted = result.is_ok();
            if !send_response(&responses, request.id, Reply::Hello(result)).await || !accepted {
                break;
            }
            continue;
        }
        if !greeted {
            let reply = Reply::Failed(StoreError::InvalidInput(
                "the first request of a connection must be a hello".to_owned(),
            ));
            send_response(&responses, request.id, reply).await;
            break;
        }
        let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
            break;
        };
        let store = Arc::clone(&store);
        let responses = responses.clone();
        tokio::spawn(async move {
            let reply = execute(store.as_ref(), request.op).await;
            // Release the store before the permit: once every permit is back, `serve` may return and its
            // caller expects to hold the last handle.
            drop(store);
            send_response(&responses, request.id, reply).await;
            drop(permit);
        });
    }
    // Let the requests already read finish and queue their responses, then flush and close.
    let all = u32::try_from(MAX_IN_FLIGHT_PER_CONNECTION).unwrap_or(u32::MAX);
    let _drained = in_flight.acquire_many(all).await;
    drop(responses);
    if let Err(error) = writer.await {
        tracing::warn!(%peer, %error, "store server: response writer failed");
    }
    tracing::debug!(%peer, "store server: connection closed");
}

/// Encode a response (replacing it by an error if it cannot fit in a frame) and queue it for the writer.
/// Returns false when the connection's writer is gone.
async fn send_response(responses: &mpsc::Sender<Bytes>, id: u64, reply: Reply) -> bool {
    let op = reply_name(&reply);
    let encoded = wire::encode(&wire::Response { id, result: reply }).and_then(|bytes| {
        if bytes.len() > MAX_FRAME_BYTES {
            Err(StoreError::Backend(format!(
                "the {op} reply is {} bytes, over the {MAX_FRAME_BYTES}-byte frame limit",
                bytes.len()
            )))
        } else {
            Ok(bytes)
        }
    });
    let bytes = match encoded {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "store server: cannot encode a response");
            match wire::encode(&wire::Response {
                id,
                result: Reply::Failed(error),
            }) {
                Ok(bytes) => bytes,
                Err(_) => return false,
            }
        }
    };
    responses.send(Bytes::from(bytes)).await.is_ok()
}

fn reply_name(reply: &Reply) -> &'static str {
    match reply {
        Reply::Hello(_) => "hello",
        Reply::Append(_) => "append",
        Reply::Read(_) => "read",
        Reply::LastSeq(_) => "last_seq",
        Reply::Claim(_) => "claim",
        Reply::Release(_) => "release",
        Reply::Retire(_) => "retire",
        Reply::Ownership(_) => "ownership",
        Reply::ActiveAuctions(_) => "active_auctions",
        Reply::RenewLease(_) => "renew_lease",
        Reply::Leases(_) => "leases",
        Reply::Get(_) => "get",
        Reply::Put(_) => "put",
        Reply::Delete(_) => "delete",
        Reply::Scan(_) => "scan",
        Reply::Failed(_) => "failed",
    }
}

async fn write_responses(
    mut sink: FramedWrite<tokio::net::tcp::OwnedWriteHalf, tokio_util::codec::LengthDelimitedCodec>,
    mut queue: mpsc::Receiver<Bytes>,
    peer: SocketAddr,
) {
    while let Some(first) = queue.recv().await {
        // Feed everything already queued, then flush once: fewer syscalls under load.
        let mut next = Some(first);
        while let Some(frame) = next.take() {
            if let Err(error) = sink.feed(frame).await {
                tracing::debug!(%peer, %error, "store server: write failed");
                return;
            }
            next = queue.try_recv().ok();
        }
        if let Err(error) = SinkExt::<Bytes>::flush(&mut sink).await {
            tracing::debug!(%peer, %error, "store server: flush failed");
            return;
        }
    }
}

/// Run one operation against the store.
async fn execute(store: &dyn Store, op: Op) -> Reply {
    match op {
        Op::Hello { .. } => Reply::Hello(Ok(())),
        Op::Append {
            auction,
            owner,
            epoch,
            first_seq,
            payloads,
        } => {
            let payloads = payloads
                .into_iter()
                .map(serde_bytes::ByteBuf::into_vec)
                .collect();
            Reply::Append(
                store
                    .append(&auction, &owner, epoch, first_seq, payloads)
                    .await,
            )
        }
        Op::Read {
            auction,
            from_seq,
            max,
        } => Reply::Read(read_chunk(store, &auction, from_seq, max).await),
        Op::LastSeq { auction } => Reply::LastSeq(store.last_seq(&auction).await),
        Op::Claim {
            auction,
            claimant,
            now_ms,
            force,
        } => Reply::Claim(store.claim(&auction, &claimant, now_ms, force).await),
        Op::Release {
            auction,
            owner,
            epoch,
            now_ms,
        } => Reply::Release(store.release(&auction, &owner, epoch, now_ms).await),
        Op::Retire {
            auction,
            owner,
            epoch,
        } => Reply::Retire(store.retire(&auction, &owner, epoch).await),
        Op::Ownership { auction } => Reply::Ownership(store.ownership(&auction).await),
        Op::ActiveAuctions => Reply::ActiveAuctions(store.active_auctions().await),
        Op::RenewLease { lease } => Reply::RenewLease(store.renew_lease(lease).await),
        Op::Leases => Reply::Leases(store.leases().await),
        Op::Get { table, key } => Reply::Get(store.get(&table, &key).await),
        Op::Put {
            table,
            key,
            value,
            expect,
        } => Reply::Put(store.put(&table, &key, value, expect).await),
        Op::Delete { table, key, expect } => {
            Reply::Delete(store.delete(&table, &key, expect).await)
        }
        Op::Scan {
            table,
            prefix,
            start_after,
            limit,
        } => Reply::Scan(scan_chunk(store, &table, &prefix, start_after, limit).await),
    }
}

/// How many items to ask the store for next, given the average size seen so far and the budget left.
fn next_step(bytes: usize, items: usize, remaining: usize) -> usize {
    let average = bytes
        .checked_div(items)
        .unwrap_or(ITEM_OVERHEAD_BYTES)
        .max(1);
    (REPLY_BUDGET_BYTES.saturating_sub(bytes) / average)
        .clamp(1, 4096)
        .min(remaining)
}

/// One chunk of a read: up to `max` events, cut short once the reply holds about [`REPLY_BUDGET_BYTES`].
async fn read_chunk(
    store: &dyn Store,
    auction: &str,
    from_seq: u64,
    max: u64,
) -> Result<EventChunk, StoreError> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    limits::read(auction, from_seq, max)?;
    let mut events = Vec::new();
    let mut bytes = 0usize;
    let mut next_seq = from_seq;
    let mut step = max.min(64);
    loop {
        let batch = store.read(auction, next_seq, step).await?;
        let complete = batch.len() < step;
        for event in batch {
            if bytes >= REPLY_BUDGET_BYTES {
                return Ok(EventChunk {
                    events,
                    truncated: true,
                });
            }
            bytes = bytes
                .saturating_add(event.payload.len())
                .saturating_add(ITEM_OVERHEAD_BYTES);
            next_seq = event.seq.saturating_add(1);
            events.push(event);
        }
        if complete || events.len() >= max {
            return Ok(EventChunk {
                events,
                truncated: false,
            });
        }
        if bytes >= REPLY_BUDGET_BYTES {
            return Ok(EventChunk {
                events,
                truncated: true,
            });
        }
        step = next_step(bytes, events.len(), max - events.len());
    }
}

/// One chunk of a scan: up to `limit` records, cut short once the reply holds about [`REPLY_BUDGET_BYTES`].
async fn scan_chunk(
    store: &dyn Store,
    table: &str,
    prefix: &str,
    start_after: Option<String>,
    limit: u64,
) -> Result<RecordChunk, StoreError> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    limits::scan(table, prefix, start_after.as_deref(), limit)?;
    let mut records: Vec<(String, crate::types::Record)> = Vec::new();
    let mut bytes = 0usize;
    let mut cursor = start_after;
    let mut step = limit.min(64);
    loop {
        let batch = store.scan(table, prefix, cursor.as_deref(), step).await?;
        let complete = batch.len() < step;
        for (key, record) in batch {
            if bytes >= REPLY_BUDGET_BYTES {
                return Ok(RecordChunk {
                    records,
                    truncated: true,
                });
            }
            bytes = bytes
                .saturating_add(record.value.len())
                .saturating_add(key.len())
                .saturating_add(ITEM_OVERHEAD_BYTES);
            cursor = Some(key.clone());
            records.push((key, record));
        }
        if complete || records.len() >= limit {
            return Ok(RecordChunk {
                records,
                truncated: false,
            });
        }
        if bytes >= REPLY_BUDGET_BYTES {
            return Ok(RecordChunk {
                records,
                truncated: true,
            });
        }
        step = next_step(bytes, records.len(), limit - records.len());
    }
}
