//! Spreadsheet upload (issue 5). [`UploadPanel`] sends a file through the JSON upload API
//! (`src/http/datasets.rs`): start, then each chunk (a `File.slice`, retried with backoff),
//! then complete, then follows the analysis until the mapping page or the end of the import.
//! An interrupted upload resumes: the import id is kept in localStorage under the file's name,
//! size and modification time, and choosing the same file again continues at the first chunk
//! the server has not acknowledged. [`ImportWatch`] follows a running import on its dataset page.

use domain::datasets::{DatasetImport, ImportStatus};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A dataset the file can be appended to or replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetChoice {
    pub id: String,
    pub name: String,
}

/// File types the server imports (`services::datasets::EXTENSIONS`).
pub const ACCEPT: &str = ".xlsx,.xls,.ods,.csv,.tsv";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))] // set by the browser code only
enum Phase {
    Idle,
    Uploading,
    Processing,
    Done,
    Failed,
}

impl Phase {
    fn as_str(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Uploading => "uploading",
            Phase::Processing => "processing",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

/// What the panel shows; the browser code writes it.
#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Ui {
    slug: StoredValue<String>,
    phase: RwSignal<Phase>,
    /// Name and size of the chosen file.
    file: RwSignal<Option<(String, u64)>>,
    /// An earlier, unfinished upload of the same file.
    resume: RwSignal<Option<DatasetImport>>,
    sent: RwSignal<u64>,
    total: RwSignal<u64>,
    /// Bytes per second over this session's chunks.
    rate: RwSignal<f64>,
    import: RwSignal<Option<DatasetImport>>,
    note: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
}

/// "812 KB", "3.4 MB", "1.20 GB".
pub fn format_bytes(n: u64) -> String {
    const K: f64 = 1024.0;
    let f = n as f64;
    if f < K * K {
        format!("{} KB", (f / K).ceil() as u64)
    } else if f < K * K * K {
        format!("{:.1} MB", f / (K * K))
    } else {
        format!("{:.2} GB", f / (K * K * K))
    }
}

/// Time left at `rate` bytes per second: "about 40 s left", "about 3 min left".
pub fn format_eta(remaining: u64, rate: f64) -> String {
    if rate <= 0.0 {
        return String::new();
    }
    let secs = (remaining as f64 / rate).ceil() as u64;
    match secs {
        0 => String::new(),
        1..=59 => format!("about {secs} s left"),
        60..=5999 => format!("about {} min left", secs.div_ceil(60)),
        _ => format!("about {} h left", secs.div_ceil(3600)),
    }
}

/// The default dataset name: the file name without its extension.
pub fn name_from_file(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.trim().to_owned(),
        _ => file_name.trim().to_owned(),
    }
}

/// Where the browser remembers an unfinished upload of this file in this project.
pub fn resume_key(slug: &str, name: &str, size: u64, last_modified: f64) -> String {
    format!("elasticdash.upload:{slug}:{size}:{}:{name}", last_modified as i64)
}

fn percent(sent: u64, total: u64) -> u32 {
    if total == 0 {
        0
    } else {
        ((sent as f64 / total as f64) * 100.0).floor().min(100.0) as u32
    }
}

