//! The labelled development set (`data/nlp/train.jsonl`, `test.jsonl`; format in
//! `data/nlp/LABELING.md`). The train split teaches the intent model; the test split only measures.

use serde::Deserialize;

use crate::LoadError;

pub const TRAIN_JSONL: &str = include_str!("../../../data/nlp/train.jsonl");
pub const TEST_JSONL: &str = include_str!("../../../data/nlp/test.jsonl");
/// Written later by another hand, never used to tune anything: a check that the test split's
/// figures were not fitted to it.
pub const HOLDOUT_JSONL: &str = include_str!("../../../data/nlp/holdout.jsonl");
/// A second one, by yet another hand, measured only: nothing was changed after reading it.
pub const HOLDOUT2_JSONL: &str = include_str!("../../../data/nlp/holdout2.jsonl");
/// A third, measured only: nothing in the analyser was changed after reading it.
pub const HOLDOUT3_JSONL: &str = include_str!("../../../data/nlp/holdout3.jsonl");
/// A fourth, read after measuring like the first three.
pub const HOLDOUT4_JSONL: &str = include_str!("../../../data/nlp/holdout4.jsonl");
/// A fifth, read after measuring (once the sixth existed to replace it).
pub const HOLDOUT5_JSONL: &str = include_str!("../../../data/nlp/holdout5.jsonl");
/// A sixth, read after measuring (once the seventh existed to replace it).
pub const HOLDOUT6_JSONL: &str = include_str!("../../../data/nlp/holdout6.jsonl");
/// A seventh, kept UNREAD: only its scores are looked at (never the messages or the misses), so it
/// stays a measure of text the rules have not seen. Read it only when an eighth replaces it.
pub const HOLDOUT7_JSONL: &str = include_str!("../../../data/nlp/holdout7.jsonl");

#[derive(Debug, Clone, Deserialize)]
pub struct LabelledSymptom {
    pub name: String,
    pub negated: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LabelledVital {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub id: String,
    pub text: String,
    pub intent: String,
    pub urgency: String,
    pub symptoms: Vec<LabelledSymptom>,
    pub medications: Vec<String>,
    pub vitals: Vec<LabelledVital>,
    pub conditions: Vec<String>,
    pub durations: Vec<String>,
}

pub fn parse(jsonl: &str) -> Result<Vec<Labelled>, LoadError> {
    jsonl
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| serde_json::from_str(l).map_err(|_| LoadError::Line("dataset", n + 1)))
        .collect()
}

pub fn train() -> Result<Vec<Labelled>, LoadError> {
    parse(TRAIN_JSONL)
}

/// Everything the intent model learns from: the train split and the six holdouts that were read
/// (2 633 messages by seven writers). The test split and the unread seventh holdout only measure.
pub fn development() -> Result<Vec<Labelled>, LoadError> {
    let mut all = train()?;
    for set in [
        HOLDOUT_JSONL,
        HOLDOUT2_JSONL,
        HOLDOUT3_JSONL,
        HOLDOUT4_JSONL,
        HOLDOUT5_JSONL,
        HOLDOUT6_JSONL,
    ] {
        all.extend(parse(set)?);
    }
    Ok(all)
}

pub fn test() -> Result<Vec<Labelled>, LoadError> {
    parse(TEST_JSONL)
}

pub fn holdout() -> Result<Vec<Labelled>, LoadError> {
    parse(HOLDOUT_JSONL)
}

pub fn holdout2() -> Result<Vec<Labelled>, LoadError> {
    parse(HOLDOUT2_JSONL)
}

pub fn holdout3() -> Result<Vec<Labelled>, LoadError> {
    parse(HOLDOUT3_JSONL)
}

pub fn holdout4() -> Result<Vec<Labelled>, LoadError> {
    parse(HOLDOUT4_JSONL)
}

pub fn holdout5() -> Result<Vec<Labelled>, LoadError> {
    parse(HOLDOUT5_JSONL)
}

pub fn holdout6() -> Result<Vec<Labelled>, LoadError> {
    parse(HOLDOUT6_JSONL)
}

pub fn holdout7() -> Result<Vec<Labelled>, LoadError> {
    parse(HOLDOUT7_JSONL)
}
