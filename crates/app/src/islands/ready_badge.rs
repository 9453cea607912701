use crate::api::check_readiness;
use domain::ReadinessReport;
use leptos::prelude::*;

/// Live health of the stores: rendered on the server with the first check,
/// re-checked in place through the `check_readiness` server function.
#[island]
pub fn ReadyBadge(initial: ReadinessReport) -> impl IntoView {
    let report = RwSignal::new(initial);
    let failed = RwSignal::new(None::<String>);
    let hydrated = RwSignal::new(false);
    // Effects only run in the browser: this marks the island as live.
    Effect::new(move |_| hydrated.set(true));

    let refresh = Action::new(|_: &()| check_readiness());
    Effect::new(move |_| match refresh.value().get() {
        Some(Ok(r)) => {
            report.set(r);
            failed.set(None);
        }
        Some(Err(e)) => failed.set(Some(e.to_string())),
        None => {}
    });

    let state = move || {
        if refresh.pending().get() {
            "loading"
        } else if failed.with(Option::is_some) {
            "error"
        } else if report.with(|r| r.ready) {
            "ready"
        } else {
            "degraded"
        }
    };
    let headline = move || match state() {
        "loading" => "Checking…".to_owned(),
        "error" => "Status unavailable".to_owned(),
        "ready" => "All systems operational".to_owned(),
        _ => {
            let down = report.with(|r| r.stores.iter().filter(|s| !s.up).count());
            format!("{down} store{} down", if down == 1 { "" } else { "s" })
        }
    };
    let stores = move || {
        report.with(|r| {
            r.stores
                .iter()
                .map(|s| {
                    let title = if s.backend.is_empty() {
                        format!("{}: {}", s.store.label(), if s.up { "up" } else { "down" })
                    } else {
                        format!("{} ({}): {:.1} ms", s.store.label(), s.backend, s.latency_ms)
                    };
                    view! { <span class="dot" class:dot-ok=s.up class:dot-bad=!s.up title=title></span> }
                })
                .collect_view()
        })
    };

    view! {
        <div class="ready-badge" data-testid="ready-badge" data-state=state data-hydrated=move || hydrated.get().to_string()>
            <span class="ready-dots" aria-hidden="true">{stores}</span>
            <span class="ready-text">
                <strong>{headline}</strong>
                <small data-testid="ready-checked-at" data-ms=move || report.with(|r| r.checked_at_ms.to_string())>
                    {move || format!("checked {}", report.with(ReadinessReport::checked_at_label))}
                </small>
            </span>
            <button
                type="button"
                class="btn btn-ghost btn-sm"
                data-testid="ready-refresh"
                on:click=move |_| {
                    refresh.dispatch(());
                }
                disabled=move || !hydrated.get() || refresh.pending().get()
            >
                "Re-check"
            </button>
        </div>
    }
}
