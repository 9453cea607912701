//! The hash-chained audit log: appends, concurrency, the audit screen's
//! filters and keyset pages, and tampering with stored rows.

use super::NOW;
use crate::backends::RawSql;
use domain::{
    audit::{entry_hash, GENESIS_HASH},
    AuditRecord,
};
use serde_json::json;
use services::ports::{AuditEntry, AuditFilter, PrimaryStore};
use std::{collections::BTreeSet, sync::Arc};

fn record(n: i64, action: &str) -> AuditRecord {
    AuditRecord {
        time_ms: NOW + n,
        actor_user_id: Some(format!("user-{}", n % 3)),
        actor_label: format!("user{}@example.com", n % 3),
        action: action.into(),
        entity_type: if n % 2 == 0 { "project" } else { "member" }.into(),
        entity_id: format!("entity-{n}"),
        project_id: (n % 4 != 0).then(|| format!("project-{}", n % 2)),
        old_value: (n % 2 == 1).then(|| json!({ "role": "editor" })),
        new_value: Some(json!({ "n": n, "name": "Zoë", "nested": { "z": [1, 2.5, null], "a": true } })),
        ip: Some("203.0.113.7".into()),
        user_agent: Some("Mozilla/5.0".into()),
        request_id: Some(format!("req-{n}")),
    }
}

/// The whole chain, read in small pages (so paging is exercised too).
async fn chain(store: &dyn PrimaryStore) -> Vec<AuditEntry> {
    let mut all: Vec<AuditEntry> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.seq);
        let page = store.audit_chain(after, 4).await.expect("audit chain");
        assert!(page.len() <= 4, "at most `limit` entries");
        let done = page.len() < 4;
        all.extend(page);
        if done {
            return all;
        }
    }
}

/// Recompute the chain: the seq of the first entry whose position, link or
/// hash is wrong (what `verify-audit` reports), `None` when intact.
async fn first_broken_seq(store: &dyn PrimaryStore) -> Option<i64> {
    let (mut seq, mut prev_hash) = (0, GENESIS_HASH.to_owned());
    for e in chain(store).await {
        if e.seq != seq + 1 || e.prev_hash != prev_hash || e.hash != entry_hash(&prev_hash, e.seq, &e.record) {
            return Some(seq + 1);
        }
        (seq, prev_hash) = (e.seq, e.hash);
    }
    None
}

async fn append_n(store: &dyn PrimaryStore, n: i64) -> Vec<AuditEntry> {
    let mut entries = Vec::new();
    for i in 1..=n {
        entries.push(store.append_audit(record(i, "project.update")).await.expect("append"));
    }
    entries
}

pub async fn audit_entries_chain_from_genesis(store: Arc<dyn PrimaryStore>) {
    assert_eq!(store.audit_chain(0, 10).await.unwrap(), vec![], "empty log");
    assert_eq!(first_broken_seq(&*store).await, None);
    let records = [record(1, "user.login"), record(2, "project.create"), record(3, "member.add")];
    let mut appended = Vec::new();
    for r in records.clone() {
        appended.push(store.append_audit(r).await.expect("append"));
    }

    let mut prev_hash = GENESIS_HASH.to_owned();
    for (i, (entry, r)) in appended.iter().zip(&records).enumerate() {
        let seq = i as i64 + 1;
        assert_eq!((entry.seq, &entry.record), (seq, r), "seqs run 1, 2, 3 and keep the record");
        assert_eq!(entry.prev_hash, prev_hash, "entry {seq} links to the previous hash (the first to GENESIS_HASH)");
        assert_eq!(entry.hash, entry_hash(&prev_hash, seq, r), "entry {seq}'s own hash");
        prev_hash = entry.hash.clone();
    }
    assert_eq!(chain(&*store).await, appended, "stored exactly as returned: JSON values and all");
    assert_eq!(store.audit_chain(1, 1).await.unwrap(), vec![appended[1].clone()], "after seq 1, one entry");
    assert_eq!(store.audit_chain(3, 10).await.unwrap(), vec![]);
    assert_eq!(first_broken_seq(&*store).await, None, "an untouched chain verifies");

    let bare = AuditRecord {
        actor_user_id: None,
        project_id: None,
        old_value: None,
        new_value: None,
        ip: None,
        user_agent: None,
        request_id: None,
        ..record(4, "system.start")
    };
    let fourth = store.append_audit(bare.clone()).await.unwrap();
    assert_eq!(store.audit_chain(3, 10).await.unwrap(), vec![fourth], "empty optional fields round-trip as None");
    assert_eq!(first_broken_seq(&*store).await, None);
}

pub async fn concurrent_appends_never_fork_the_chain(store: Arc<dyn PrimaryStore>) {
    const APPENDS: i64 = 50;
    let tasks: Vec<_> = (1..=APPENDS)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move { store.append_audit(record(n, "concurrent")).await.expect("append").seq })
        })
        .collect();
    let seqs: BTreeSet<i64> = futures::future::join_all(tasks).await.into_iter().map(|t| t.expect("task")).collect();
    assert_eq!(seqs, (1..=APPENDS).collect(), "every append got its own seq, no gaps");

    let entries = chain(&*store).await;
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=APPENDS).collect::<Vec<_>>());
    let entity_ids: BTreeSet<&str> = entries.iter().map(|e| e.record.entity_id.as_str()).collect();
    assert_eq!(entity_ids.len(), APPENDS as usize, "every record stored once");
    assert_eq!(first_broken_seq(&*store).await, None, "one chain, no forks");
}

/// Which records an audit filter should select.
type Selects = Box<dyn Fn(&AuditRecord) -> bool>;

