//! Element tables: the R4 shape of each supported resource and datatype (used by `check_r4`
//! and to strip elements R4 lacks) and the DSTU3 top-level names (used to strip R4-only
//! elements).

pub(crate) use crate::prim::Prim;

/// What an element holds.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    /// A primitive of the given R4 type.
    Prim(Prim),
    /// A code bound (required) to the listed codes.
    Code(&'static [&'static str]),
    /// A complex datatype this crate does not model: a JSON object, nothing more is checked.
    Complex,
    /// A complex datatype with an element table.
    Data(Dt),
    /// A CodeableConcept with a required binding to one code system.
    BoundCc(&'static str, &'static [&'static str]),
    /// A choice element `name[x]`; the slice lists the allowed type suffixes.
    Choice(&'static [&'static str]),
    /// A backbone element with its own children.
    Backbone(&'static [El]),
    /// A whole resource (`contained`, `Bundle.entry.resource`).
    Resource,
}

/// One element of a type: name, minimum cardinality, whether it repeats, and its type.
pub(crate) struct El {
    pub name: &'static str,
    pub min: u8,
    pub many: bool,
    pub ty: Ty,
}

const fn o(name: &'static str, ty: Ty) -> El {
    El {
        name,
        min: 0,
        many: false,
        ty,
    }
}
const fn r(name: &'static str, ty: Ty) -> El {
    El {
        name,
        min: 1,
        many: false,
        ty,
    }
}
const fn m(name: &'static str, ty: Ty) -> El {
    El {
        name,
        min: 0,
        many: true,
        ty,
    }
}
const fn rm(name: &'static str, ty: Ty) -> El {
    El {
        name,
        min: 1,
        many: true,
        ty,
    }
}
/// An optional choice element.
const fn x(name: &'static str, types: &'static [&'static str]) -> El {
    o(name, Ty::Choice(types))
}
/// A required choice element.
const fn rx(name: &'static str, types: &'static [&'static str]) -> El {
    r(name, Ty::Choice(types))
}

// Primitive types.
const STR: Ty = Ty::Prim(Prim::String);
const MD: Ty = Ty::Prim(Prim::Markdown);
const CODE: Ty = Ty::Prim(Prim::Code);
const ID: Ty = Ty::Prim(Prim::Id);
const URI: Ty = Ty::Prim(Prim::Uri);
const URL: Ty = Ty::Prim(Prim::Url);
const CANON: Ty = Ty::Prim(Prim::Canonical);
const BOOL: Ty = Ty::Prim(Prim::Boolean);
const INT: Ty = Ty::Prim(Prim::Integer);
const POS: Ty = Ty::Prim(Prim::PositiveInt);
const UINT: Ty = Ty::Prim(Prim::UnsignedInt);
const DEC: Ty = Ty::Prim(Prim::Decimal);
const DATE: Ty = Ty::Prim(Prim::Date);
const DATETIME: Ty = Ty::Prim(Prim::DateTime);
const INSTANT: Ty = Ty::Prim(Prim::Instant);
const TIME: Ty = Ty::Prim(Prim::Time);
const B64: Ty = Ty::Prim(Prim::Base64Binary);

// Complex datatypes.
const CC: Ty = Ty::Data(Dt::CodeableConcept);
const CODING: Ty = Ty::Data(Dt::Coding);
const REF: Ty = Ty::Data(Dt::Reference);
const IDENT: Ty = Ty::Data(Dt::Identifier);
const PERIOD: Ty = Ty::Data(Dt::Period);
const QTY: Ty = Ty::Data(Dt::Quantity);
const SQTY: Ty = Ty::Data(Dt::SimpleQuantity);
const DURATION: Ty = Ty::Data(Dt::Quantity);
const RANGE: Ty = Ty::Data(Dt::Range);
const RATIO: Ty = Ty::Data(Dt::Ratio);
const NOTE: Ty = Ty::Data(Dt::Annotation);
const ATTACHMENT: Ty = Ty::Data(Dt::Attachment);
const NAME: Ty = Ty::Data(Dt::HumanName);
const ADDRESS: Ty = Ty::Data(Dt::Address);
const TELECOM: Ty = Ty::Data(Dt::ContactPoint);
const TIMING: Ty = Ty::Data(Dt::Timing);
const DOSAGE: Ty = Ty::Data(Dt::Dosage);
const EXT: Ty = Ty::Data(Dt::Extension);

/// The complex datatypes with an element table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dt {
    Coding,
    CodeableConcept,
    /// Quantity and the profiles with the same elements (Age, Duration, Distance, Count).
    Quantity,
    /// Quantity without a comparator (sqty-1).
    SimpleQuantity,
    Money,
    Range,
    Ratio,
    Period,
    Reference,
    Identifier,
    HumanName,
    Address,
    ContactPoint,
    Attachment,
    Annotation,
    Meta,
    Narrative,
    Extension,
    Timing,
    Dosage,
    SampledData,
    Signature,
    /// The `_name` twin of a primitive: only `id` and `extension`.
    Element,
}

impl Dt {
    /// The datatype a choice suffix names (`Quantity` in `valueQuantity`), if it is modelled.
    pub(crate) fn from_suffix(suffix: &str) -> Option<Dt> {
        Some(match suffix {
            "Coding" => Dt::Coding,
            "CodeableConcept" => Dt::CodeableConcept,
            "Quantity" | "Age" | "Duration" | "Distance" | "Count" => Dt::Quantity,
            "Money" => Dt::Money,
            "Range" => Dt::Range,
            "Ratio" => Dt::Ratio,
            "Period" => Dt::Period,
            "Reference" => Dt::Reference,
            "Identifier" => Dt::Identifier,
            "HumanName" => Dt::HumanName,
            "Address" => Dt::Address,
            "ContactPoint" => Dt::ContactPoint,
            "Attachment" => Dt::Attachment,
            "Annotation" => Dt::Annotation,
            "Meta" => Dt::Meta,
            "Timing" => Dt::Timing,
            "Dosage" => Dt::Dosage,
            "SampledData" => Dt::SampledData,
            "Signature" => Dt::Signature,
            _ => return None,
        })
    }

    /// The datatype's own elements.
    pub(crate) fn elements(self) -> &'static [El] {
        match self {
            Dt::Coding => CODING_ELS,
            Dt::CodeableConcept => CODEABLE_CONCEPT_ELS,
            // SimpleQuantity keeps `comparator` here so its use gets a precise message.
            Dt::Quantity | Dt::SimpleQuantity => QUANTITY_ELS,
            Dt::Money => MONEY_ELS,
            Dt::Range => RANGE_ELS,
            Dt::Ratio => RATIO_ELS,
            Dt::Period => PERIOD_ELS,
            Dt::Reference => REFERENCE_ELS,
            Dt::Identifier => IDENTIFIER_ELS,
            Dt::HumanName => HUMAN_NAME_ELS,
            Dt::Address => ADDRESS_ELS,
            Dt::ContactPoint => CONTACT_POINT_ELS,
            Dt::Attachment => ATTACHMENT_ELS,
            Dt::Annotation => ANNOTATION_ELS,
            Dt::Meta => META_ELS,
            Dt::Narrative => NARRATIVE_ELS,
            Dt::Extension => EXTENSION_ELS,
            Dt::Timing => TIMING_ELS,
            Dt::Dosage => DOSAGE_ELS,
            Dt::SampledData => SAMPLED_DATA_ELS,
            Dt::Signature => SIGNATURE_ELS,
            Dt::Element => &[],
        }
    }

    /// The inherited elements: BackboneElement-based datatypes (Dosage, Timing) may carry
    /// `modifierExtension`, the others (Element-based) only `id` and `extension`.
    pub(crate) fn base(self) -> &'static [El] {
        match self {
            Dt::Dosage | Dt::Timing => BACKBONE_BASE_ELS,
            _ => ELEMENT_BASE_ELS,
        }
    }
}

