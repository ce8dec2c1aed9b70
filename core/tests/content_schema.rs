//! `docs/card.schema.json` stays in step with the card model: the same field names, and the
//! sample catalog's cards use only fields the schema lists.

use microlearn_core::content::{Card, MediaAsset, QuizQuestion};

fn schema() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/card.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("schema file")).expect("json")
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn schema_lists_exactly_the_card_fields() {
    let s = schema();
    let mut card = Card::new("a", "A");
    card.media.push(MediaAsset {
        url: "m.mp4".into(),
        mime_type: "video/mp4".into(),
        bytes: 1,
        sha256: "a".repeat(64),
    });
    card.questions.push(QuizQuestion {
        id: "q".into(),
        stem: "?".into(),
        choices: vec!["x".into(), "y".into()],
        correct: vec![0],
        explanation: String::new(),
    });
    let v = serde_json::to_value(&card).expect("card");
    assert_eq!(keys(&v), keys(&s["properties"]));
    assert_eq!(
        keys(&v["media"][0]),
        keys(&s["$defs"]["media"]["properties"])
    );
    assert_eq!(
        keys(&v["questions"][0]),
        keys(&s["$defs"]["question"]["properties"])
    );
    let formats: Vec<&str> = s["properties"]["format"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    for f in &formats {
        assert!(
            microlearn_core::content::CardFormat::parse(f).is_some(),
            "{f}"
        );
    }
    assert_eq!(formats.len(), 6);
}