/// Every page of `filter`, `limit` at a time, following `before_seq`.
async fn all_pages(store: &dyn PrimaryStore, filter: &AuditFilter, limit: u32) -> Vec<AuditEntry> {
    let mut all: Vec<AuditEntry> = Vec::new();
    loop {
        let before = all.last().map(|e| e.seq);
        let page = store.list_audit(filter, before, limit).await.expect("list audit");
        assert!(page.len() <= limit as usize);
        let done = page.len() < limit as usize;
        all.extend(page);
        if done {
            return all;
        }
    }
}

pub async fn audit_is_filtered_and_paged_newest_first(store: Arc<dyn PrimaryStore>) {
    const ENTRIES: i64 = 30;
    let actions = ["user.login", "project.update", "member.add"];
    let mut entries = Vec::new();
    for n in 1..=ENTRIES {
        entries.push(store.append_audit(record(n, actions[(n % 3) as usize])).await.unwrap());
    }
    let newest_first =
        |keep: &dyn Fn(&AuditRecord) -> bool| -> Vec<AuditEntry> { entries.iter().rev().filter(|e| keep(&e.record)).cloned().collect() };

    let filters: Vec<(AuditFilter, Selects)> = vec![
        (AuditFilter::default(), Box::new(|_| true)),
        (
            AuditFilter { actor_user_id: Some("user-1".into()), ..Default::default() },
            Box::new(|r| r.actor_user_id.as_deref() == Some("user-1")),
        ),
        (AuditFilter { action: Some("member.add".into()), ..Default::default() }, Box::new(|r| r.action == "member.add")),
        (AuditFilter { entity_type: Some("project".into()), ..Default::default() }, Box::new(|r| r.entity_type == "project")),
        (
            AuditFilter { project_id: Some("project-1".into()), ..Default::default() },
            Box::new(|r| r.project_id.as_deref() == Some("project-1")),
        ),
        (
            AuditFilter { from_ms: Some(NOW + 5), to_ms: Some(NOW + 20), ..Default::default() },
            Box::new(|r| (NOW + 5..NOW + 20).contains(&r.time_ms)),
        ),
        (
            AuditFilter {
                actor_user_id: Some("user-2".into()),
                action: Some("member.add".into()),
                entity_type: Some("member".into()),
                project_id: Some("project-1".into()),
                from_ms: Some(NOW + 2),
                to_ms: Some(NOW + 30),
            },
            Box::new(|r| {
                r.actor_user_id.as_deref() == Some("user-2")
                    && r.action == "member.add"
                    && r.entity_type == "member"
                    && r.project_id.as_deref() == Some("project-1")
                    && (NOW + 2..NOW + 30).contains(&r.time_ms)
            }),
        ),
        (AuditFilter { action: Some("nothing.matches".into()), ..Default::default() }, Box::new(|_| false)),
    ];
    for (filter, keep) in &filters {
        let expected = newest_first(keep.as_ref());
        assert!(filter.action.as_deref() == Some("nothing.matches") || !expected.is_empty(), "filter {filter:?} selects something");
        for limit in [1, 7, 100] {
            assert_eq!(all_pages(&*store, filter, limit).await, expected, "filter {filter:?}, {limit} a page: each row once, newest first");
        }
    }

    let page = store.list_audit(&AuditFilter::default(), Some(11), 3).await.unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [10, 9, 8], "before_seq is exclusive");
    assert_eq!(store.list_audit(&AuditFilter::default(), Some(1), 3).await.unwrap(), vec![], "nothing before the first entry");
}

pub async fn edited_audit_row_breaks_the_chain(store: Arc<dyn PrimaryStore>, sql: RawSql) {
    append_n(&*store, 5).await;
    assert_eq!(first_broken_seq(&*store).await, None);

    assert_eq!(sql.execute("UPDATE audit_log SET action = 'project.harmless' WHERE seq = 3").await, 1);
    assert_eq!(first_broken_seq(&*store).await, Some(3), "an edited row no longer matches its hash");

    // An attacker who also rewrites that row's hash still breaks the next link.
    let edited = store.audit_chain(2, 1).await.unwrap().remove(0);
    let rehashed = entry_hash(&edited.prev_hash, 3, &edited.record);
    assert_eq!(sql.execute(&format!("UPDATE audit_log SET hash = '{rehashed}' WHERE seq = 3")).await, 1);
    assert_eq!(first_broken_seq(&*store).await, Some(4), "the next entry chains from the original hash");
}

pub async fn deleted_audit_row_breaks_the_chain(store: Arc<dyn PrimaryStore>, sql: RawSql) {
    append_n(&*store, 5).await;
    assert_eq!(sql.execute("DELETE FROM audit_log WHERE seq = 3").await, 1);
    assert_eq!(first_broken_seq(&*store).await, Some(3), "a gap in the chain");

    // Renumbering the rest to close the gap leaves seq 3's link broken.
    sql.execute("UPDATE audit_log SET seq = seq - 1 WHERE seq = 4").await;
    sql.execute("UPDATE audit_log SET seq = seq - 1 WHERE seq = 5").await;
    assert_eq!(chain(&*store).await.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(first_broken_seq(&*store).await, Some(3));
    // (Cutting off the newest entries leaves a shorter chain that verifies:
    // only a head recorded elsewhere can catch that.)
}

pub async fn reordered_audit_rows_break_the_chain(store: Arc<dyn PrimaryStore>, sql: RawSql) {
    append_n(&*store, 5).await;
    // Swap rows 2 and 3 (through a free seq, as seq is the primary key).
    for statement in [
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2",
        "UPDATE audit_log SET seq = 2 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 1000",
    ] {
        assert_eq!(sql.execute(statement).await, 1, "{statement}");
    }
    assert_eq!(chain(&*store).await.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    assert_eq!(first_broken_seq(&*store).await, Some(2), "reordered rows break the chain where they moved");
}