/// Choice suffixes whose JSON form is a primitive; every other suffix is an object.
pub(crate) const PRIMITIVE_SUFFIXES: &[&str] = &[
    "Boolean",
    "Integer",
    "Decimal",
    "String",
    "Uri",
    "Url",
    "Canonical",
    "Code",
    "Id",
    "Oid",
    "Uuid",
    "Markdown",
    "Base64Binary",
    "Date",
    "DateTime",
    "Time",
    "Instant",
    "PositiveInt",
    "UnsignedInt",
];

/// Every type an open `[x]` element (`Extension.value[x]`) may take in R4.
const ANY_TYPE: &[&str] = &[
    "Base64Binary",
    "Boolean",
    "Canonical",
    "Code",
    "Date",
    "DateTime",
    "Decimal",
    "Id",
    "Instant",
    "Integer",
    "Markdown",
    "Oid",
    "PositiveInt",
    "String",
    "Time",
    "UnsignedInt",
    "Uri",
    "Url",
    "Uuid",
    "Address",
    "Age",
    "Annotation",
    "Attachment",
    "CodeableConcept",
    "Coding",
    "ContactPoint",
    "Count",
    "Distance",
    "Duration",
    "HumanName",
    "Identifier",
    "Money",
    "Period",
    "Quantity",
    "Range",
    "Ratio",
    "Reference",
    "SampledData",
    "Signature",
    "Timing",
    "ContactDetail",
    "Contributor",
    "DataRequirement",
    "Expression",
    "ParameterDefinition",
    "RelatedArtifact",
    "TriggerDefinition",
    "UsageContext",
    "Dosage",
    "Meta",
];

/// Elements every resource has (Resource + DomainResource).
pub(crate) const RESOURCE_BASE: &[&str] = &[
    "resourceType",
    "id",
    "meta",
    "implicitRules",
    "language",
    "text",
    "contained",
    "extension",
    "modifierExtension",
];
/// Elements every backbone element has.
pub(crate) const BACKBONE_BASE: &[&str] = &["id", "extension", "modifierExtension"];

/// Resource's elements, typed (`resourceType` is checked on its own).
const RESOURCE_ELS: &[El] = &[
    o("id", ID),
    o("meta", Ty::Data(Dt::Meta)),
    o("implicitRules", URI),
    o("language", CODE),
];
/// Resource + DomainResource elements, typed.
const DOMAIN_RESOURCE_ELS: &[El] = &[
    o("id", ID),
    o("meta", Ty::Data(Dt::Meta)),
    o("implicitRules", URI),
    o("language", CODE),
    o("text", Ty::Data(Dt::Narrative)),
    m("contained", Ty::Resource),
    m("extension", EXT),
    m("modifierExtension", EXT),
];
/// Element's elements, typed.
pub(crate) const ELEMENT_BASE_ELS: &[El] = &[o("id", STR), m("extension", EXT)];
/// BackboneElement's elements, typed.
pub(crate) const BACKBONE_BASE_ELS: &[El] = &[
    o("id", STR),
    m("extension", EXT),
    m("modifierExtension", EXT),
];

/// The inherited elements of a resource type: Bundle, Binary and Parameters are plain
/// Resources (no narrative, contained resources or extensions), the rest DomainResources.
pub(crate) fn resource_base(resource_type: &str) -> &'static [El] {
    match resource_type {
        "Bundle" | "Binary" | "Parameters" => RESOURCE_ELS,
        _ => DOMAIN_RESOURCE_ELS,
    }
}

const GENDER: &[&str] = &["male", "female", "other", "unknown"];
const THO: &str = "http://terminology.hl7.org/CodeSystem/";
const UNITS_OF_TIME: &[&str] = &["s", "min", "h", "d", "wk", "mo", "a"];
const DAYS_OF_WEEK: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const EVENT_TIMING: &[&str] = &[
    "MORN",
    "MORN.early",
    "MORN.late",
    "NOON",
    "AFT",
    "AFT.early",
    "AFT.late",
    "EVE",
    "EVE.early",
    "EVE.late",
    "NIGHT",
    "PHS",
    "HS",
    "WAKE",
    "C",
    "CM",
    "CD",
    "CV",
    "AC",
    "ACM",
    "ACD",
    "ACV",
    "PC",
    "PCM",
    "PCD",
    "PCV",
];

