//! `/projects/:slug/kb/search?q=&kind=`: what an agent asking this would get from the knowledge
//! base (the ranked chunks, the release that answered).

use super::{kb_header, key_link, param, query};
use crate::api::kb::{load_kb_search, SearchView};
use crate::components::flash::{FlashBanner, LoadError};
use domain::kb::IndexStatus;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn KbSearchPage() -> impl IntoView {
    let data = load_kb_search(param("slug"), query("q"), query("kind"));
    view! {
        <Title text="Knowledge-base search" />
        {Suspend::new(async move {
            match data.await {
                Err(e) => view! { <FlashBanner /> <LoadError message=e.to_string() /> }.into_any(),
                Ok(v) => page(v).into_any(),
            }
        })}
    }
}

/// Splits `text` into (piece, highlighted) around the query's words (case-insensitive, words of
/// two characters or more).
pub(super) fn highlight(text: &str, q: &str) -> Vec<(String, bool)> {
    let words: Vec<String> =
        q.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| w.chars().count() >= 2).map(str::to_lowercase).collect();
    let lower: Vec<(usize, char)> = text.char_indices().collect();
    let folded: Vec<char> = lower.iter().map(|(_, c)| c.to_lowercase().next().unwrap_or(*c)).collect();
    let mut marked = vec![false; folded.len()];
    for w in &words {
        let w: Vec<char> = w.chars().collect();
        if w.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - w.len() {
            if folded[start..start + w.len()] == w[..] {
                marked[start..start + w.len()].iter_mut().for_each(|m| *m = true);
            }
        }
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for (i, (_, c)) in lower.iter().enumerate() {
        match out.last_mut() {
            Some((s, m)) if *m == marked[i] => s.push(*c),
            _ => out.push((c.to_string(), marked[i])),
        }
    }
    out
}

fn page(v: SearchView) -> impl IntoView {
    let option = |value: &'static str, label: &'static str| view! { <option value=value selected=v.kind == value>{label}</option> };
    let form = view! {
        <form method="get" action=format!("{}/search", v.head.base()) class="card filter-form section-gap" data-testid="kb-search-form">
            <div class="filter-main">
                <label class="search-box">"Ask as an agent would" <input type="search" name="q" value=v.q.clone() placeholder="how do I refund an order" maxlength="2000" /></label>
                <label>"Kind" <select name="kind">{option("", "APIs and tables")}{option("api_operation", "APIs")}{option("table", "Tables")}</select></label>
                <div class="filter-actions"><button class="btn btn-primary btn-sm" type="submit">"Search"</button></div>
            </div>
        </form>
    };
    let results = if !v.searched {
        view! { <p class="muted section-gap">"Type a question or a few words: the results are what the search API gives an agent."</p> }
            .into_any()
    } else if v.release.is_none() {
        view! {
            <section class="empty-state section-gap" data-testid="kb-no-index">
                <h2>"No search index is ready yet"</h2>
                <p>"Each published release is indexed in the background; search works once the first index is built."</p>
            </section>
        }
        .into_any()
    } else if v.hits.is_empty() {
        view! {
            <p class="muted section-gap" data-testid="kb-answered-by">{format!("Answered by release {} in {} ms.", v.release.unwrap_or(0), v.took_ms)}</p>
            <section class="empty-state" data-testid="kb-no-hits"><h2>"Nothing found"</h2><p>"Try other words: names of fields, paths or tables."</p></section>
        }
        .into_any()
    } else {
        let slug = v.head.slug.clone();
        let hits = v
            .hits
            .iter()
            .map(|h| {
                let pieces = highlight(&h.text, &v.q)
                    .into_iter()
                    .map(|(s, m)| if m { view! { <mark>{s}</mark> }.into_any() } else { s.into_any() })
                    .collect_view();
                view! {
                    <li class="card kb-hit" data-testid="kb-hit">
                        <div class="kb-hit-head">
                            {key_link(&slug, &h.key)}
                            <span class="muted small">{super::kind_label(h.key.kind)}" · score "<strong>{format!("{:.2}", h.score)}</strong></span>
                        </div>
                        <pre class="kb-hit-text">{pieces}</pre>
                    </li>
                }
            })
            .collect_view();
        view! {
            <p class="muted section-gap" data-testid="kb-answered-by">{format!("{} · answered by release {} ({} ranking) in {} ms.", super::plural(v.hits.len() as u64, "result", "results"), v.release.unwrap_or(0), v.ranking, v.took_ms)}</p>
            <ol class="kb-hits">{hits}</ol>
        }
        .into_any()
    };
    view! {
        <Title text=format!("Search · {}", v.head.name) />
        {kb_header(&v.head, "Search preview".into(), Some("What an agent asking this gets from the knowledge base.".into()), "search")}
        <FlashBanner />
        {form}
        {results}
        {vector_card(&v)}
    }
}

/// What the latest index ranks by, and (owners) the key and model that embed it.
fn vector_card(v: &SearchView) -> impl IntoView {
    let status = match &v.vector.index {
        None => "No release is indexed yet.".to_owned(),
        Some(r) => match (r.status, &r.vector_model) {
            (IndexStatus::Ready, Some(model)) => {
                format!("Release {}: ranked by words and by meaning ({model}, {} dimensions), fused.", r.release, r.dimensions.unwrap_or(0))
            }
            (IndexStatus::Ready, None) => format!("Release {}: ranked by words only (BM25).", r.release),
            (IndexStatus::Failed, _) => format!("Release {}: the index could not be built.", r.release),
            _ => format!("Release {}: the index is being built…", r.release),
        },
    };
    let problem = v.vector.index.as_ref().and_then(|r| r.error.clone());
    let form = (!v.vector.keys.is_empty() || !v.vector.key_id.is_empty()).then(|| {
        let current = v.vector.key_id.clone();
        let options = v
            .vector
            .keys
            .iter()
            .map(|(id, label)| view! { <option value=id.clone() selected=*id == current>{label.clone()}</option> })
            .collect_view();
        view! {
            <form method="post" action=format!("{}/embeddings", v.head.base()) class="form" data-testid="kb-embeddings-form">
                <label>"Provider key"
                    <select name="key_id">
                        <option value="" selected=v.vector.key_id.is_empty()>"None: words only"</option>
                        {options}
                    </select>
                </label>
                <label>"Embedding model" <input type="text" name="model" value=v.vector.model.clone() placeholder="text-embedding-3-small" maxlength="200" /></label>
                <p class="muted small">"Saving re-indexes the active release. Only chunks whose text changed since the previous index are embedded again."</p>
                <div><button class="btn btn-ghost btn-sm" type="submit">"Save and re-index"</button></div>
            </form>
        }
    });
    view! {
        <section class="card section-gap" data-testid="kb-vector">
            <h2>"Vector search"</h2>
            <p data-testid="kb-vector-status">{status}</p>
            {problem.map(|p| view! { <p class="banner banner-info" data-testid="kb-vector-problem">{p}</p> })}
            {form}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::highlight;

    #[test]
    fn query_words_are_highlighted_case_insensitively() {
        let parts = highlight("List Users by e-mail", "users email");
        assert_eq!(parts, vec![("List ".into(), false), ("Users".into(), true), (" by e-mail".into(), false)]);
        assert_eq!(highlight("abc", ""), vec![("abc".to_owned(), false)]);
    }
}
