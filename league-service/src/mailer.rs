//! Delivering sign-in links: a pluggable [`Mailer`].
//!
//! No email service is reachable in the pilot, so the default is the [`OutboxMailer`]: it
//! records every mail in the store's `outbox` table and in the log (target `mail_outbox`), from
//! where the pilot operator forwards links by hand and tests pick them up. A real SMTP or API
//! mailer implements the same trait. Links are **never** returned to whoever asked for them
//! (the predecessor did, which let anyone sign in as anyone) — except in the gateway's explicit
//! `--dev-login` mode.

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use league::model::Email;
use serde::{Deserialize, Serialize};

use crate::records::{Records, tables};

/// What a mail is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// A sign-in link.
    SignIn,
    /// A sign-in link that also completes joining a league (an invite for an existing account).
    SignInToJoin,
}

/// One mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    /// Recipient.
    pub to: Email,
    /// What it is for.
    pub kind: MailKind,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (contains the link).
    pub body: String,
    /// The link itself.
    pub link: String,
    /// When it was sent (ms since the epoch).
    pub sent_at: i64,
}

/// A mail that could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MailError(pub String);

/// Sends mail.
#[async_trait]
pub trait Mailer: Send + Sync + Debug {
    /// Send one mail.
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
}

/// Records mail in the store's `outbox` table and in the log instead of sending it.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    records: Records,
}

impl OutboxMailer {
    /// An outbox in `records`' store.
    pub fn new(records: Records) -> OutboxMailer {
        OutboxMailer { records }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let suffix: u32 = rand::random();
        let key = format!("{:013}-{suffix:08x}", mail.sent_at.max(0));
        self.records
            .put_any(tables::OUTBOX, &key, &mail)
            .await
            .map_err(|error| MailError(error.to_string()))?;
        tracing::info!(
            target: "mail_outbox",
            to = %mail.to,
            kind = ?mail.kind,
            outbox_key = %key,
            link = %mail.link,
            "mail recorded in the outbox (no mail service): deliver this link to its recipient"
        );
        Ok(())
    }
}

/// Keeps mail in memory (tests and tools).
#[derive(Debug, Clone, Default)]
pub struct MemoryMailer {
    sent: Arc<Mutex<Vec<Mail>>>,
}

impl MemoryMailer {
    /// An empty mailbox.
    pub fn new() -> MemoryMailer {
        MemoryMailer::default()
    }

    /// Every mail sent so far.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The most recent mail to `to`, if any.
    pub fn last_to(&self, to: &str) -> Option<Mail> {
        self.sent()
            .into_iter()
            .rev()
            .find(|mail| mail.to.as_str() == to)
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        self.sent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(mail);
        Ok(())
    }
}