const CODING_ELS: &[El] = &[
    o("system", URI),
    o("version", STR),
    o("code", CODE),
    o("display", STR),
    o("userSelected", BOOL),
];
const CODEABLE_CONCEPT_ELS: &[El] = &[m("coding", CODING), o("text", STR)];
const QUANTITY_ELS: &[El] = &[
    o("value", DEC),
    o("comparator", Ty::Code(&["<", "<=", ">=", ">"])),
    o("unit", STR),
    o("system", URI),
    o("code", CODE),
];
const MONEY_ELS: &[El] = &[o("value", DEC), o("currency", CODE)];
const RANGE_ELS: &[El] = &[o("low", SQTY), o("high", SQTY)];
const RATIO_ELS: &[El] = &[o("numerator", QTY), o("denominator", QTY)];
const PERIOD_ELS: &[El] = &[o("start", DATETIME), o("end", DATETIME)];
const REFERENCE_ELS: &[El] = &[
    o("reference", STR),
    o("type", URI),
    o("identifier", IDENT),
    o("display", STR),
];
const IDENTIFIER_ELS: &[El] = &[
    o(
        "use",
        Ty::Code(&["usual", "official", "temp", "secondary", "old"]),
    ),
    o("type", CC),
    o("system", URI),
    o("value", STR),
    o("period", PERIOD),
    o("assigner", REF),
];
const HUMAN_NAME_ELS: &[El] = &[
    o(
        "use",
        Ty::Code(&[
            "usual",
            "official",
            "temp",
            "nickname",
            "anonymous",
            "old",
            "maiden",
        ]),
    ),
    o("text", STR),
    o("family", STR),
    m("given", STR),
    m("prefix", STR),
    m("suffix", STR),
    o("period", PERIOD),
];
const ADDRESS_ELS: &[El] = &[
    o("use", Ty::Code(&["home", "work", "temp", "old", "billing"])),
    o("type", Ty::Code(&["postal", "physical", "both"])),
    o("text", STR),
    m("line", STR),
    o("city", STR),
    o("district", STR),
    o("state", STR),
    o("postalCode", STR),
    o("country", STR),
    o("period", PERIOD),
];
const CONTACT_POINT_ELS: &[El] = &[
    o(
        "system",
        Ty::Code(&["phone", "fax", "email", "pager", "url", "sms", "other"]),
    ),
    o("value", STR),
    o("use", Ty::Code(&["home", "work", "temp", "old", "mobile"])),
    o("rank", POS),
    o("period", PERIOD),
];
const ATTACHMENT_ELS: &[El] = &[
    o("contentType", CODE),
    o("language", CODE),
    o("data", B64),
    o("url", URL),
    o("size", UINT),
    o("hash", B64),
    o("title", STR),
    o("creation", DATETIME),
];
const ANNOTATION_ELS: &[El] = &[
    x("author", &["Reference", "String"]),
    o("time", DATETIME),
    r("text", MD),
];
const META_ELS: &[El] = &[
    o("versionId", ID),
    o("lastUpdated", INSTANT),
    o("source", URI),
    m("profile", CANON),
    m("security", CODING),
    m("tag", CODING),
];
const NARRATIVE_ELS: &[El] = &[
    r(
        "status",
        Ty::Code(&["generated", "extensions", "additional", "empty"]),
    ),
    r("div", Ty::Prim(Prim::Xhtml)),
];
const EXTENSION_ELS: &[El] = &[r("url", URI), x("value", ANY_TYPE)];
const TIMING_ELS: &[El] = &[
    m("event", DATETIME),
    o(
        "repeat",
        Ty::Backbone(&[
            x("bounds", &["Duration", "Range", "Period"]),
            o("count", POS),
            o("countMax", POS),
            o("duration", DEC),
            o("durationMax", DEC),
            o("durationUnit", Ty::Code(UNITS_OF_TIME)),
            o("frequency", POS),
            o("frequencyMax", POS),
            o("period", DEC),
            o("periodMax", DEC),
            o("periodUnit", Ty::Code(UNITS_OF_TIME)),
            m("dayOfWeek", Ty::Code(DAYS_OF_WEEK)),
            m("timeOfDay", TIME),
            m("when", Ty::Code(EVENT_TIMING)),
            o("offset", UINT),
        ]),
    ),
    o("code", CC),
];
const DOSAGE_ELS: &[El] = &[
    o("sequence", INT),
    o("text", STR),
    m("additionalInstruction", CC),
    o("patientInstruction", STR),
    o("timing", TIMING),
    x("asNeeded", &["Boolean", "CodeableConcept"]),
    o("site", CC),
    o("route", CC),
    o("method", CC),
    m(
        "doseAndRate",
        Ty::Backbone(&[
            o("type", CC),
            x("dose", &["Range", "Quantity"]),
            x("rate", &["Ratio", "Range", "Quantity"]),
        ]),
    ),
    o("maxDosePerPeriod", RATIO),
    o("maxDosePerAdministration", SQTY),
    o("maxDosePerLifetime", SQTY),
];
const SAMPLED_DATA_ELS: &[El] = &[
    r("origin", SQTY),
    r("period", DEC),
    o("factor", DEC),
    o("lowerLimit", DEC),
    o("upperLimit", DEC),
    r("dimensions", POS),
    o("data", STR),
];
const SIGNATURE_ELS: &[El] = &[
    rm("type", CODING),
    r("when", INSTANT),
    r("who", REF),
    o("onBehalfOf", REF),
    o("targetFormat", CODE),
    o("sigFormat", CODE),
    o("data", B64),
];

/// The R4 element table of a resource type, if this crate knows it.
pub(crate) fn r4(resource_type: &str) -> Option<&'static [El]> {
    Some(match resource_type {
        "Patient" => PATIENT,
        "Condition" => CONDITION,
        "Observation" => OBSERVATION,
        "MedicationStatement" => MEDICATION_STATEMENT,
        "MedicationRequest" => MEDICATION_REQUEST,
        "AllergyIntolerance" => ALLERGY_INTOLERANCE,
        "Immunization" => IMMUNIZATION,
        "Procedure" => PROCEDURE,
        "Encounter" => ENCOUNTER,
        "DiagnosticReport" => DIAGNOSTIC_REPORT,
        "DocumentReference" => DOCUMENT_REFERENCE,
        "Practitioner" => PRACTITIONER,
        "Organization" => ORGANIZATION,
        "Location" => LOCATION,
        "Medication" => MEDICATION,
        "CarePlan" => CARE_PLAN,
        "Goal" => GOAL,
        "CareTeam" => CARE_TEAM,
        "ServiceRequest" => SERVICE_REQUEST,
        "Bundle" => BUNDLE,
        _ => return None,
    })
}

/// DSTU3 resource types that R4 removed or renamed.
pub(crate) const DSTU3_ONLY_TYPES: &[&str] = &[
    "BodySite",
    "DataElement",
    "DeviceComponent",
    "EligibilityRequest",
    "EligibilityResponse",
    "ExpansionProfile",
    "ImagingManifest",
    "ProcedureRequest",
    "ProcessRequest",
    "ProcessResponse",
    "ReferralRequest",
    "Sequence",
    "ServiceDefinition",
];

