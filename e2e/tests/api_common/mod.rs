//! Shared by the `api_*` tests: a gateway process started with `--dev-login` (the harness's own
//! gateways have no such flag), an HTTP client that checks every answer against
//! `docs/openapi.json` (the status must be one the document lists for that operation, and every
//! error must be the API's JSON error with a sentence), sign-in, and websocket helpers.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use auction::AuctionId;
use e2e::{COOKIE, Harness, JWT_SECRET, bin_dir, free_port};
use loadtest::client::{Client, answers};
use protocol::client::{AuctionCommand, ClientFrame, ServerFrame};
use protocol::codec::Encoding;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::time::Instant;

/// How long any single wait may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// A gateway process with extra flags (`--dev-login` by default), killed on drop.
#[derive(Debug)]
pub struct Gateway {
    child: Option<Child>,
    /// Its HTTP port.
    pub port: u16,
    log: PathBuf,
}

impl Gateway {
    /// Starts a gateway against the harness's store and nodes.
    pub async fn start(harness: &Harness, id: &str, extra: &[&str]) -> Gateway {
        let port = free_port();
        let seeds: Vec<String> = harness
            .nodes
            .values()
            .map(|ports| format!("127.0.0.1:{}", ports.cluster))
            .collect();
        let log = harness.dir.path().join(format!("{id}.log"));
        let file = std::fs::File::create(&log).expect("a log file");
        let mut args: Vec<String> = vec![
            "--gateway-id".into(),
            id.into(),
            "--http".into(),
            format!("127.0.0.1:{port}"),
            "--cluster-port".into(),
            free_port().to_string(),
            "--nodes".into(),
            seeds.join(","),
            "--store".into(),
            format!("remote:127.0.0.1:{}", harness.store_port),
            "--cookie".into(),
            COOKIE.into(),
            "--jwt-secret".into(),
            JWT_SECRET.into(),
            "--public-url".into(),
            format!("http://127.0.0.1:{port}"),
        ];
        args.extend(extra.iter().map(|flag| (*flag).to_owned()));
        let child = Command::new(bin_dir().join("gateway"))
            .args(&args)
            .env("AUCTION_LOG_FORMAT", "pretty")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("the gateway binary runs (cargo build --workspace --bins)");
        let gateway = Gateway {
            child: Some(child),
            port,
            log,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = client
                .get(format!("http://127.0.0.1:{port}/readyz"))
                .send()
                .await
                && response.status().is_success()
            {
                return gateway;
            }
            assert!(
                Instant::now() < deadline,
                "gateway {id} not ready; log:\n{}",
                gateway.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything it logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its websocket URL.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// An HTTP client for it.
    pub fn http(&self) -> Http {
        Http::new(self.port)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let lines: Vec<&str> = log.lines().collect();
            eprintln!(
                "===== dev gateway (last 60 lines) =====\n{}",
                lines[lines.len().saturating_sub(60)..].join("\n")
            );
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A store, one node and a `--dev-login` gateway.
pub struct World {
    /// The processes (store, node).
    pub harness: Harness,
    /// The gateway.
    pub gateway: Gateway,
    /// Its client.
    pub http: Http,
}

/// Starts a [`World`].
pub async fn world() -> World {
    let mut harness = Harness::start().await.expect("the store server starts");
    harness.start_node("node-1").await.expect("the node starts");
    let gateway = Gateway::start(&harness, "gw-api", &["--dev-login"]).await;
    let http = gateway.http();
    World {
        harness,
        gateway,
        http,
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    /// None.
    Empty,
    /// JSON.
    Json(Value),
    /// A CSV file.
    Csv(Vec<u8>),
}

/// An answer.
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as text.
    pub text: String,
    /// The body as JSON (`Null` if it is not).
    pub json: Value,
}

impl Reply {
    /// `error.code` of an error answer.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }

    /// `error.message` of an error answer.
    pub fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or_default()
    }

    /// Asserts the status, showing the body if it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        self
    }
}

/// An HTTP client that checks every answer against the OpenAPI document.
#[derive(Debug, Clone)]
pub struct Http {
    base: String,
    client: reqwest::Client,
    doc: Value,
}

impl Http {
    /// A client for the gateway on `port`.
    pub fn new(port: u16) -> Http {
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json"),
            )
            .expect("docs/openapi.json"),
        )
        .expect("docs/openapi.json is JSON");
        Http {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(WAIT)
                .build()
                .expect("a client"),
            doc,
        }
    }

    /// The OpenAPI document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// Sends a request and checks the answer against the document.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Body) -> Reply {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request
                .header("content-type", "application/json")
                .body(value.to_string()),
            Body::Csv(bytes) => request.header("content-type", "text/csv").body(bytes),
        };
        let response = request.send().await.expect("the gateway answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let reply = Reply {
            status,
            headers,
            text,
            json,
        };
        self.check(&method, path, &reply);
        reply
    }

    fn check(&self, method: &Method, path: &str, reply: &Reply) {
        let path = path.split('?').next().unwrap_or(path);
        let template = self
            .template_of(path)
            .unwrap_or_else(|| panic!("{method} {path} is not in docs/openapi.json"));
        let responses = &self.doc["paths"][&template][method.as_str().to_lowercase()]["responses"];
        assert!(
            responses.get(reply.status.to_string()).is_some(),
            "{method} {path} answered {}, which docs/openapi.json does not list for {template}: {}",
            reply.status,
            reply.text
        );
        // The API's own routes (not the websocket upgrade or the operations endpoints).
        if reply.status >= 400 && path.starts_with("/api/") {
            let message = reply.message();
            assert!(
                !reply.code().is_empty() && message.ends_with('.'),
                "{method} {path}: errors are {{\"error\": {{\"code\", \"message\"}}}} with a sentence: {}",
                reply.text
            );
        }
    }

    /// The document's path template matching a concrete path (literal segments win).
    fn template_of(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, String)> = None;
        for template in self.doc["paths"].as_object()?.keys() {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                continue;
            }
            let mut literal = 0;
            let matches = parts.iter().zip(&segments).all(|(part, segment)| {
                if part.starts_with('{') {
                    !segment.is_empty()
                } else {
                    literal += 1;
                    part == segment
                }
            });
            if matches && best.as_ref().is_none_or(|(score, _)| literal > *score) {
                best = Some((literal, template.clone()));
            }
        }
        best.map(|(_, template)| template)
    }

    /// GET.
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, Body::Empty).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Body::Json(body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::POST, path, token, Body::Empty).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PUT, path, token, Body::Json(body)).await
    }

    /// PUT a CSV file.
    pub async fn put_csv(&self, path: &str, token: Option<&str>, csv: impl Into<Vec<u8>>) -> Reply {
        self.call(Method::PUT, path, token, Body::Csv(csv.into()))
            .await
    }

    /// POST a CSV file.
    pub async fn post_csv(
        &self,
        path: &str,
        token: Option<&str>,
        csv: impl Into<Vec<u8>>,
    ) -> Reply {
        self.call(Method::POST, path, token, Body::Csv(csv.into()))
            .await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PATCH, path, token, Body::Json(body))
            .await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::DELETE, path, token, Body::Empty).await
    }

    /// Signs `email` in through a dev-login gateway: returns (session token, user id).
    pub async fn sign_in(&self, email: &str, name: &str) -> (String, String) {
        let asked = self
            .post(
                "/api/auth/magic-link",
                None,
                json!({ "email": email, "name": name }),
            )
            .await
            .expect(202);
        let token = asked.json["dev_link"]["token"]
            .as_str()
            .expect("a dev-login gateway returns the link")
            .to_owned();
        let session = self
            .post("/api/auth/redeem", None, json!({ "token": token }))
            .await
            .expect(200);
        (
            session.json["token"].as_str().expect("a token").to_owned(),
            session.json["user"]["id"]
                .as_str()
                .expect("an id")
                .to_owned(),
        )
    }

    /// Creates a league; returns its id.
    pub async fn league(&self, token: &str, body: Value) -> String {
        let created = self
            .post("/api/leagues", Some(token), body)
            .await
            .expect(201);
        created.json["id"].as_str().expect("an id").to_owned()
    }

    /// Creates an invite; returns its code.
    pub async fn invite(&self, token: &str, league: &str, role: &str) -> String {
        let created = self
            .post(
                &format!("/api/leagues/{league}/invites"),
                Some(token),
                json!({ "role": role }),
            )
            .await
            .expect(201);
        created.json["code"].as_str().expect("a code").to_owned()
    }

    /// Accepts an invite as a signed-in user.
    pub async fn join(&self, token: &str, code: &str) -> Reply {
        self.post("/api/invites/accept", Some(token), json!({ "code": code }))
            .await
    }
}

