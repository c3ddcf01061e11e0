//! Trivial rules for the host's tests: one recommendation citing every
//! Condition they can read, and whether a Patient named in the `read`
//! setting could be read. Their `misbehave` setting asks for a misbehaviour;
//! `flood` reads the records over and over.

use hearth_plugin_sdk::rules::{
    EvaluateRequest, Guideline, Recommendation, RecommendationKind, RecommendationStatus, Rules,
    RulesInfo, export_rules,
};
use hearth_plugin_sdk::{PluginError, records};

struct TestRules;

impl Rules for TestRules {
    fn info() -> RulesInfo {
        RulesInfo {
            id: "test-rules".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            name: "Test rules".into(),
        }
    }

    fn evaluate(request: EvaluateRequest) -> Result<Vec<Recommendation>, PluginError> {
        let setting = |key: &str| {
            request
                .settings
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let misbehave = setting("misbehave");
        hearth_test_misbehaviour::perform(&misbehave);
        if misbehave == "flood" {
            loop {
                records::search("Condition", &[("_count", "100")], usize::MAX)?;
            }
        }
        let conditions = records::search("Condition", &[("_count", "100")], 10_000)?;
        let mut evidence: Vec<String> = conditions
            .iter()
            .map(|c| format!("Condition/{}", c["id"].as_str().unwrap_or_default()))
            .collect();
        let read = setting("read");
        if !read.is_empty() && records::read("Patient", &read)?.is_some() {
            evidence.push(format!("Patient/{read}"));
        }
        Ok(vec![Recommendation {
            key: "test-review".into(),
            kind: RecommendationKind::FollowUp,
            status: RecommendationStatus::Due,
            title: "Review these conditions".into(),
            earliest: Some(request.as_of.clone()),
            recommended: Some(request.as_of),
            past_due: None,
            reason: format!("{} conditions on record", conditions.len()),
            guideline: Guideline {
                name: "Test guideline".into(),
                version: "1".into(),
                url: "https://example.org/test-guideline".into(),
            },
            evidence,
        }])
    }
}

export_rules!(TestRules);