/// Every resource type R4 (4.0.1) defines.
pub(crate) const R4_TYPES: &[&str] = &[
    "Account",
    "ActivityDefinition",
    "AdverseEvent",
    "AllergyIntolerance",
    "Appointment",
    "AppointmentResponse",
    "AuditEvent",
    "Basic",
    "Binary",
    "BiologicallyDerivedProduct",
    "BodyStructure",
    "Bundle",
    "CapabilityStatement",
    "CarePlan",
    "CareTeam",
    "CatalogEntry",
    "ChargeItem",
    "ChargeItemDefinition",
    "Claim",
    "ClaimResponse",
    "ClinicalImpression",
    "CodeSystem",
    "Communication",
    "CommunicationRequest",
    "CompartmentDefinition",
    "Composition",
    "ConceptMap",
    "Condition",
    "Consent",
    "Contract",
    "Coverage",
    "CoverageEligibilityRequest",
    "CoverageEligibilityResponse",
    "DetectedIssue",
    "Device",
    "DeviceDefinition",
    "DeviceMetric",
    "DeviceRequest",
    "DeviceUseStatement",
    "DiagnosticReport",
    "DocumentManifest",
    "DocumentReference",
    "EffectEvidenceSynthesis",
    "Encounter",
    "Endpoint",
    "EnrollmentRequest",
    "EnrollmentResponse",
    "EpisodeOfCare",
    "EventDefinition",
    "Evidence",
    "EvidenceVariable",
    "ExampleScenario",
    "ExplanationOfBenefit",
    "FamilyMemberHistory",
    "Flag",
    "Goal",
    "GraphDefinition",
    "Group",
    "GuidanceResponse",
    "HealthcareService",
    "ImagingStudy",
    "Immunization",
    "ImmunizationEvaluation",
    "ImmunizationRecommendation",
    "ImplementationGuide",
    "InsurancePlan",
    "Invoice",
    "Library",
    "Linkage",
    "List",
    "Location",
    "Measure",
    "MeasureReport",
    "Media",
    "Medication",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationKnowledge",
    "MedicationRequest",
    "MedicationStatement",
    "MedicinalProduct",
    "MedicinalProductAuthorization",
    "MedicinalProductContraindication",
    "MedicinalProductIndication",
    "MedicinalProductIngredient",
    "MedicinalProductInteraction",
    "MedicinalProductManufactured",
    "MedicinalProductPackaged",
    "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect",
    "MessageDefinition",
    "MessageHeader",
    "MolecularSequence",
    "NamingSystem",
    "NutritionOrder",
    "Observation",
    "ObservationDefinition",
    "OperationDefinition",
    "OperationOutcome",
    "Organization",
    "OrganizationAffiliation",
    "Parameters",
    "Patient",
    "PaymentNotice",
    "PaymentReconciliation",
    "Person",
    "PlanDefinition",
    "Practitioner",
    "PractitionerRole",
    "Procedure",
    "Provenance",
    "Questionnaire",
    "QuestionnaireResponse",
    "RelatedPerson",
    "RequestGroup",
    "ResearchDefinition",
    "ResearchElementDefinition",
    "ResearchStudy",
    "ResearchSubject",
    "RiskAssessment",
    "RiskEvidenceSynthesis",
    "Schedule",
    "SearchParameter",
    "ServiceRequest",
    "Slot",
    "Specimen",
    "SpecimenDefinition",
    "StructureDefinition",
    "StructureMap",
    "Subscription",
    "Substance",
    "SubstanceNucleicAcid",
    "SubstancePolymer",
    "SubstanceProtein",
    "SubstanceReferenceInformation",
    "SubstanceSourceMaterial",
    "SubstanceSpecification",
    "SupplyDelivery",
    "SupplyRequest",
    "Task",
    "TerminologyCapabilities",
    "TestReport",
    "TestScript",
    "ValueSet",
    "VerificationResult",
    "VisionPrescription",
];

const PATIENT: &[El] = &[
    m("identifier", IDENT),
    o("active", BOOL),
    m("name", NAME),
    m("telecom", TELECOM),
    o("gender", Ty::Code(GENDER)),
    o("birthDate", DATE),
    x("deceased", &["Boolean", "DateTime"]),
    m("address", ADDRESS),
    o("maritalStatus", CC),
    x("multipleBirth", &["Boolean", "Integer"]),
    m("photo", ATTACHMENT),
    m(
        "contact",
        Ty::Backbone(&[
            m("relationship", CC),
            o("name", NAME),
            m("telecom", TELECOM),
            o("address", ADDRESS),
            o("gender", Ty::Code(GENDER)),
            o("organization", REF),
            o("period", PERIOD),
        ]),
    ),
    m(
        "communication",
        Ty::Backbone(&[r("language", CC), o("preferred", BOOL)]),
    ),
    m("generalPractitioner", REF),
    o("managingOrganization", REF),
    m(
        "link",
        Ty::Backbone(&[
            r("other", REF),
            r(
                "type",
                Ty::Code(&["replaced-by", "replaces", "refer", "seealso"]),
            ),
        ]),
    ),
];

const CONDITION_CHOICE: &[&str] = &["DateTime", "Age", "Period", "Range", "String"];
const CONDITION: &[El] = &[
    m("identifier", IDENT),
    o(
        "clinicalStatus",
        Ty::BoundCc(
            "http://terminology.hl7.org/CodeSystem/condition-clinical",
            &[
                "active",
                "recurrence",
                "relapse",
                "inactive",
                "remission",
                "resolved",
            ],
        ),
    ),
    o(
        "verificationStatus",
        Ty::BoundCc(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            &[
                "unconfirmed",
                "provisional",
                "differential",
                "confirmed",
                "refuted",
                "entered-in-error",
            ],
        ),
    ),
    m("category", CC),
    o("severity", CC),
    o("code", CC),
    m("bodySite", CC),
    r("subject", REF),
    o("encounter", REF),
    x("onset", CONDITION_CHOICE),
    x("abatement", CONDITION_CHOICE),
    o("recordedDate", DATETIME),
    o("recorder", REF),
    o("asserter", REF),
    m(
        "stage",
        Ty::Backbone(&[o("summary", CC), m("assessment", REF), o("type", CC)]),
    ),
    m("evidence", Ty::Backbone(&[m("code", CC), m("detail", REF)])),
    m("note", NOTE),
];

const OBS_VALUE: &[&str] = &[
    "Quantity",
    "CodeableConcept",
    "String",
    "Boolean",
    "Integer",
    "Range",
    "Ratio",
    "SampledData",
    "Time",
    "DateTime",
    "Period",
];
const REFERENCE_RANGE: &[El] = &[
    o("low", SQTY),
    o("high", SQTY),
    o("type", CC),
    m("appliesTo", CC),
    o("age", RANGE),
    o("text", STR),
];
pub(crate) const OBS_STATUS: &[&str] = &[
    "registered",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "cancelled",
    "entered-in-error",
    "unknown",
];
const OBSERVATION: &[El] = &[
    m("identifier", IDENT),
    m("basedOn", REF),
    m("partOf", REF),
    r("status", Ty::Code(OBS_STATUS)),
    m("category", CC),
    r("code", CC),
    o("subject", REF),
    m("focus", REF),
    o("encounter", REF),
    x("effective", &["DateTime", "Period", "Timing", "Instant"]),
    o("issued", INSTANT),
    m("performer", REF),
    x("value", OBS_VALUE),
    o("dataAbsentReason", CC),
    m("interpretation", CC),
    m("note", NOTE),
    o("bodySite", CC),
    o("method", CC),
    o("specimen", REF),
    o("device", REF),
    m("referenceRange", Ty::Backbone(REFERENCE_RANGE)),
    m("hasMember", REF),
    m("derivedFrom", REF),
    m(
        "component",
        Ty::Backbone(&[
            r("code", CC),
            x("value", OBS_VALUE),
            o("dataAbsentReason", CC),
            m("interpretation", CC),
            m("referenceRange", Ty::Backbone(REFERENCE_RANGE)),
        ]),
    ),
];

