//! Placeholder until the generator lands.
/// Options for one generated patient.
#[derive(Debug, Clone)]
pub struct PatientSpec {
    /// Seed.
    pub seed: u64,
    /// Target size.
    pub target_resources: usize,
}
/// Generate one patient.
pub fn generate_patient(spec: &PatientSpec) -> Vec<serde_json::Value> {
    vec![serde_json::json!({"resourceType": "Patient", "id": format!("p{}", spec.seed)})]
}
/// Generate patients.
pub fn generate_patients(
    seed: u64,
    count: usize,
    resources_each: usize,
) -> Vec<Vec<serde_json::Value>> {
    (0..count)
        .map(|i| {
            generate_patient(&PatientSpec {
                seed: seed + i as u64,
                target_resources: resources_each,
            })
        })
        .collect()
}
/// Bundle.
pub fn collection_bundle(resources: &[serde_json::Value]) -> serde_json::Value {
    serde_json::json!({"resourceType": "Bundle", "type": "collection", "entry": resources.iter().map(|r| serde_json::json!({"resource": r})).collect::<Vec<_>>()})
}
