use leptos::prelude::*;

/// Switches light/dark and remembers the choice in a cookie, which the server
/// reads to render the right theme on the next page (no flash).
#[island]
pub fn ThemeToggle() -> impl IntoView {
    let dark = RwSignal::new(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        dark.set(browser::current_is_dark());
    });
    let toggle = move |_| {
        let next = !dark.get_untracked();
        dark.set(next);
        #[cfg(feature = "hydrate")]
        browser::apply(next);
    };
    view! {
        <button
            type="button"
            class="btn btn-ghost btn-icon"
            data-testid="theme-toggle"
            on:click=toggle
            aria-label=move || if dark.get() { "Switch to light theme" } else { "Switch to dark theme" }
            title="Toggle theme"
        >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" fill="currentColor" />
            </svg>
        </button>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::document;
    use wasm_bindgen::JsCast;

    pub fn current_is_dark() -> bool {
        let explicit = document().document_element().and_then(|e| e.get_attribute("data-theme"));
        match explicit.as_deref() {
            Some("dark") => true,
            Some(_) => false,
            None => {
                leptos::prelude::window().match_media("(prefers-color-scheme: dark)").ok().flatten().map(|m| m.matches()).unwrap_or(false)
            }
        }
    }

    pub fn apply(dark: bool) {
        let theme = if dark { "dark" } else { "light" };
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", theme);
        }
        if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&format!("theme={theme}; Path=/; Max-Age=31536000; SameSite=Lax"));
        }
    }
}
