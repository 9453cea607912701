use serde::{Deserialize, Serialize};

/// The three storage ports; `/readyz` reports one line per port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Primary,
    Analytics,
    Blob,
}

impl StoreKind {
    pub fn label(self) -> &'static str {
        match self {
            StoreKind::Primary => "Primary store",
            StoreKind::Analytics => "Analytics store",
            StoreKind::Blob => "Blob store",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreHealth {
    pub store: StoreKind,
    /// Which adapter serves the port, e.g. "sqlite", "postgres", "s3".
    pub backend: String,
    pub up: bool,
    pub latency_ms: f64,
    /// Why the store is down; a short, non-secret message.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadinessReport {
    pub ready: bool,
    pub stores: Vec<StoreHealth>,
    /// When the check ran, Unix milliseconds.
    pub checked_at_ms: i64,
    /// Backends, latencies and reasons are shown (to admins); see [`ReadinessReport::redacted`].
    #[serde(default)]
    pub detailed: bool,
}

impl ReadinessReport {
    pub fn from_checks(stores: Vec<StoreHealth>, checked_at_ms: i64) -> Self {
        let ready = stores.iter().all(|s| s.up);
        ReadinessReport { ready, stores, checked_at_ms, detailed: true }
    }

    /// What anyone may see: each port up or down, not which backend serves it, how fast, or why
    /// it failed (that names the deployment to a stranger).
    pub fn redacted(self) -> Self {
        let stores = self
            .stores
            .into_iter()
            .map(|s| StoreHealth { store: s.store, backend: String::new(), up: s.up, latency_ms: 0.0, error: None })
            .collect();
        ReadinessReport { stores, detailed: false, ..self }
    }

    /// `HH:MM:SS UTC` of the check, for people.
    pub fn checked_at_label(&self) -> String {
        let secs = self.checked_at_ms.div_euclid(1000).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02} UTC", secs / 3600, secs / 60 % 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(up: bool) -> StoreHealth {
        StoreHealth { store: StoreKind::Blob, backend: "file".into(), up, latency_ms: 1.0, error: None }
    }

    #[test]
    fn ready_only_when_every_store_is_up() {
        assert!(ReadinessReport::from_checks(vec![h(true), h(true)], 0).ready);
        assert!(!ReadinessReport::from_checks(vec![h(true), h(false)], 0).ready);
        assert_eq!(ReadinessReport::from_checks(vec![], 3_723_004).checked_at_label(), "01:02:03 UTC");
    }

    #[test]
    fn the_redacted_report_names_no_backend() {
        let down = StoreHealth { error: Some("unreachable".into()), ..h(false) };
        let r = ReadinessReport::from_checks(vec![h(true), down], 5).redacted();
        assert!(!r.ready && !r.detailed);
        assert_eq!(r.stores.iter().map(|s| s.up).collect::<Vec<_>>(), [true, false]);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("file") && !json.contains("unreachable"), "{json}");
    }
}