/// A websocket client signed in with `token`.
pub async fn connect(url: &str, token: &str) -> Client {
    let mut client = Client::connect(url, Encoding::Json)
        .await
        .expect("the websocket connects");
    client.hello(token, WAIT).await.expect("hello is welcomed");
    client
}

/// Subscribes; returns the snapshot, or the error frame that refused it.
pub async fn subscribe(client: &mut Client, auction: &AuctionId) -> ServerFrame {
    client
        .send(&ClientFrame::Subscribe {
            auction_id: auction.clone(),
            after_seq: None,
        })
        .await
        .expect("subscribe sent");
    client
        .recv_until(
            WAIT,
            "a snapshot or an error",
            |frame| {
                matches!(
                    frame,
                    ServerFrame::Snapshot { .. } | ServerFrame::Error { .. }
                )
                .then(|| frame.clone())
            },
            |_| {},
        )
        .await
        .expect("an answer to subscribe")
}

/// Sends a command and waits for its answer.
pub async fn command(
    client: &mut Client,
    auction: &AuctionId,
    command: AuctionCommand,
) -> ServerFrame {
    let request_id = client.command(auction, command).await.expect("sent");
    client
        .recv_until(
            WAIT,
            "the command's answer",
            |frame| (answers(frame) == Some(request_id)).then(|| frame.clone()),
            |_| {},
        )
        .await
        .expect("an answer")
}
