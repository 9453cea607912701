//! Online template mining of LLM system prompts (issue 14, "trace analysis", first part).
//!
//! ```text
//! system prompt ──mask──▶ tokens with typed placeholders ──TemplateMiner::add──▶ TemplateId (+ template, changed)
//! TemplateId + model + temperature + max_tokens + tools ──Fingerprint::of──▶ SHA-256 hex id
//! per fingerprint (or call site): History::observe(Observation) ──▶ Classification
//! ```
//!
//! - [`mask`]: one linear pass that tokenises a prompt (whitespace words; CJK one character per
//!   token) and replaces its variable parts — numbers, ids, emails, URLs, dates, quoted text,
//!   retrieved-context blocks — with typed placeholders such as `<NUM>` and `<CONTEXT>`.
//! - [`drain`]: [`TemplateMiner`], a Drain-style online miner (fixed-depth prefix tree for
//!   candidate search) that compares and merges by longest common subsequence, as Spell does, so
//!   fillers of different lengths do not break alignment. Ids are stable, state is serde.
//! - [`fingerprint`]: [`Fingerprint`], SHA-256 over the canonical template id, model, sampling
//!   settings and tool definitions.
//! - [`classify`]: [`History`] → [`Classification`] (stable_template, unstable, ad_hoc, pending).
//! - [`corpus`] and [`metrics`]: a seeded labelled corpus and purity/completeness, used by
//!   `tests/quality.rs` and `benches/mining.rs`.
//!
//! Pure and synchronous: no I/O, no clock (callers pass timestamps).

pub mod classify;
pub mod corpus;
pub mod drain;
pub mod fingerprint;
mod hash;
pub mod mask;
pub mod metrics;

pub use classify::{Classification, History, Observation};
pub use drain::{Config, TemplateId, TemplateMatch, TemplateMiner};
pub use fingerprint::Fingerprint;
