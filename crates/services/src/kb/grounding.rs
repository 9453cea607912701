//! Grounding: the knowledge-base text a prompt gets so the model answers about *this* system
//! (the playground's "ground on the KB" switch, AI test generation). Retrieval is the search
//! the agents use; what was retrieved is named, so the trace and the prompt show it.

use super::search::{search_project, SearchInput, MAX_QUERY_CHARS};
use crate::{ports::ProjectId, AppServices, ServiceResult};
use domain::playground::Grounded;
use kb_index::Hit;

/// Longest text of one retrieved chunk put into a prompt.
const MAX_CHUNK_CHARS: usize = 1_500;

/// Retrieved entries and the prompt block that carries them.
#[derive(Debug, Clone, PartialEq)]
pub struct Grounding {
    pub grounded: Grounded,
    /// Empty when nothing was retrieved.
    pub block: String,
}

/// The `k` entries of the project's active knowledge base nearest to `about` (clipped to a
/// search query's length). No ready index, or no match: an empty grounding, never an error,
/// so a chat or a generation still works before the first release.
pub async fn retrieve(services: &AppServices, project_id: &ProjectId, about: &str, k: usize) -> ServiceResult<Grounding> {
    let query = clip(about.trim(), MAX_QUERY_CHARS);
    if query.is_empty() {
        return Ok(render(None, &[]));
    }
    let input = SearchInput { query, k: Some(k), ..SearchInput::default() };
    let found = search_project(services, project_id, &input).await?;
    Ok(render(found.release, &found.hits))
}

/// The block a prompt gets: a heading naming the release, then each entry's chunk under its key.
pub fn render(release: Option<u64>, hits: &[Hit]) -> Grounding {
    let entries: Vec<String> = hits.iter().map(|h| h.key.to_string()).collect();
    let block = match release {
        Some(n) if !hits.is_empty() => {
            let mut out = format!(
                "Knowledge base of the system under test (release {n}): the API operations and tables below are how it really \
                 works; rely on them where they apply.\n"
            );
            for (i, h) in hits.iter().enumerate() {
                out.push_str(&format!("\n[{}] {}\n{}\n", i + 1, h.key, clip(h.text.trim(), MAX_CHUNK_CHARS)));
            }
            out
        }
        _ => String::new(),
    };
    Grounding { grounded: Grounded { release, entries }, block }
}

/// At most `max` characters, cut on a character boundary.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::kb::{EntryKey, EntryKind};

    fn hit(key: EntryKey, text: &str) -> Hit {
        Hit {
            kind: key.kind,
            key,
            score: 1.0,
            chunk_no: 0,
            text: text.into(),
            fields: Vec::new(),
            matches: Vec::new(),
            lexical_rank: Some(1),
            vector_rank: None,
        }
    }

    #[test]
    fn the_block_names_the_release_and_each_entry_in_rank_order() {
        let hits = [
            hit(EntryKey::api("POST", "/orders/{id}/refund"), "Refund an order. Sends the money back."),
            hit(EntryKey::table("public", "orders"), "Table public.orders: id, total"),
        ];
        let g = render(Some(3), &hits);
        assert_eq!(g.grounded.release, Some(3));
        assert_eq!(g.grounded.entries, vec![hits[0].key.to_string(), hits[1].key.to_string()]);
        assert!(g.block.contains("(release 3)"), "{}", g.block);
        let (first, second) = (g.block.find("[1] POST /orders/{id}/refund").unwrap(), g.block.find("[2]").unwrap());
        assert!(first < second);
        assert!(g.block.contains("Sends the money back."));
        assert_eq!(hits[1].kind, EntryKind::Table);
    }

    #[test]
    fn nothing_retrieved_gives_no_block() {
        assert_eq!(render(None, &[]).block, "");
        assert_eq!(render(Some(2), &[]).block, "");
        assert_eq!(render(Some(2), &[]).grounded.release, Some(2));
    }

    #[test]
    fn long_chunks_are_clipped_on_a_character_boundary() {
        let g = render(Some(1), &[hit(EntryKey::table("public", "t"), &"é".repeat(MAX_CHUNK_CHARS + 50))]);
        assert_eq!(g.block.matches('é').count(), MAX_CHUNK_CHARS);
    }
}
