//! Writing one validated batch inside the caller's transaction: the events, their Merkle
//! nodes, the trace index, the derived rows of everything the batch changed, and the new tree
//! head signed by the log key.

use rusqlite::params;

use crate::envelope::HeadSigner;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Applied, State};
use crate::ledger::{Body, SignedEvent};
use crate::merkle::{Frontier, checkpoint_body, leaf_hash};
use crate::store::Db;
use crate::store::derived::{self, Dirty, stock_key};

fn seq_col(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| {
        Error::new(ErrorKind::Internal {
            detail: format!("position {seq} does not fit a 64-bit column"),
        })
    })
}

/// What an event changed besides stocks (its stocks are in `Applied::stocks`).
fn mark_dirty(dirty: &mut Dirty, event: &SignedEvent) {
    match &event.event.body {
        Body::RegisterSite(b) => {
            dirty.sites.insert(b.site.id.clone());
        }
        Body::RegisterActor(b) => {
            dirty.actors.insert(b.subject.id.clone());
        }
        Body::AddKey(b) => {
            dirty.actors.insert(b.subject.clone());
        }
        Body::RevokeKey(b) => {
            dirty.actors.insert(b.subject.clone());
        }
        Body::RulesInForce(_) => dirty.rules = true,
        _ => {}
    }
}

pub(crate) fn write_batch(
    db: &Db,
    events: &[SignedEvent],
    applied: &[Applied],
    state: &State,
    frontier: &mut Frontier,
    signer: &dyn HeadSigner,
) -> Result<()> {
    let conn = &db.conn;
    // `state` already holds the batch: its events are numbered from where the file ends.
    let base = state.event_count().saturating_sub(events.len() as u64);
    let mut dirty = Dirty::default();
    let mut nodes = Vec::with_capacity(events.len() * 2 + 32);
    {
        let mut ins = conn
            .prepare_cached(
                "INSERT INTO events (seq, id, kind, at, actor, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(db.err("writing events"))?;
        let mut touch = conn
            .prepare_cached("INSERT OR IGNORE INTO touches (kind, stock, seq) VALUES (?1, ?2, ?3)")
            .map_err(db.err("writing the trace index"))?;
        for (i, (ev, a)) in events.iter().zip(applied).enumerate() {
            let seq = seq_col(base + i as u64)?;
            let json = ev.to_json();
            ins.execute(params![
                seq,
                ev.id.as_bytes().as_slice(),
                ev.kind(),
                ev.event.at.as_str(),
                ev.event.actor.as_str(),
                json.as_bytes()
            ])
            .map_err(db.err("writing events"))?;
            nodes.extend(frontier.push(leaf_hash(&ev.id)));
            for stock in &a.stocks {
                let (kind, id) = stock_key(stock);
                touch
                    .execute(params![kind, id, seq])
                    .map_err(db.err("writing the trace index"))?;
            }
            // A stock created here that no earlier event of the batch mentioned did not
            // exist when the batch began (an id is registered once), so the file holds no
            // rows of it. One that did (un-registered by a correction, then registered
            // again in the batch) may have rows, and is compared with them as usual.
            for stock in a.created() {
                if !dirty.stocks.contains(stock) {
                    dirty.fresh.insert(stock.clone());
                }
            }
            dirty.stocks.extend(a.stocks.iter().cloned());
            dirty.stocks.extend(a.removed.iter().cloned());
            mark_dirty(&mut dirty, ev);
        }
    }
    crate::store::nodes::write_nodes(conn, db.nodes, &mut nodes)
        .map_err(db.err("writing nodes"))?;
    derived::write(conn, state, &dirty)?;
    let (size, root) = (frontier.size(), frontier.root());
    let sig = signer.sign(checkpoint_body(&db.origin, size, &root).as_bytes())?;
    let size = seq_col(size)?;
    conn.prepare_cached("INSERT OR REPLACE INTO tree_heads (size, root, sig) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(params![size, root.as_slice(), sig.as_slice()]))
        .map_err(db.err("writing the tree head"))?;
    Ok(())
}

/// Signs and stores the head of the empty tree (at creation).
pub(crate) fn write_empty_head(db: &Db, signer: &dyn HeadSigner) -> Result<()> {
    let root = crate::merkle::empty_root();
    let sig = signer.sign(checkpoint_body(&db.origin, 0, &root).as_bytes())?;
    db.conn
        .execute(
            "INSERT OR REPLACE INTO tree_heads (size, root, sig) VALUES (0, ?1, ?2)",
            params![root.as_slice(), sig.as_slice()],
        )
        .map_err(db.err("writing the first tree head"))?;
    Ok(())
}
