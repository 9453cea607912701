use super::*;

fn masked(s: &str) -> String {
    mask(s).render()
}

#[test]
fn masks_values_inside_sentences() {
    assert_eq!(
        masked("Customer jane@x.io (id cus_9f2k) ordered 3 items on 2024-05-01 at 14:05 pm, see https://shop.example/o/1."),
        "Customer <EMAIL> (id <ID>) ordered <NUM> items on <DATE> at <TIME>, see <URL>."
    );
    assert_eq!(masked("Today is Tuesday, March 5, 2024. Total: $1,299.00"), "Today is <DATE>. Total: $<NUM>");
    assert_eq!(masked("trace 4bf92f3577b34da6a3ce929d0e0e4736 span 550e8400-e29b-41d4-a716-446655440000"), "trace <HEX> span <UUID>");
}

#[test]
fn masks_quotes_tags_fences_and_sections() {
    assert_eq!(masked("The user said: \"my order is late\" — answer kindly."), "The user said: <QUOTED> — answer kindly.");
    assert_eq!(masked("Use this:\n<context>\n[1] a\n[2] b\n</context>\nThanks"), "Use this:\n<CONTEXT>\nThanks");
    assert_eq!(masked("Schema:\n```sql\ncreate table t (id int);\n```\nGo"), "Schema:\n<CODE>\nGo");
    assert_eq!(masked("Intro\nContext:\n[1] one\n[2] two\n\nQuestion: why"), "Intro\nContext:\n<CONTEXT>\nQuestion: why");
}

#[test]
fn fillers_of_different_lengths_mask_alike() {
    let a = masked("Hi, order ORD-1 of 2024-01-02 \"short\" <context>x</context>");
    let b = masked("Hi, order ORD-99812 of March 3, 2023 \"a much longer quoted\ntext\" <context>many\nlines\nhere</context>");
    assert_eq!(a, b);
}

#[test]
fn cjk_is_one_token_per_character() {
    let m = mask("你好，张三。订单号12345");
    let texts: Vec<&str> = m.tokens.iter().map(|t| t.text).collect();
    assert_eq!(texts, ["你", "好", "，", "张", "三", "。", "订", "单", "号", "<NUM>"]);
}

#[test]
fn keeps_line_structure_for_rendering() {
    assert_eq!(masked("  a  b\n\n\tc"), "a b\nc");
    assert_eq!(mask("a\nb").tokens[1].sep, Sep::Newline);
}

#[test]
fn apostrophes_and_plain_words_stay() {
    assert_eq!(masked("Don't reveal O'Brien's notes; users' data is private."), "Don't reveal O'Brien's notes; users' data is private.");
}

#[test]
fn placeholders_hash_apart_from_literal_lookalikes() {
    let real = mask("42").tokens[0].hash;
    let lookalike = mask("<NUM>").tokens[0].hash;
    assert_ne!(real, lookalike);
}

#[test]
fn limit_truncates_with_a_marker() {
    let m = mask_with_limit("a b c d e", 3);
    assert!(m.truncated);
    assert_eq!(m.render(), "a b c <TRUNCATED>");
    assert!(!mask_with_limit("a b c", 3).truncated);
}

#[test]
fn any_input_is_safe() {
    for s in ["", " ", "\n\n", "<", "```", "\"", "'", "“", "#", "**", "Context:", "0x", "@", "a@b.", "\u{0}\u{7f}\u{feff}", "é"] {
        let _ = mask(s).render();
    }
    let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let _ = mask(&String::from_utf8_lossy(&bytes)).render();
}