pub(crate) const MED_STATEMENT_STATUS: &[&str] = &[
    "active",
    "completed",
    "entered-in-error",
    "intended",
    "stopped",
    "on-hold",
    "unknown",
    "not-taken",
];
const MEDICATION_STATEMENT: &[El] = &[
    m("identifier", IDENT),
    m("basedOn", REF),
    m("partOf", REF),
    r("status", Ty::Code(MED_STATEMENT_STATUS)),
    m("statusReason", CC),
    o("category", CC),
    rx("medication", &["CodeableConcept", "Reference"]),
    r("subject", REF),
    o("context", REF),
    x("effective", &["DateTime", "Period"]),
    o("dateAsserted", DATETIME),
    o("informationSource", REF),
    m("derivedFrom", REF),
    m("reasonCode", CC),
    m("reasonReference", REF),
    m("note", NOTE),
    m("dosage", DOSAGE),
];

pub(crate) const MED_REQUEST_STATUS: &[&str] = &[
    "active",
    "on-hold",
    "cancelled",
    "completed",
    "entered-in-error",
    "stopped",
    "draft",
    "unknown",
];
pub(crate) const MED_REQUEST_INTENT: &[&str] = &[
    "proposal",
    "plan",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
];
const PRIORITY: &[&str] = &["routine", "urgent", "asap", "stat"];
const MEDICATION_REQUEST: &[El] = &[
    m("identifier", IDENT),
    r("status", Ty::Code(MED_REQUEST_STATUS)),
    o("statusReason", CC),
    r("intent", Ty::Code(MED_REQUEST_INTENT)),
    m("category", CC),
    o("priority", Ty::Code(PRIORITY)),
    o("doNotPerform", BOOL),
    x("reported", &["Boolean", "Reference"]),
    rx("medication", &["CodeableConcept", "Reference"]),
    r("subject", REF),
    o("encounter", REF),
    m("supportingInformation", REF),
    o("authoredOn", DATETIME),
    o("requester", REF),
    o("performer", REF),
    o("performerType", CC),
    o("recorder", REF),
    m("reasonCode", CC),
    m("reasonReference", REF),
    m("instantiatesCanonical", CANON),
    m("instantiatesUri", URI),
    m("basedOn", REF),
    o("groupIdentifier", IDENT),
    o("courseOfTherapyType", CC),
    m("insurance", REF),
    m("note", NOTE),
    m("dosageInstruction", DOSAGE),
    o(
        "dispenseRequest",
        Ty::Backbone(&[
            o(
                "initialFill",
                Ty::Backbone(&[o("quantity", SQTY), o("duration", DURATION)]),
            ),
            o("dispenseInterval", DURATION),
            o("validityPeriod", PERIOD),
            o("numberOfRepeatsAllowed", UINT),
            o("quantity", SQTY),
            o("expectedSupplyDuration", DURATION),
            o("performer", REF),
        ]),
    ),
    o(
        "substitution",
        Ty::Backbone(&[
            rx("allowed", &["Boolean", "CodeableConcept"]),
            o("reason", CC),
        ]),
    ),
    o("priorPrescription", REF),
    m("detectedIssue", REF),
    m("eventHistory", REF),
];

const ALLERGY_INTOLERANCE: &[El] = &[
    m("identifier", IDENT),
    o(
        "clinicalStatus",
        Ty::BoundCc(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
            &["active", "inactive", "resolved"],
        ),
    ),
    o(
        "verificationStatus",
        Ty::BoundCc(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
            &["unconfirmed", "confirmed", "refuted", "entered-in-error"],
        ),
    ),
    o("type", Ty::Code(&["allergy", "intolerance"])),
    m(
        "category",
        Ty::Code(&["food", "medication", "environment", "biologic"]),
    ),
    o(
        "criticality",
        Ty::Code(&["low", "high", "unable-to-assess"]),
    ),
    o("code", CC),
    r("patient", REF),
    o("encounter", REF),
    x("onset", &["DateTime", "Age", "Period", "Range", "String"]),
    o("recordedDate", DATETIME),
    o("recorder", REF),
    o("asserter", REF),
    o("lastOccurrence", DATETIME),
    m("note", NOTE),
    m(
        "reaction",
        Ty::Backbone(&[
            o("substance", CC),
            rm("manifestation", CC),
            o("description", STR),
            o("onset", DATETIME),
            o("severity", Ty::Code(&["mild", "moderate", "severe"])),
            o("exposureRoute", CC),
            m("note", NOTE),
        ]),
    ),
];

const IMMUNIZATION: &[El] = &[
    m("identifier", IDENT),
    r(
        "status",
        Ty::Code(&["completed", "entered-in-error", "not-done"]),
    ),
    o("statusReason", CC),
    r("vaccineCode", CC),
    r("patient", REF),
    o("encounter", REF),
    rx("occurrence", &["DateTime", "String"]),
    o("recorded", DATETIME),
    o("primarySource", BOOL),
    o("reportOrigin", CC),
    o("location", REF),
    o("manufacturer", REF),
    o("lotNumber", STR),
    o("expirationDate", DATE),
    o("site", CC),
    o("route", CC),
    o("doseQuantity", SQTY),
    m(
        "performer",
        Ty::Backbone(&[o("function", CC), r("actor", REF)]),
    ),
    m("note", NOTE),
    m("reasonCode", CC),
    m("reasonReference", REF),
    o("isSubpotent", BOOL),
    m("subpotentReason", CC),
    m(
        "education",
        Ty::Backbone(&[
            o("documentType", STR),
            o("reference", URI),
            o("publicationDate", DATETIME),
            o("presentationDate", DATETIME),
        ]),
    ),
    m("programEligibility", CC),
    o("fundingSource", CC),
    m(
        "reaction",
        Ty::Backbone(&[o("date", DATETIME), o("detail", REF), o("reported", BOOL)]),
    ),
    m(
        "protocolApplied",
        Ty::Backbone(&[
            o("series", STR),
            o("authority", REF),
            m("targetDisease", CC),
            rx("doseNumber", &["PositiveInt", "String"]),
            x("seriesDoses", &["PositiveInt", "String"]),
        ]),
    ),
];

const PROCEDURE: &[El] = &[
    m("identifier", IDENT),
    m("instantiatesCanonical", CANON),
    m("instantiatesUri", URI),
    m("basedOn", REF),
    m("partOf", REF),
    r(
        "status",
        Ty::Code(&[
            "preparation",
            "in-progress",
            "not-done",
            "on-hold",
            "stopped",
            "completed",
            "entered-in-error",
            "unknown",
        ]),
    ),
    o("statusReason", CC),
    o("category", CC),
    o("code", CC),
    r("subject", REF),
    o("encounter", REF),
    x(
        "performed",
        &["DateTime", "Period", "String", "Age", "Range"],
    ),
    o("recorder", REF),
    o("asserter", REF),
    m(
        "performer",
        Ty::Backbone(&[o("function", CC), r("actor", REF), o("onBehalfOf", REF)]),
    ),
    o("location", REF),
    m("reasonCode", CC),
    m("reasonReference", REF),
    m("bodySite", CC),
    o("outcome", CC),
    m("report", REF),
    m("complication", CC),
    m("complicationDetail", REF),
    m("followUp", CC),
    m("note", NOTE),
    m(
        "focalDevice",
        Ty::Backbone(&[o("action", CC), r("manipulated", REF)]),
    ),
    m("usedReference", REF),
    m("usedCode", CC),
];