#[island]
pub fn UploadPanel(
    slug: String,
    /// Datasets of the project, for append and replace.
    datasets: Vec<DatasetChoice>,
    /// Preselects append to this dataset (the dataset page).
    target: Option<String>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let has_datasets = !datasets.is_empty();
    let mode = RwSignal::new(if target.is_some() { "append" } else { "create" }.to_owned());
    let dataset = RwSignal::new(target.clone().or_else(|| datasets.first().map(|d| d.id.clone())).unwrap_or_default());
    let name = RwSignal::new(String::new());
    let name_edited = RwSignal::new(false);
    let dragging = RwSignal::new(false);
    let ui = Ui {
        slug: StoredValue::new(slug.clone()),
        phase: RwSignal::new(Phase::Idle),
        file: RwSignal::new(None),
        resume: RwSignal::new(None),
        sent: RwSignal::new(0),
        total: RwSignal::new(0),
        rate: RwSignal::new(0.0),
        import: RwSignal::new(None),
        note: RwSignal::new(None),
        error: RwSignal::new(None),
    };
    // A new file names the new dataset, unless the name was typed.
    Effect::new(move |_| {
        if let Some((file, _)) = ui.file.get() {
            if !name_edited.get_untracked() {
                name.set(name_from_file(&file));
            }
        }
    });
    let busy = move || matches!(ui.phase.get(), Phase::Uploading | Phase::Processing);
    let can_start = move || hydrated.get() && ui.file.with(Option::is_some) && !busy();

    let start = move || {
        ui.error.set(None);
        let resume = ui.resume.get_untracked();
        let m = mode.get_untracked();
        if resume.is_none() {
            if m == "create" && name.get_untracked().trim().is_empty() {
                ui.error.set(Some("Give the new dataset a name.".into()));
                return;
            }
            if m != "create" && dataset.get_untracked().is_empty() {
                ui.error.set(Some("Choose the dataset to append to or replace.".into()));
                return;
            }
        }
        let body = serde_json::json!({
            "mode": m,
            "dataset_name": (m == "create").then(|| name.get_untracked().trim().to_owned()),
            "dataset_id": (m != "create").then(|| dataset.get_untracked()),
        });
        #[cfg(feature = "hydrate")]
        browser::upload(ui, body);
        #[cfg(not(feature = "hydrate"))]
        let _ = body;
    };

    let choices = StoredValue::new(datasets);
    let options = move || {
        choices.with_value(|ds| {
            ds.iter()
                .map(|d| {
                    let id = d.id.clone();
                    let chosen = d.id.clone();
                    view! { <option value=id selected=move || dataset.get_untracked() == chosen>{d.name.clone()}</option> }
                })
                .collect_view()
        })
    };
    let radio = move |value: &'static str, label: &'static str, enabled: bool| {
        view! {
            <label class="upload-mode-option" class:disabled=!enabled>
                <input type="radio" name="upload-mode" value=value data-testid=format!("mode-{value}")
                    checked=mode.get_untracked() == value prop:checked=move || mode.get() == value disabled=move || !enabled || busy()
                    on:change=move |_| mode.set(value.to_owned()) />
                <span>{label}</span>
            </label>
        }
    };
    let mode_hint = move || match mode.get().as_str() {
        "append" => "Its rows are added to the dataset's rows.",
        "replace" => "Its rows replace the dataset's rows once the import completes.",
        _ => "A dataset of its own, named after the file unless you name it.",
    };

    let figures = move || {
        let (sent, total, rate) = (ui.sent.get(), ui.total.get(), ui.rate.get());
        let mut parts = vec![format!("{} of {}", format_bytes(sent), format_bytes(total)), format!("{}%", percent(sent, total))];
        if rate > 0.0 && sent < total {
            parts.push(format!("{}/s", format_bytes(rate as u64)));
            parts.push(format_eta(total - sent, rate));
        }
        parts.retain(|p| !p.is_empty());
        parts.join(" · ")
    };
    let rows = move || {
        ui.import.with(|i| {
            i.as_ref().map(|i| {
                let label = i.status.label();
                if i.rows_read == 0 && i.rows_accepted == 0 {
                    format!("{label}…")
                } else {
                    format!("{label}: {} rows read, {} inserted, {} rejected", i.rows_read, i.rows_accepted, i.rows_rejected)
                }
            })
        })
    };
    let done = move || {
        let slug = ui.slug.get_value();
        ui.import.get().filter(|i| i.status == ImportStatus::Completed).map(|i| {
            let dashboard = format!("/projects/{slug}/dashboards?dataset={}", i.dataset_id);
            let page = format!("/projects/{slug}/datasets/{}", i.dataset_id);
            view! {
                <div class="banner banner-ok" role="status" data-testid="upload-done">
                    {format!("Imported {} rows ({} rejected).", i.rows_accepted, i.rows_rejected)}
                    " "<a href=dashboard data-testid="upload-dashboard">"Open the dashboard"</a>
                    " · "<a href=page>"See the dataset"</a>
                </div>
            }
        })
    };

    view! {
        <section class="card upload" data-testid="upload" data-hydrated=move || hydrated.get().to_string()
            data-phase=move || ui.phase.get().as_str()>
            <h2>"Upload a ledger file"</h2>
            <fieldset class="upload-modes" disabled=move || ui.resume.with(Option::is_some)>
                <legend class="sr-only">"What the file does"</legend>
                {radio("create", "New dataset", true)}
                {radio("append", "Append", has_datasets)}
                {radio("replace", "Replace", has_datasets)}
            </fieldset>
            <p class="muted small upload-mode-hint">{mode_hint}</p>
            <div class="upload-target">
                <Show when=move || mode.get() == "create"
                    fallback=move || view! {
                        <label class="field">"Dataset"
                            <select data-testid="upload-dataset" disabled=busy on:change=move |ev| dataset.set(event_target_value(&ev))>
                                {options()}
                            </select>
                        </label>
                    }>
                    <label class="field">"Dataset name"
                        <input type="text" maxlength="120" placeholder="the file name" data-testid="upload-name"
                            prop:value=move || name.get() disabled=busy
                            on:input=move |ev| { name_edited.set(true); name.set(event_target_value(&ev)); } />
                    </label>
                </Show>
            </div>
            <label class="drop-zone" class:dragging=move || dragging.get() class:has-file=move || ui.file.with(Option::is_some)
                data-testid="drop-zone"
                on:dragover=move |ev| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |ev| {
                    ev.prevent_default();
                    dragging.set(false);
                    #[cfg(feature = "hydrate")]
                    if !busy() { browser::dropped(ui, &ev); }
                }>
                <input type="file" class="sr-only" accept=ACCEPT data-testid="upload-file" disabled=move || !hydrated.get() || busy()
                    on:change=move |ev| {
                        #[cfg(feature = "hydrate")]
                        browser::picked(ui, &ev);
                        #[cfg(not(feature = "hydrate"))]
                        let _ = ev;
                    } />
                <svg class="drop-icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M12 16V4m0 0l-4 4m4-4l4 4M4 16v3a1 1 0 001 1h14a1 1 0 001-1v-3" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
                </svg>
                {move || match ui.file.get() {
                    Some((file, size)) => view! {
                        <span class="drop-file" data-testid="upload-file-name"><strong>{file}</strong>" · "{format_bytes(size)}</span>
                        <span class="muted small">"Drop another file or click to change it"</span>
                    }.into_any(),
                    None => view! {
                        <span><strong>"Drop a spreadsheet here"</strong>" or "<span class="link">"choose a file"</span></span>
                        <span class="muted small">"Excel (.xlsx, .xls), OpenDocument (.ods), CSV or TSV; hundreds of MB are fine"</span>
                    }.into_any(),
                }}
            </label>
            {move || ui.resume.get().map(|r| view! {
                <p class="banner banner-info" data-testid="upload-resume">
                    {format!(
                        "This file was partly uploaded before ({} of {}). Uploading continues where it stopped.",
                        format_bytes(r.bytes_received),
                        format_bytes(r.size_bytes)
                    )}
                </p>
            })}
            <div class="upload-actions">
                <button type="button" class="btn btn-primary" data-testid="upload-start" disabled=move || !can_start() on:click=move |_| start()>
                    {move || if ui.resume.with(Option::is_some) { "Resume upload" } else { "Upload" }}
                </button>
                <Show when=move || !hydrated.get()>
                    <span class="muted small">"Uploading needs JavaScript."</span>
                </Show>
            </div>
            <Show when=move || ui.phase.get() != Phase::Idle>
                <div class="upload-progress" data-testid="upload-progress" aria-live="polite">
                    <div class="progress-label"><span>"Upload"</span><span data-testid="upload-figures">{figures}</span></div>
                    <div class="progress" role="progressbar" aria-label="Bytes sent" aria-valuemin="0" aria-valuemax="100"
                        aria-valuenow=move || percent(ui.sent.get(), ui.total.get()).to_string()>
                        <span style:width=move || format!("{}%", percent(ui.sent.get(), ui.total.get()))></span>
                    </div>
                    <Show when=move || matches!(ui.phase.get(), Phase::Processing | Phase::Done) || ui.import.with(|i| i.as_ref().is_some_and(|i| i.status != ImportStatus::Uploading))>
                        <div class="progress-label"><span>"Import"</span><span data-testid="upload-rows">{rows}</span></div>
                        <div class="progress" class:indeterminate=move || ui.phase.get() == Phase::Processing role="progressbar" aria-label="Rows imported">
                            <span style:width=move || if ui.phase.get() == Phase::Done { "100%" } else { "35%" }></span>
                        </div>
                    </Show>
                    {move || ui.note.get().map(|n| view! { <p class="muted small" data-testid="upload-note">{n}</p> })}
                </div>
            </Show>
            {move || ui.error.get().map(|e| view! { <div class="banner banner-bad" role="alert" data-testid="upload-error">{e}</div> })}
            {done}
        </section>
    }
}

