//! The `store-server` binary as a process: it serves the embedded store on 127.0.0.1, exposes metrics, exits
//! cleanly on SIGTERM, and the data survives a restart.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use store::{EventLog, Expect, OwnerId, RecordStore, RemoteConfig, RemoteStore};

/// Start the binary on an ephemeral port and return it with the address it printed.
fn start_server(data_dir: &Path, metrics: Option<SocketAddr>) -> (Child, SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_store-server"));
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(metrics) = metrics {
        command.arg("--metrics").arg(metrics.to_string());
    }
    let mut child = command.spawn().expect("spawn store-server");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("listening address");
    (child, addr)
}

/// Send SIGTERM and wait (with a deadline) for a clean exit.
fn terminate(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM failed");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            assert_eq!(
                status.signal(),
                None,
                "store-server died of a signal instead of exiting"
            );
            assert!(status.success(), "store-server exited with {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("store-server did not exit within 20 s of SIGTERM");
        }
        std::thread::yield_now();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A free loopback port for the metrics listener (the exporter binds it itself).
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

/// GET /metrics over plain HTTP/1.0, polling until the exporter is up.
fn scrape(addr: SocketAddr) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut stream = TcpStream::connect(addr)?;
            stream.set_read_timeout(Some(Duration::from_secs(5)))?;
            stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
            let mut body = String::new();
            stream.read_to_string(&mut body)?;
            Ok(body)
        })();
        match attempt {
            Ok(body) if body.contains("store_requests_total") => return body,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            other => panic!("no metrics from {addr}: {other:?}"),
        }
    }
}

#[test]
fn serves_persists_reports_metrics_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data_dir = dir.path().join("data");
    let metrics = free_port();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let me = OwnerId::new("node-a", 1);

    let (server, addr) = start_server(&data_dir, Some(metrics));
    runtime.block_on(async {
        let client = RemoteStore::connect(RemoteConfig::new(addr.to_string()))
            .await
            .expect("connect");
        let claim = client
            .claim("auction-1", &me, 0, false)
            .await
            .expect("claim");
        for seq in 1..=10u64 {
            client
                .append(
                    "auction-1",
                    &me,
                    claim.epoch,
                    seq,
                    vec![seq.to_be_bytes().to_vec()],
                )
                .await
                .expect("append");
        }
        client
            .put("users", "u1", b"alice".to_vec(), Expect::Absent)
            .await
            .expect("put");
    });
    let body = scrape(metrics);
    assert!(
        body.contains("store_requests_total")
            && body.contains("op=\"append\"")
            && body.contains("outcome=\"ok\""),
        "request counter with labels"
    );
    assert!(
        body.contains("store_append_seconds_bucket"),
        "append latency as a histogram with buckets"
    );
    assert!(
        body.contains("store_group_commit_batch_size"),
        "group commit batch sizes"
    );
    terminate(server);

    let (server, addr) = start_server(&data_dir, None);
    runtime.block_on(async {
        let client = RemoteStore::connect(RemoteConfig::new(addr.to_string()))
            .await
            .expect("reconnect");
        let events = client.read("auction-1", 1, 100).await.expect("read");
        assert_eq!(events.len(), 10, "every append survived the restart");
        for (index, event) in events.iter().enumerate() {
            let seq = index as u64 + 1;
            assert_eq!(
                (event.seq, event.epoch, event.payload.clone()),
                (seq, 1, seq.to_be_bytes().to_vec())
            );
        }
        let record = client
            .get("users", "u1")
            .await
            .expect("get")
            .expect("record survived");
        assert_eq!(record.value, b"alice");
        let ownership = client
            .ownership("auction-1")
            .await
            .expect("ownership")
            .expect("claimed");
        assert_eq!(ownership.owner, Some(me.clone()));
    });
    terminate(server);
}

#[test]
fn refuses_a_data_dir_it_cannot_use() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").expect("write a file");
    let output = Command::new(env!("CARGO_BIN_EXE_store-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&file)
        .output()
        .expect("run store-server");
    assert!(!output.status.success(), "must fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("data directory"),
        "explains the problem: {stderr}"
    );
}