pub(crate) const ENCOUNTER_STATUS: &[&str] = &[
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
];
const ENCOUNTER: &[El] = &[
    m("identifier", IDENT),
    r("status", Ty::Code(ENCOUNTER_STATUS)),
    m(
        "statusHistory",
        Ty::Backbone(&[r("status", Ty::Code(ENCOUNTER_STATUS)), r("period", PERIOD)]),
    ),
    r("class", CODING),
    m(
        "classHistory",
        Ty::Backbone(&[r("class", CODING), r("period", PERIOD)]),
    ),
    m("type", CC),
    o("serviceType", CC),
    o("priority", CC),
    o("subject", REF),
    m("episodeOfCare", REF),
    m("basedOn", REF),
    m(
        "participant",
        Ty::Backbone(&[m("type", CC), o("period", PERIOD), o("individual", REF)]),
    ),
    m("appointment", REF),
    o("period", PERIOD),
    o("length", DURATION),
    m("reasonCode", CC),
    m("reasonReference", REF),
    m(
        "diagnosis",
        Ty::Backbone(&[r("condition", REF), o("use", CC), o("rank", POS)]),
    ),
    m("account", REF),
    o(
        "hospitalization",
        Ty::Backbone(&[
            o("preAdmissionIdentifier", IDENT),
            o("origin", REF),
            o("admitSource", CC),
            o("reAdmission", CC),
            m("dietPreference", CC),
            m("specialCourtesy", CC),
            m("specialArrangement", CC),
            o("destination", REF),
            o("dischargeDisposition", CC),
        ]),
    ),
    m(
        "location",
        Ty::Backbone(&[
            r("location", REF),
            o(
                "status",
                Ty::Code(&["planned", "active", "reserved", "completed"]),
            ),
            o("physicalType", CC),
            o("period", PERIOD),
        ]),
    ),
    o("serviceProvider", REF),
    o("partOf", REF),
];

pub(crate) const DIAGNOSTIC_REPORT_STATUS: &[&str] = &[
    "registered",
    "partial",
    "preliminary",
    "final",
    "amended",
    "corrected",
    "appended",
    "cancelled",
    "entered-in-error",
    "unknown",
];
const DIAGNOSTIC_REPORT: &[El] = &[
    m("identifier", IDENT),
    m("basedOn", REF),
    r("status", Ty::Code(DIAGNOSTIC_REPORT_STATUS)),
    m("category", CC),
    r("code", CC),
    o("subject", REF),
    o("encounter", REF),
    x("effective", &["DateTime", "Period"]),
    o("issued", INSTANT),
    m("performer", REF),
    m("resultsInterpreter", REF),
    m("specimen", REF),
    m("result", REF),
    m("imagingStudy", REF),
    m("media", Ty::Backbone(&[o("comment", STR), r("link", REF)])),
    o("conclusion", STR),
    m("conclusionCode", CC),
    m("presentedForm", ATTACHMENT),
];

const DOCUMENT_REFERENCE: &[El] = &[
    o("masterIdentifier", IDENT),
    m("identifier", IDENT),
    r(
        "status",
        Ty::Code(&["current", "superseded", "entered-in-error"]),
    ),
    o(
        "docStatus",
        Ty::Code(&["preliminary", "final", "amended", "entered-in-error"]),
    ),
    o("type", CC),
    m("category", CC),
    o("subject", REF),
    o("date", INSTANT),
    m("author", REF),
    o("authenticator", REF),
    o("custodian", REF),
    m(
        "relatesTo",
        Ty::Backbone(&[
            r(
                "code",
                Ty::Code(&["replaces", "transforms", "signs", "appends"]),
            ),
            r("target", REF),
        ]),
    ),
    o("description", STR),
    m("securityLabel", CC),
    rm(
        "content",
        Ty::Backbone(&[r("attachment", ATTACHMENT), o("format", CODING)]),
    ),
    o(
        "context",
        Ty::Backbone(&[
            m("encounter", REF),
            m("event", CC),
            o("period", PERIOD),
            o("facilityType", CC),
            o("practiceSetting", CC),
            o("sourcePatientInfo", REF),
            m("related", REF),
        ]),
    ),
];

const PRACTITIONER: &[El] = &[
    m("identifier", IDENT),
    o("active", BOOL),
    m("name", NAME),
    m("telecom", TELECOM),
    m("address", ADDRESS),
    o("gender", Ty::Code(GENDER)),
    o("birthDate", DATE),
    m("photo", ATTACHMENT),
    m(
        "qualification",
        Ty::Backbone(&[
            m("identifier", IDENT),
            r("code", CC),
            o("period", PERIOD),
            o("issuer", REF),
        ]),
    ),
    m("communication", CC),
];

const ORGANIZATION: &[El] = &[
    m("identifier", IDENT),
    o("active", BOOL),
    m("type", CC),
    o("name", STR),
    m("alias", STR),
    m("telecom", TELECOM),
    m("address", ADDRESS),
    o("partOf", REF),
    m(
        "contact",
        Ty::Backbone(&[
            o("purpose", CC),
            o("name", NAME),
            m("telecom", TELECOM),
            o("address", ADDRESS),
        ]),
    ),
    m("endpoint", REF),
];

const LOCATION: &[El] = &[
    m("identifier", IDENT),
    o("status", Ty::Code(&["active", "suspended", "inactive"])),
    o("operationalStatus", CODING),
    o("name", STR),
    m("alias", STR),
    o("description", STR),
    o("mode", Ty::Code(&["instance", "kind"])),
    m("type", CC),
    m("telecom", TELECOM),
    o("address", ADDRESS),
    o("physicalType", CC),
    o(
        "position",
        Ty::Backbone(&[r("longitude", DEC), r("latitude", DEC), o("altitude", DEC)]),
    ),
    o("managingOrganization", REF),
    o("partOf", REF),
    m(
        "hoursOfOperation",
        Ty::Backbone(&[
            m("daysOfWeek", Ty::Code(DAYS_OF_WEEK)),
            o("allDay", BOOL),
            o("openingTime", TIME),
            o("closingTime", TIME),
        ]),
    ),
    o("availabilityExceptions", STR),
    m("endpoint", REF),
];

const MEDICATION: &[El] = &[
    m("identifier", IDENT),
    o("code", CC),
    o(
        "status",
        Ty::Code(&["active", "inactive", "entered-in-error"]),
    ),
    o("manufacturer", REF),
    o("form", CC),
    o("amount", RATIO),
    m(
        "ingredient",
        Ty::Backbone(&[
            rx("item", &["CodeableConcept", "Reference"]),
            o("isActive", BOOL),
            o("strength", RATIO),
        ]),
    ),
    o(
        "batch",
        Ty::Backbone(&[o("lotNumber", STR), o("expirationDate", DATETIME)]),
    ),
];

