//! Trivial rules for the host's tests: one recommendation citing every
//! Condition they can read, and whether a Patient named in the `read`
//! setting could be read. Their `misbehave` setting asks for a misbehaviour;
//! `flood` reads the records over and over. Built against
//! `hearth:rules@0.1.0`, the first rules world, so the host's 0.1 adapter
//! stays tested (the SDK builds against the newest).

mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit/rules/0.1.0",
        world: "hearth:rules/rules",
        with: {
            "hearth:common/types@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::types,
            "hearth:common/log@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::log,
            "hearth:common/records@0.1.0": hearth_plugin_sdk::bindings::common::hearth::common::records,
        },
        generate_all,
    });
}

use bindings::exports::hearth::rules::plugin::Guest as Rules;
use bindings::hearth::rules::types::{
    EvaluateRequest, Guideline, Recommendation, RecommendationKind, RecommendationStatus, RulesInfo,
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

bindings::export!(TestRules with_types_in bindings);
