//! OpenAPI schemas for FHIR resources as the store serves them: FHIR itself
//! is not modelled, only `resourceType` and free-form members.

use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// Any FHIR R4 resource, as stored (the schema does not model FHIR itself).
pub struct FhirResource;

impl PartialSchema for FhirResource {
    fn schema() -> RefOr<Schema> {
        fhir_object("a FHIR R4 resource (JSON), with at least `resourceType`")
    }
}

impl ToSchema for FhirResource {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("FhirResource")
    }
}

/// A FHIR resource's schema: `resourceType` and any other members, so that
/// generated clients can both read and build resources.
pub fn fhir_object(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property(
            "resourceType",
            ObjectBuilder::new().schema_type(Type::String),
        )
        .required("resourceType")
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(true)))
        .into()
}