const CARE_PLAN: &[El] = &[
    m("identifier", IDENT),
    m("instantiatesCanonical", CANON),
    m("instantiatesUri", URI),
    m("basedOn", REF),
    m("replaces", REF),
    m("partOf", REF),
    r(
        "status",
        Ty::Code(&[
            "draft",
            "active",
            "on-hold",
            "revoked",
            "completed",
            "entered-in-error",
            "unknown",
        ]),
    ),
    r("intent", Ty::Code(&["proposal", "plan", "order", "option"])),
    m("category", CC),
    o("title", STR),
    o("description", STR),
    r("subject", REF),
    o("encounter", REF),
    o("period", PERIOD),
    o("created", DATETIME),
    o("author", REF),
    m("contributor", REF),
    m("careTeam", REF),
    m("addresses", REF),
    m("supportingInfo", REF),
    m("goal", REF),
    m(
        "activity",
        Ty::Backbone(&[
            m("outcomeCodeableConcept", CC),
            m("outcomeReference", REF),
            m("progress", NOTE),
            o("reference", REF),
            o(
                "detail",
                Ty::Backbone(&[
                    o(
                        "kind",
                        Ty::Code(&[
                            "Appointment",
                            "CommunicationRequest",
                            "DeviceRequest",
                            "MedicationRequest",
                            "NutritionOrder",
                            "Task",
                            "ServiceRequest",
                            "VisionPrescription",
                        ]),
                    ),
                    m("instantiatesCanonical", CANON),
                    m("instantiatesUri", URI),
                    o("code", CC),
                    m("reasonCode", CC),
                    m("reasonReference", REF),
                    m("goal", REF),
                    r(
                        "status",
                        Ty::Code(&[
                            "not-started",
                            "scheduled",
                            "in-progress",
                            "on-hold",
                            "completed",
                            "cancelled",
                            "stopped",
                            "unknown",
                            "entered-in-error",
                        ]),
                    ),
                    o("statusReason", CC),
                    o("doNotPerform", BOOL),
                    x("scheduled", &["Timing", "Period", "String"]),
                    o("location", REF),
                    m("performer", REF),
                    x("product", &["CodeableConcept", "Reference"]),
                    o("dailyAmount", SQTY),
                    o("quantity", SQTY),
                    o("description", STR),
                ]),
            ),
        ]),
    ),
    m("note", NOTE),
];

const GOAL: &[El] = &[
    m("identifier", IDENT),
    r(
        "lifecycleStatus",
        Ty::Code(&[
            "proposed",
            "planned",
            "accepted",
            "active",
            "on-hold",
            "completed",
            "cancelled",
            "entered-in-error",
            "rejected",
        ]),
    ),
    o("achievementStatus", CC),
    m("category", CC),
    o("priority", CC),
    r("description", CC),
    r("subject", REF),
    x("start", &["Date", "CodeableConcept"]),
    m(
        "target",
        Ty::Backbone(&[
            o("measure", CC),
            x(
                "detail",
                &[
                    "Quantity",
                    "Range",
                    "CodeableConcept",
                    "String",
                    "Boolean",
                    "Integer",
                    "Ratio",
                ],
            ),
            x("due", &["Date", "Duration"]),
        ]),
    ),
    o("statusDate", DATE),
    o("statusReason", STR),
    o("expressedBy", REF),
    m("addresses", REF),
    m("note", NOTE),
    m("outcomeCode", CC),
    m("outcomeReference", REF),
];

const CARE_TEAM: &[El] = &[
    m("identifier", IDENT),
    o(
        "status",
        Ty::Code(&[
            "proposed",
            "active",
            "suspended",
            "inactive",
            "entered-in-error",
        ]),
    ),
    m("category", CC),
    o("name", STR),
    o("subject", REF),
    o("encounter", REF),
    o("period", PERIOD),
    m(
        "participant",
        Ty::Backbone(&[
            m("role", CC),
            o("member", REF),
            o("onBehalfOf", REF),
            o("period", PERIOD),
        ]),
    ),
    m("reasonCode", CC),
    m("reasonReference", REF),
    m("managingOrganization", REF),
    m("telecom", TELECOM),
    m("note", NOTE),
];

const SERVICE_REQUEST: &[El] = &[
    m("identifier", IDENT),
    m("instantiatesCanonical", CANON),
    m("instantiatesUri", URI),
    m("basedOn", REF),
    m("replaces", REF),
    o("requisition", IDENT),
    r(
        "status",
        Ty::Code(&[
            "draft",
            "active",
            "on-hold",
            "revoked",
            "completed",
            "entered-in-error",
            "unknown",
        ]),
    ),
    r(
        "intent",
        Ty::Code(&[
            "proposal",
            "plan",
            "directive",
            "order",
            "original-order",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        ]),
    ),
    m("category", CC),
    o("priority", Ty::Code(PRIORITY)),
    o("doNotPerform", BOOL),
    o("code", CC),
    m("orderDetail", CC),
    x("quantity", &["Quantity", "Ratio", "Range"]),
    r("subject", REF),
    o("encounter", REF),
    x("occurrence", &["DateTime", "Period", "Timing"]),
    x("asNeeded", &["Boolean", "CodeableConcept"]),
    o("authoredOn", DATETIME),
    o("requester", REF),
    o("performerType", CC),
    m("performer", REF),
    m("locationCode", CC),
    m("locationReference", REF),
    m("reasonCode", CC),
    m("reasonReference", REF),
    m("insurance", REF),
    m("supportingInfo", REF),
    m("specimen", REF),
    m("bodySite", CC),
    m("note", NOTE),
    o("patientInstruction", STR),
    m("relevantHistory", REF),
];