/// A running import on its dataset page: polls its state and reloads the page when the status
/// changes (the page then shows the mapping form or the result).
#[island]
pub fn ImportWatch(slug: String, import_id: String, status: ImportStatus, rows_read: u64, rows_accepted: u64) -> impl IntoView {
    let current = RwSignal::new((status, rows_read, rows_accepted));
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::watch(slug.clone(), import_id.clone(), current, problem);
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (&slug, &import_id);
    view! {
        <div class="import-watch" data-testid="import-watch" data-status=move || current.get().0.as_str()>
            <div class="progress-label">
                <span>{move || current.get().0.label()}"…"</span>
                <span>{move || { let (_, read, accepted) = current.get(); format!("{read} rows read, {accepted} inserted") }}</span>
            </div>
            <div class="progress indeterminate" role="progressbar" aria-label="Rows imported"><span style="width:35%"></span></div>
            {move || problem.get().map(|p| view! { <p class="muted small">{p}</p> })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{resume_key, Phase, Ui};
    use domain::datasets::{chunk_count, DatasetImport, ImportStatus};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{File, Headers, HtmlInputElement, Request, RequestInit, Response};

    thread_local! {
        static FILE: std::cell::RefCell<Option<File>> = const { std::cell::RefCell::new(None) };
    }

    /// Retries of a chunk after a network error or a 5xx, 1 s, 2 s then 4 s apart.
    const RETRIES: u32 = 3;
    const POLL_MS: i32 = 700;

    enum Failure {
        /// No answer (connection dropped, server down).
        Network(String),
        /// The API's error message (or the status when the body is not an API error).
        Api { status: u16, message: String },
    }

    impl Failure {
        fn message(&self) -> String {
            match self {
                Failure::Network(m) => format!("The connection failed ({m})."),
                Failure::Api { message, .. } => message.clone(),
            }
        }

        fn retriable(&self) -> bool {
            match self {
                Failure::Network(_) => true,
                Failure::Api { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            }
        }
    }

    fn js_message(e: &JsValue) -> String {
        js_sys::Reflect::get(e, &"message".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "network error".into())
    }

    /// One call to the upload API, answered with the import.
    async fn call(method: &str, url: &str, body: Option<&JsValue>, content_type: &str) -> Result<DatasetImport, Failure> {
        let headers = Headers::new().map_err(|e| Failure::Network(js_message(&e)))?;
        headers.set("accept", "application/json").ok();
        if body.is_some() {
            headers.set("content-type", content_type).ok();
        }
        let init = RequestInit::new();
        init.set_method(method);
        init.set_headers(&headers);
        if let Some(b) = body {
            init.set_body(b);
        }
        let request = Request::new_with_str_and_init(url, &init).map_err(|e| Failure::Network(js_message(&e)))?;
        let response: Response = JsFuture::from(window().fetch_with_request(&request))
            .await
            .and_then(|r| r.dyn_into())
            .map_err(|e| Failure::Network(js_message(&e)))?;
        let text = match response.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        if response.ok() {
            return serde_json::from_str(&text)
                .map_err(|e| Failure::Api { status: 200, message: format!("The server's answer was not understood: {e}") });
        }
        let status = response.status();
        let message = serde_json::from_str::<domain::api_error::ApiErrorBody>(&text).map(|e| e.error.message).unwrap_or_else(|_| {
            if status == 401 {
                "Your session has ended: sign in again, then choose the file again to continue.".into()
            } else if text.trim().is_empty() || text.len() > 300 {
                format!("The server answered {status}.")
            } else {
                text
            }
        });
        Err(Failure::Api { status, message })
    }

    async fn sleep(ms: i32) {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        });
        let _ = JsFuture::from(promise).await;
    }

    fn storage() -> Option<web_sys::Storage> {
        window().local_storage().ok().flatten()
    }

    fn key_of(ui: Ui, file: &File) -> String {
        resume_key(&ui.slug.get_value(), &file.name(), file.size() as u64, file.last_modified())
    }

    fn base(ui: Ui) -> String {
        format!("/projects/{}/datasets/uploads", ui.slug.get_value())
    }

    pub fn picked(ui: Ui, ev: &web_sys::Event) {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) else { return };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            choose(ui, file);
        }
        // Cleared, so that choosing the same file again (to resume it) is a change too.
        input.set_value("");
    }

    pub fn dropped(ui: Ui, ev: &web_sys::DragEvent) {
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            choose(ui, file);
        }
    }

    /// A file was chosen: remember it, and look for an unfinished upload of it.
    fn choose(ui: Ui, file: File) {
        let name = file.name();
        let size = file.size() as u64;
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
        ui.phase.set(Phase::Idle);
        ui.import.set(None);
        ui.note.set(None);
        ui.resume.set(None);
        ui.sent.set(0);
        ui.total.set(size);
        if !["xlsx", "xls", "ods", "csv", "tsv"].contains(&ext.as_str()) {
            ui.error.set(Some(format!("“{name}” is not a spreadsheet we can import: choose an .xlsx, .xls, .ods, .csv or .tsv file.")));
            ui.file.set(None);
            FILE.with(|f| f.replace(None));
            return;
        }
        if size == 0 {
            ui.error.set(Some(format!("“{name}” is empty.")));
            ui.file.set(None);
            FILE.with(|f| f.replace(None));
            return;
        }
        ui.error.set(None);
        let key = key_of(ui, &file);
        FILE.with(|f| f.replace(Some(file)));
        ui.file.set(Some((name, size)));
        let Some(id) = storage().and_then(|s| s.get_item(&key).ok().flatten()) else { return };
        leptos::task::spawn_local(async move {
            match call("GET", &format!("{}/{id}", base(ui)), None, "").await {
                Ok(import) if import.status == ImportStatus::Uploading && import.size_bytes == size => {
                    ui.sent.set(import.bytes_received);
                    ui.resume.set(Some(import));
                }
                // Finished, failed or gone: start afresh next time.
                Ok(_) | Err(Failure::Api { status: 404, .. }) => {
                    if let Some(s) = storage() {
                        let _ = s.remove_item(&key);
                    }
                }
                Err(_) => {}
            }
        });
    }

    fn fail(ui: Ui, message: String) {
        ui.note.set(None);
        ui.error.set(Some(message));
        ui.phase.set(Phase::Failed);
    }

    /// Start (or resume), send the chunks, complete, then follow the import.
    pub fn upload(ui: Ui, start: serde_json::Value) {
        let Some(file) = FILE.with(|f| f.borrow().clone()) else { return };
        ui.phase.set(Phase::Uploading);
        ui.note.set(None);
        leptos::task::spawn_local(async move {
            if let Err(message) = run(ui, &file, start).await {
                fail(ui, message);
            }
        });
    }

    async fn run(ui: Ui, file: &File, mut start: serde_json::Value) -> Result<(), String> {
        let size = file.size() as u64;
        let key = key_of(ui, file);
        let mut import = match ui.resume.get_untracked() {
            Some(i) => i,
            None => {
                start["file_name"] = file.name().into();
                start["size_bytes"] = size.into();
                let body = JsValue::from_str(&start.to_string());
                let i = call("POST", &base(ui), Some(&body), "application/json").await.map_err(|e| e.message())?;
                if let Some(s) = storage() {
                    let _ = s.set_item(&key, &i.id);
                }
                i
            }
        };
        ui.resume.set(None);
        ui.import.set(Some(import.clone()));
        ui.total.set(size);
        ui.sent.set(import.bytes_received);
        let url = format!("{}/{}", base(ui), import.id);
        let count = chunk_count(import.size_bytes, import.chunk_size);
        let (t0, sent0) = (js_sys::Date::now(), import.bytes_received);
        while import.status == ImportStatus::Uploading && import.chunks_received < count {
            let index = import.chunks_received;
            let from = u64::from(index) * import.chunk_size;
            let to = (from + import.chunk_size).min(size);
            let blob = file.slice_with_f64_and_f64(from as f64, to as f64).map_err(|e| js_message(&e))?;
            let mut attempt = 0;
            let answer = loop {
                match call("PUT", &format!("{url}/chunks/{index}"), Some(&blob.clone().into()), "application/octet-stream").await {
                    Err(e) if e.retriable() && attempt < RETRIES => {
                        attempt += 1;
                        let wait = 1000 * 2i32.pow(attempt - 1);
                        ui.note.set(Some(format!(
                            "Chunk {} of {count} did not arrive ({}); trying again in {} s (attempt {attempt} of {RETRIES}).",
                            index + 1,
                            e.message().trim_end_matches('.'),
                            wait / 1000
                        )));
                        sleep(wait).await;
                    }
                    other => break other,
                }
            };
            import = match answer {
                Ok(i) => i,
                // The server expects another chunk (an answer was lost): continue from its count.
                Err(Failure::Api { status: 409, .. }) => call("GET", &url, None, "").await.map_err(|e| e.message())?,
                Err(e) if e.retriable() => {
                    return Err(format!(
                        "{} The upload stopped at {}%; choose the same file again to continue where it stopped.",
                        e.message(),
                        super::percent(import.bytes_received, size)
                    ))
                }
                Err(e) => return Err(e.message()),
            };
            ui.note.set(None);
            ui.sent.set(import.bytes_received);
            let secs = (js_sys::Date::now() - t0) / 1000.0;
            if secs > 0.0 {
                ui.rate.set(import.bytes_received.saturating_sub(sent0) as f64 / secs);
            }
            ui.import.set(Some(import.clone()));
        }
        if import.status == ImportStatus::Uploading {
            import = call("POST", &format!("{url}/complete"), None, "").await.map_err(|e| e.message())?;
        }
        if let Some(s) = storage() {
            let _ = s.remove_item(&key);
        }
        ui.sent.set(size);
        ui.phase.set(Phase::Processing);
        ui.import.set(Some(import.clone()));
        follow(ui, &url, import).await
    }

    /// Poll the import until a person is needed (the mapping page) or it ends.
    async fn follow(ui: Ui, url: &str, mut import: DatasetImport) -> Result<(), String> {
        let mut misses = 0;
        loop {
            match import.status {
                ImportStatus::Mapping => {
                    ui.note.set(Some("Opening the column mapping…".into()));
                    let page = format!("/projects/{}/datasets/{}#mapping", ui.slug.get_value(), import.dataset_id);
                    let _ = window().location().assign(&page);
                    return Ok(());
                }
                ImportStatus::Completed => {
                    ui.phase.set(Phase::Done);
                    return Ok(());
                }
                ImportStatus::Failed => return Err(import.error.clone().unwrap_or_else(|| "The import failed.".into())),
                _ => {}
            }
            sleep(POLL_MS).await;
            match call("GET", url, None, "").await {
                Ok(i) => {
                    misses = 0;
                    ui.note.set(None);
                    ui.import.set(Some(i.clone()));
                    import = i;
                }
                Err(e) if e.retriable() && misses < 20 => {
                    misses += 1;
                    ui.note.set(Some(format!("{} Still trying…", e.message())));
                }
                Err(e) => return Err(e.message()),
            }
        }
    }

    pub fn watch(slug: String, import_id: String, current: RwSignal<(ImportStatus, u64, u64)>, problem: RwSignal<Option<String>>) {
        leptos::task::spawn_local(async move {
            let url = format!("/projects/{slug}/datasets/uploads/{import_id}");
            let first = current.get_untracked().0;
            loop {
                sleep(1000).await;
                match call("GET", &url, None, "").await {
                    Ok(i) => {
                        problem.set(None);
                        current.set((i.status, i.rows_read, i.rows_accepted));
                        if i.status != first {
                            let _ = window().location().reload();
                            return;
                        }
                    }
                    Err(e) if e.retriable() => problem.set(Some(format!("{} Still trying…", e.message()))),
                    Err(e) => {
                        problem.set(Some(e.message()));
                        return;
                    }
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(format_bytes(1), "1 KB");
        assert_eq!(format_bytes(5 * 1024 * 1024 + 300 * 1024), "5.3 MB");
        assert_eq!(format_bytes(3 << 30), "3.00 GB");
        assert_eq!(format_eta(10 << 20, 1024.0 * 1024.0), "about 10 s left");
        assert_eq!(format_eta(300 << 20, 1024.0 * 1024.0), "about 5 min left");
        assert_eq!(format_eta(1, 0.0), "");
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(0, 0), 0);
        assert_eq!(name_from_file("Ledger Q1.xlsx"), "Ledger Q1");
        assert_eq!(name_from_file(".csv"), ".csv");
        assert_ne!(resume_key("s", "a.csv", 10, 1.0), resume_key("s", "a.csv", 11, 1.0));
    }
}
