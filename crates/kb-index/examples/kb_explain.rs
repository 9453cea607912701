//! Explains a lexical search on the generated evaluation KB: the analysed query terms and, per
//! hit, its score and which terms matched in which fields.
//!
//! `cargo run -p kb-index --example kb_explain -- "which table stores invoice line items" [entries]`

use kb_index::{testdata, IndexBuilder, Query, Ranking};

fn main() {
    let mut args = std::env::args().skip(1);
    let q = args.next().unwrap_or_else(|| "how do I cancel a subscription".into());
    let n = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let set = testdata::generate(n);
    let index = IndexBuilder::new(&set.entries).build().expect("build");
    println!("terms: {:?}", kb_index::bm25::query_terms(&q));
    for h in index.search(&Query::new(q).k(10).ranking(Ranking::Lexical), None) {
        let m: Vec<String> =
            h.matches.iter().map(|m| format!("{}{:?}", m.term, m.fields.iter().map(|f| f.as_str()).collect::<Vec<_>>())).collect();
        println!("{:8.3}  {}  chunk {}  {}", h.score, h.key, h.chunk_no, m.join(" "));
    }
}