const BUNDLE_LINK: &[El] = &[r("relation", STR), r("url", URI)];
const BUNDLE: &[El] = &[
    o("identifier", IDENT),
    r(
        "type",
        Ty::Code(&[
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        ]),
    ),
    o("timestamp", INSTANT),
    o("total", UINT),
    m("link", Ty::Backbone(BUNDLE_LINK)),
    m(
        "entry",
        Ty::Backbone(&[
            m("link", Ty::Backbone(BUNDLE_LINK)),
            o("fullUrl", URI),
            o("resource", Ty::Resource),
            o(
                "search",
                Ty::Backbone(&[
                    o("mode", Ty::Code(&["match", "include", "outcome"])),
                    o("score", DEC),
                ]),
            ),
            o(
                "request",
                Ty::Backbone(&[
                    r(
                        "method",
                        Ty::Code(&["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
                    ),
                    r("url", URI),
                    o("ifNoneMatch", STR),
                    o("ifModifiedSince", INSTANT),
                    o("ifMatch", STR),
                    o("ifNoneExist", STR),
                ]),
            ),
            o(
                "response",
                Ty::Backbone(&[
                    r("status", STR),
                    o("location", URI),
                    o("etag", STR),
                    o("lastModified", INSTANT),
                    o("outcome", Ty::Resource),
                ]),
            ),
        ]),
    ),
    o("signature", Ty::Data(Dt::Signature)),
];

/// Code systems used by the R4 CodeableConcept statuses, for the converters.
pub(crate) fn tho(name: &str) -> String {
    format!("{THO}{name}")
}

/// DSTU3 top-level element names of the core types (`[x]` marks a choice prefix).
pub(crate) fn dstu3_top(resource_type: &str) -> Option<&'static [&'static str]> {
    Some(match resource_type {
        "Patient" => &[
            "identifier",
            "active",
            "name",
            "telecom",
            "gender",
            "birthDate",
            "deceased[x]",
            "address",
            "maritalStatus",
            "multipleBirth[x]",
            "photo",
            "contact",
            "animal",
            "communication",
            "generalPractitioner",
            "managingOrganization",
            "link",
        ],
        "Condition" => &[
            "identifier",
            "clinicalStatus",
            "verificationStatus",
            "category",
            "severity",
            "code",
            "bodySite",
            "subject",
            "context",
            "onset[x]",
            "abatement[x]",
            "assertedDate",
            "asserter",
            "stage",
            "evidence",
            "note",
        ],
        "Observation" => &[
            "identifier",
            "basedOn",
            "status",
            "category",
            "code",
            "subject",
            "context",
            "effective[x]",
            "issued",
            "performer",
            "value[x]",
            "dataAbsentReason",
            "interpretation",
            "comment",
            "bodySite",
            "method",
            "specimen",
            "device",
            "referenceRange",
            "related",
            "component",
        ],
        "MedicationStatement" => &[
            "identifier",
            "basedOn",
            "partOf",
            "context",
            "status",
            "category",
            "medication[x]",
            "effective[x]",
            "dateAsserted",
            "informationSource",
            "subject",
            "derivedFrom",
            "taken",
            "reasonNotTaken",
            "reasonCode",
            "reasonReference",
            "note",
            "dosage",
        ],
        "MedicationRequest" => &[
            "identifier",
            "definition",
            "basedOn",
            "groupIdentifier",
            "status",
            "intent",
            "category",
            "priority",
            "medication[x]",
            "subject",
            "context",
            "supportingInformation",
            "authoredOn",
            "requester",
            "recorder",
            "reasonCode",
            "reasonReference",
            "note",
            "dosageInstruction",
            "dispenseRequest",
            "substitution",
            "priorPrescription",
            "detectedIssue",
            "eventHistory",
        ],
        "AllergyIntolerance" => &[
            "identifier",
            "clinicalStatus",
            "verificationStatus",
            "type",
            "category",
            "criticality",
            "code",
            "patient",
            "onset[x]",
            "assertedDate",
            "recorder",
            "asserter",
            "lastOccurrence",
            "note",
            "reaction",
        ],
        "Immunization" => &[
            "identifier",
            "status",
            "notGiven",
            "vaccineCode",
            "patient",
            "encounter",
            "date",
            "primarySource",
            "reportOrigin",
            "location",
            "manufacturer",
            "lotNumber",
            "expirationDate",
            "site",
            "route",
            "doseQuantity",
            "practitioner",
            "note",
            "explanation",
            "reaction",
            "vaccinationProtocol",
        ],
        "Procedure" => &[
            "identifier",
            "definition",
            "basedOn",
            "partOf",
            "status",
            "notDone",
            "notDoneReason",
            "category",
            "code",
            "subject",
            "context",
            "performed[x]",
            "performer",
            "location",
            "reasonCode",
            "reasonReference",
            "bodySite",
            "outcome",
            "report",
            "complication",
            "complicationDetail",
            "followUp",
            "note",
            "focalDevice",
            "usedReference",
            "usedCode",
        ],
        "Encounter" => &[
            "identifier",
            "status",
            "statusHistory",
            "class",
            "classHistory",
            "type",
            "priority",
            "subject",
            "episodeOfCare",
            "incomingReferral",
            "participant",
            "appointment",
            "period",
            "length",
            "reason",
            "diagnosis",
            "account",
            "hospitalization",
            "location",
            "serviceProvider",
            "partOf",
        ],
        "DiagnosticReport" => &[
            "identifier",
            "basedOn",
            "status",
            "category",
            "code",
            "subject",
            "context",
            "effective[x]",
            "issued",
            "performer",
            "specimen",
            "result",
            "imagingStudy",
            "image",
            "conclusion",
            "codedDiagnosis",
            "presentedForm",
        ],
        "DocumentReference" => &[
            "masterIdentifier",
            "identifier",
            "status",
            "docStatus",
            "type",
            "class",
            "subject",
            "created",
            "indexed",
            "author",
            "authenticator",
            "custodian",
            "relatesTo",
            "description",
            "securityLabel",
            "content",
            "context",
        ],
        _ => return None,
    })
}

/// Whether `key` names a choice element `prefix[x]` (e.g. `onsetDateTime` for `onset`).
pub(crate) fn choice_suffix<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    key.strip_prefix(prefix)
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
}

/// Removes keys not in `spec` (recursing into backbone elements), keeping base elements,
/// and wraps single values of repeating elements in arrays (some DSTU3 producers, Synthea
/// among them, write e.g. `Procedure.reasonReference` as a bare object).
pub(crate) fn prune_r4(
    o: &mut serde_json::Map<String, serde_json::Value>,
    spec: &[El],
    base: &[&str],
) {
    o.retain(|k, _| {
        let name = k.strip_prefix('_').unwrap_or(k);
        base.contains(&name) || find(spec, name).is_some()
    });
    for el in spec.iter().filter(|el| el.many) {
        if let Some(v) = o.get_mut(el.name)
            && v.is_object()
        {
            *v = serde_json::Value::Array(vec![v.take()]);
        }
    }
    for el in spec {
        if let Ty::Backbone(children) = el.ty
            && let Some(v) = o.get_mut(el.name)
        {
            match v {
                serde_json::Value::Array(a) => a
                    .iter_mut()
                    .filter_map(serde_json::Value::as_object_mut)
                    .for_each(|c| prune_r4(c, children, BACKBONE_BASE)),
                serde_json::Value::Object(c) => prune_r4(c, children, BACKBONE_BASE),
                _ => {}
            }
        }
    }
}

/// The element of `spec` that `key` belongs to (exact name, or choice prefix + allowed type).
pub(crate) fn find<'a>(spec: &'a [El], key: &str) -> Option<&'a El> {
    spec.iter().find(|el| match el.ty {
        Ty::Choice(types) => choice_suffix(key, el.name).is_some_and(|s| types.contains(&s)),
        _ => el.name == key,
    })
}

/// Removes keys the DSTU3 type does not define at the top level.
pub(crate) fn prune_dstu3(o: &mut serde_json::Map<String, serde_json::Value>, names: &[&str]) {
    o.retain(|k, _| {
        let name = k.strip_prefix('_').unwrap_or(k);
        RESOURCE_BASE.contains(&name)
            || names.iter().any(|n| match n.strip_suffix("[x]") {
                Some(prefix) => choice_suffix(name, prefix).is_some(),
                None => *n == name,
            })
    });
}
