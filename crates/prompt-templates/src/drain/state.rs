//! Persisting the miner: its config, counters and templates (in creation order). The prefix
//! tree, LRU order and derived vectors are rebuilt on restore, so a state cannot carry an
//! inconsistent index; a state that fails validation is refused, never half-loaded.

use std::collections::HashSet;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::cluster::Cluster;
use super::{Config, TemplateMiner};

const VERSION: u32 = 1;

#[derive(Serialize)]
struct StateRef<'a> {
    version: u32,
    config: &'a Config,
    tick: u64,
    seq: u64,
    clusters: Vec<&'a Cluster>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    version: u32,
    config: Config,
    tick: u64,
    seq: u64,
    clusters: Vec<Cluster>,
}

impl Serialize for TemplateMiner {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut clusters: Vec<&Cluster> = self.clusters.values().collect();
        clusters.sort_by_key(|c| c.seq);
        StateRef { version: VERSION, config: &self.config, tick: self.tick, seq: self.seq, clusters }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for TemplateMiner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let state = State::deserialize(d)?;
        restore(state).map_err(D::Error::custom)
    }
}

fn restore(state: State) -> Result<TemplateMiner, String> {
    if state.version != VERSION {
        return Err(format!("template miner state version {} (expected {VERSION})", state.version));
    }
    let mut miner = TemplateMiner::new(state.config);
    let mut seen = HashSet::new();
    let mut clusters = state.clusters;
    clusters.sort_by_key(|c| c.seq);
    for mut c in clusters {
        if !c.is_consistent() {
            return Err(format!("template {} has tokens outside its text", c.id));
        }
        if !seen.insert(c.id) {
            return Err(format!("template {} appears twice", c.id));
        }
        c.derive();
        miner.tick = miner.tick.max(c.last_seen);
        miner.seq = miner.seq.max(c.seq);
        miner.insert(c);
    }
    miner.tick = miner.tick.max(state.tick);
    miner.seq = miner.seq.max(state.seq);
    while miner.clusters.len() > miner.config.max_clusters && miner.evict_one() {}
    Ok(miner)
}
