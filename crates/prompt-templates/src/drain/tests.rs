use super::*;

const SUPPORT: [&str; 3] = [
    "You are the support assistant for ACME.\nCustomer: Jane Doe (id 1234)\nThe customer wrote: \"my invoice is wrong\"\nBe brief.",
    "You are the support assistant for ACME.\nCustomer: Li (id 98)\nThe customer wrote: \"where is my parcel, it was due on Monday\"\nBe brief.",
    "You are the support assistant for ACME.\nCustomer: Maria Luisa Gomez (id 5)\nThe customer wrote: \"cancel\"\nBe brief.",
];
const SQL: &str =
    "Translate the question into one read-only PostgreSQL query.\nSchema:\n```sql\ncreate table t(a int);\n```\nReturn only SQL.";

#[test]
fn prompts_of_one_template_share_a_stable_id() {
    let mut m = TemplateMiner::default();
    let first = m.add(SUPPORT[0]);
    assert!(first.created && !first.changed);
    let second = m.add(SUPPORT[1]);
    assert_eq!(second.template_id, first.template_id);
    assert!(second.changed);
    assert_eq!(
        second.template,
        "You are the support assistant for ACME.\nCustomer: <*> (id <NUM>)\nThe customer wrote: <QUOTED>\nBe brief."
    );
    let third = m.add(SUPPORT[2]);
    assert_eq!(third.template_id, first.template_id);
    assert!(!third.changed);
    assert_eq!(third.size, 3);
    assert_eq!(m.match_only(SUPPORT[1]), Some(first.template_id));
}

#[test]
fn different_templates_stay_apart() {
    let mut m = TemplateMiner::default();
    let a = m.add(SUPPORT[0]).template_id;
    let b = m.add(SQL).template_id;
    assert_ne!(a, b);
    assert_eq!(m.len(), 2);
    assert_eq!(m.match_only("Write a limerick about cheese."), None);
}

#[test]
fn ids_do_not_depend_on_history_or_process() {
    let mut a = TemplateMiner::default();
    let mut b = TemplateMiner::default();
    b.add(SQL);
    assert_eq!(a.add(SUPPORT[0]).template_id, b.add(SUPPORT[0]).template_id);
}

#[test]
fn the_least_recently_matched_template_is_evicted() {
    let mut m = TemplateMiner::new(Config { max_clusters: 2, ..Config::default() });
    let support = m.add(SUPPORT[0]).template_id;
    let sql = m.add(SQL).template_id;
    m.add(SUPPORT[1]);
    let other = m.add("Write a limerick about cheese and the moon, in French.").template_id;
    assert_eq!(m.len(), 2);
    assert!(m.template(sql).is_none());
    assert!(m.template(support).is_some() && m.template(other).is_some());
}

#[test]
fn state_round_trips_through_json() {
    let mut m = TemplateMiner::default();
    for p in SUPPORT.iter().chain([&SQL]) {
        m.add(p);
    }
    let json = serde_json::to_string(&m).expect("serialise");
    let mut back: TemplateMiner = serde_json::from_str(&json).expect("restore");
    assert_eq!(serde_json::to_string(&back).ok(), Some(json), "restore then save is the identity");
    assert_eq!(back.templates(), m.templates());
    assert_eq!(back.config(), m.config());
    let again = back.add(SUPPORT[1]);
    assert_eq!(Some(again.template_id), m.match_only(SUPPORT[1]));
    assert!(!again.created && !again.changed);
}

#[test]
fn corrupt_states_are_refused() {
    let mut m = TemplateMiner::default();
    m.add(SUPPORT[0]);
    let json = serde_json::to_string(&m).expect("serialise");
    let bad_offsets = json.replace("\"n\":3,", "\"n\":300000,");
    assert_ne!(bad_offsets, json);
    assert!(serde_json::from_str::<TemplateMiner>(&bad_offsets).is_err());
    let bad_version = json.replacen("\"version\":1", "\"version\":9", 1);
    assert!(serde_json::from_str::<TemplateMiner>(&bad_version).is_err());
    assert!(serde_json::from_str::<TemplateMiner>("{}").is_err());
}

#[test]
fn restoring_with_a_smaller_cap_evicts_the_oldest() {
    let mut m = TemplateMiner::default();
    m.add(SUPPORT[0]);
    let sql = m.add(SQL).template_id;
    let mut v = serde_json::to_value(&m).expect("serialise");
    v["config"]["max_clusters"] = 1.into();
    let back: TemplateMiner = serde_json::from_value(v).expect("restore");
    assert_eq!(back.templates().iter().map(|t| t.0).collect::<Vec<_>>(), [sql]);
}

#[test]
fn variable_first_words_overflow_to_the_wildcard_branch() {
    let mut m = TemplateMiner::new(Config { max_children: 4, ..Config::default() });
    let names = ["Alice", "Bob", "Chen", "Dana", "Eve", "Femi", "Gus", "Hana", "Ivan", "Jun"];
    let ids: Vec<TemplateId> = names
        .iter()
        .map(|n| m.add(&format!("{n} is the account owner. Greet them politely and answer questions about the billing plan.")).template_id)
        .collect();
    // The first four names fill the root; the rest share the <*> branch and one template.
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 5);
    assert!(ids[4..].iter().all(|id| *id == ids[4]));
}

#[test]
fn repeated_prompts_take_the_exact_text_shortcut_consistently() {
    let mut m = TemplateMiner::new(Config { max_clusters: 1, ..Config::default() });
    let first = m.add(SUPPORT[0]);
    let again = m.add(SUPPORT[0]);
    assert_eq!((again.template_id, again.created, again.changed, again.size), (first.template_id, false, false, 2));
    assert_eq!(m.match_only(SUPPORT[0]), Some(first.template_id));
    // Evicted behind the shortcut's back: the prompt is mined again, not misfiled.
    m.add(SQL);
    assert_eq!(m.match_only(SUPPORT[0]), None);
    let back = m.add(SUPPORT[0]);
    assert!(back.created);
    assert_eq!(back.template_id, first.template_id, "same first text, same id");
}
