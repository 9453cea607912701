//! Tiered request limits, per client: sign-in and other auth forms per IP
//! (slows password guessing across accounts), the JSON/server-function API
//! per user or IP. Over the limit: 429 with Retry-After and a plain message.
//!
//! Counters live in this process: behind a load balancer each server counts
//! its own share, which still bounds the total to limit × servers.

use crate::{settings::RateLimitSettings, startup::AppState};
use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use services::RequestContext;
use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tier {
    Auth,
    Api,
}

/// A sliding-window log per (tier, client): exact, and small because each
/// log holds at most `limit` instants.
pub struct RateLimiter {
    auth: (u32, Duration),
    api: (u32, Duration),
    logs: Mutex<HashMap<(Tier, String), VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(s: &RateLimitSettings) -> Self {
        RateLimiter {
            auth: (s.auth_per_15_minutes, Duration::from_secs(15 * 60)),
            api: (s.api_per_minute, Duration::from_secs(60)),
            logs: Mutex::new(HashMap::new()),
        }
    }

    /// Count a request; `Err(retry_after)` when the client is over its limit.
    pub fn check(&self, tier: Tier, client: &str, now: Instant) -> Result<(), Duration> {
        let (limit, window) = match tier {
            Tier::Auth => self.auth,
            Tier::Api => self.api,
        };
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        if logs.len() > 100_000 {
            // Forget idle clients rather than grow without bound.
            logs.retain(|_, log| log.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        let log = logs.entry((tier, client.to_owned())).or_default();
        while log.front().is_some_and(|t| now.duration_since(*t) >= window) {
            log.pop_front();
        }
        if log.len() as u32 >= limit {
            let oldest = *log.front().expect("a full log is not empty");
            return Err(window.saturating_sub(now.duration_since(oldest)).max(Duration::from_secs(1)));
        }
        log.push_back(now);
        Ok(())
    }
}

fn tier_of(method: &Method, path: &str) -> Option<Tier> {
    if *method == Method::POST && path.starts_with("/auth/") && path != "/auth/logout" {
        Some(Tier::Auth)
    } else if path.starts_with("/api/") {
        Some(Tier::Api)
    } else {
        None
    }
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(tier) = tier_of(req.method(), req.uri().path()) else { return next.run(req).await };
    let ctx = req.extensions().get::<RequestContext>();
    let ip = ctx.and_then(|c| c.ip.clone()).unwrap_or_else(|| "unknown".into());
    let client = match (tier, ctx.and_then(|c| c.actor.as_ref())) {
        (Tier::Api, Some(actor)) => format!("user:{}", actor.user_id),
        _ => format!("ip:{ip}"),
    };
    match state.rate_limiter.check(tier, &client, Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(retry) => {
            tracing::warn!(?tier, client, "rate limit reached");
            let secs = retry.as_secs().max(1);
            let message = format!("Too many requests. Please wait {} and try again.", human(secs));
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, secs.to_string())], message).into_response()
        }
    }
}

fn human(secs: u64) -> String {
    if secs < 90 {
        format!("{secs} seconds")
    } else {
        format!("{} minutes", secs.div_ceil(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_allows_the_limit_then_says_when_to_retry() {
        let limiter = RateLimiter::new(&RateLimitSettings { auth_per_15_minutes: 3, api_per_minute: 100 });
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check(Tier::Auth, "ip:1", t0 + Duration::from_secs(i)).is_ok());
        }
        let retry = limiter.check(Tier::Auth, "ip:1", t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(retry, Duration::from_secs(15 * 60 - 10));
        assert!(limiter.check(Tier::Auth, "ip:2", t0).is_ok(), "clients are counted apart");
        assert!(limiter.check(Tier::Api, "ip:1", t0).is_ok(), "tiers are counted apart");
        assert!(limiter.check(Tier::Auth, "ip:1", t0 + Duration::from_secs(15 * 60)).is_ok(), "the window slides");
    }

    #[test]
    fn tiers() {
        assert_eq!(tier_of(&Method::POST, "/auth/login"), Some(Tier::Auth));
        assert_eq!(tier_of(&Method::POST, "/auth/logout"), None);
        assert_eq!(tier_of(&Method::POST, "/api/load_project1"), Some(Tier::Api));
        assert_eq!(tier_of(&Method::GET, "/projects"), None);
        assert_eq!(human(30), "30 seconds");
        assert_eq!(human(600), "10 minutes");
    }
}
