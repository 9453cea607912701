//! Entry point of the wasm bundle: hydrate every island on the page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Islands register themselves; pulling in `app` links them.
    #[allow(unused_imports)]
    use app::*;
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
