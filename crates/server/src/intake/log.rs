//! The intake log's appender: callers hand it entries and wait; one task writes whatever has
//! queued up in a single transaction (one fsync for many events: group commit) and then tells
//! every waiting caller. A caller answers 202 only after its entries are durable.

use std::sync::Arc;

use mayday_store::{NewIntakeEntry, Store, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

/// Most entries written in one transaction.
const MAX_GROUP: usize = 4_000;

struct Request {
    entries: Vec<NewIntakeEntry>,
    done: oneshot::Sender<StoreResult<()>>,
}

/// A handle to the appender task.
#[derive(Clone)]
pub struct Appender {
    tx: mpsc::Sender<Request>,
}

impl Appender {
    /// Starts the appender task on `store`; `after_write` runs after each durable write.
    pub fn start(store: Arc<dyn Store>, after_write: impl Fn() + Send + 'static) -> Self {
        let (tx, rx) = mpsc::channel(16_384);
        tokio::spawn(run(store, rx, after_write));
        Self { tx }
    }

    /// Appends entries (all or none) and returns once they are durable.
    pub async fn append(&self, entries: Vec<NewIntakeEntry>) -> StoreResult<()> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Request { entries, done })
            .await
            .map_err(|_| StoreError::Backend("the intake log is shut down".into()))?;
        wait.await
            .map_err(|_| StoreError::Backend("the intake log stopped before writing".into()))?
    }
}

async fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Request>,
    after_write: impl Fn() + Send + 'static,
) {
    let mut group: Vec<Request> = Vec::new();
    let mut entries: Vec<NewIntakeEntry> = Vec::new();
    while let Some(first) = rx.recv().await {
        group.push(first);
        let mut count = group[0].entries.len();
        while count < MAX_GROUP {
            match rx.try_recv() {
                Ok(r) => {
                    count += r.entries.len();
                    group.push(r);
                }
                Err(_) => break,
            }
        }
        entries.clear();
        for r in &mut group {
            entries.append(&mut r.entries);
        }
        let result = store.append_intake(&entries).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, events = entries.len(), "appending to the intake log failed");
        }
        for r in group.drain(..) {
            let answer = match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Backend(e.to_string())),
            };
            // The caller may have gone away (client disconnected); its entries are durable anyway.
            let _ = r.done.send(answer);
        }
        if result.is_ok() {
            after_write();
        }
    }
}
