//! Element tables: the R4 shape of each supported type (used by `check_r4` and to strip
//! elements R4 lacks) and the DSTU3 top-level names (used to strip R4-only elements).

/// What an element holds.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    /// A JSON primitive (string, number or boolean).
    Prim,
    /// A code bound (required) to the listed codes.
    Code(&'static [&'static str]),
    /// A complex datatype (CodeableConcept, Reference, Period, ...): a JSON object.
    Complex,
    /// A CodeableConcept with a required binding to one code system.
    BoundCc(&'static str, &'static [&'static str]),
    /// A choice element `name[x]`; the slice lists the allowed type suffixes.
    Choice(&'static [&'static str]),
    /// A backbone element with its own children.
    Backbone(&'static [El]),
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

const P: Ty = Ty::Prim;
const C: Ty = Ty::Complex;

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

const GENDER: &[&str] = &["male", "female", "other", "unknown"];
const THO: &str = "http://terminology.hl7.org/CodeSystem/";

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

const PATIENT: &[El] = &[
    m("identifier", C),
    o("active", P),
    m("name", C),
    m("telecom", C),
    o("gender", Ty::Code(GENDER)),
    o("birthDate", P),
    x("deceased", &["Boolean", "DateTime"]),
    m("address", C),
    o("maritalStatus", C),
    x("multipleBirth", &["Boolean", "Integer"]),
    m("photo", C),
    m(
        "contact",
        Ty::Backbone(&[
            m("relationship", C),
            o("name", C),
            m("telecom", C),
            o("address", C),
            o("gender", Ty::Code(GENDER)),
            o("organization", C),
            o("period", C),
        ]),
    ),
    m(
        "communication",
        Ty::Backbone(&[r("language", C), o("preferred", P)]),
    ),
    m("generalPractitioner", C),
    o("managingOrganization", C),
    m(
        "link",
        Ty::Backbone(&[
            r("other", C),
            r(
                "type",
                Ty::Code(&["replaced-by", "replaces", "refer", "seealso"]),
            ),
        ]),
    ),
];

const CONDITION_CHOICE: &[&str] = &["DateTime", "Age", "Period", "Range", "String"];
const CONDITION: &[El] = &[
    m("identifier", C),
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
    m("category", C),
    o("severity", C),
    o("code", C),
    m("bodySite", C),
    r("subject", C),
    o("encounter", C),
    x("onset", CONDITION_CHOICE),
    x("abatement", CONDITION_CHOICE),
    o("recordedDate", P),
    o("recorder", C),
    o("asserter", C),
    m(
        "stage",
        Ty::Backbone(&[o("summary", C), m("assessment", C), o("type", C)]),
    ),
    m("evidence", Ty::Backbone(&[m("code", C), m("detail", C)])),
    m("note", C),
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
    o("low", C),
    o("high", C),
    o("type", C),
    m("appliesTo", C),
    o("age", C),
    o("text", P),
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
    m("identifier", C),
    m("basedOn", C),
    m("partOf", C),
    r("status", Ty::Code(OBS_STATUS)),
    m("category", C),
    r("code", C),
    o("subject", C),
    m("focus", C),
    o("encounter", C),
    x("effective", &["DateTime", "Period", "Timing", "Instant"]),
    o("issued", P),
    m("performer", C),
    x("value", OBS_VALUE),
    o("dataAbsentReason", C),
    m("interpretation", C),
    m("note", C),
    o("bodySite", C),
    o("method", C),
    o("specimen", C),
    o("device", C),
    m("referenceRange", Ty::Backbone(REFERENCE_RANGE)),
    m("hasMember", C),
    m("derivedFrom", C),
    m(
        "component",
        Ty::Backbone(&[
            r("code", C),
            x("value", OBS_VALUE),
            o("dataAbsentReason", C),
            m("interpretation", C),
            m("referenceRange", Ty::Backbone(REFERENCE_RANGE)),
        ]),
    ),
];

const DOSAGE: &[El] = &[
    o("sequence", P),
    o("text", P),
    m("additionalInstruction", C),
    o("patientInstruction", P),
    o("timing", C),
    x("asNeeded", &["Boolean", "CodeableConcept"]),
    o("site", C),
    o("route", C),
    o("method", C),
    m(
        "doseAndRate",
        Ty::Backbone(&[
            o("type", C),
            x("dose", &["Range", "Quantity"]),
            x("rate", &["Ratio", "Range", "Quantity"]),
        ]),
    ),
    o("maxDosePerPeriod", C),
    o("maxDosePerAdministration", C),
    o("maxDosePerLifetime", C),
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
    m("identifier", C),
    m("basedOn", C),
    m("partOf", C),
    r("status", Ty::Code(MED_STATEMENT_STATUS)),
    m("statusReason", C),
    o("category", C),
    rx("medication", &["CodeableConcept", "Reference"]),
    r("subject", C),
    o("context", C),
    x("effective", &["DateTime", "Period"]),
    o("dateAsserted", P),
    o("informationSource", C),
    m("derivedFrom", C),
    m("reasonCode", C),
    m("reasonReference", C),
    m("note", C),
    m("dosage", Ty::Backbone(DOSAGE)),
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
    m("identifier", C),
    r("status", Ty::Code(MED_REQUEST_STATUS)),
    o("statusReason", C),
    r("intent", Ty::Code(MED_REQUEST_INTENT)),
    m("category", C),
    o("priority", Ty::Code(PRIORITY)),
    o("doNotPerform", P),
    x("reported", &["Boolean", "Reference"]),
    rx("medication", &["CodeableConcept", "Reference"]),
    r("subject", C),
    o("encounter", C),
    m("supportingInformation", C),
    o("authoredOn", P),
    o("requester", C),
    o("performer", C),
    o("performerType", C),
    o("recorder", C),
    m("reasonCode", C),
    m("reasonReference", C),
    m("instantiatesCanonical", P),
    m("instantiatesUri", P),
    m("basedOn", C),
    o("groupIdentifier", C),
    o("courseOfTherapyType", C),
    m("insurance", C),
    m("note", C),
    m("dosageInstruction", Ty::Backbone(DOSAGE)),
    o(
        "dispenseRequest",
        Ty::Backbone(&[
            o(
                "initialFill",
                Ty::Backbone(&[o("quantity", C), o("duration", C)]),
            ),
            o("dispenseInterval", C),
            o("validityPeriod", C),
            o("numberOfRepeatsAllowed", P),
            o("quantity", C),
            o("expectedSupplyDuration", C),
            o("performer", C),
        ]),
    ),
    o(
        "substitution",
        Ty::Backbone(&[
            rx("allowed", &["Boolean", "CodeableConcept"]),
            o("reason", C),
        ]),
    ),
    o("priorPrescription", C),
    m("detectedIssue", C),
    m("eventHistory", C),
];

const ALLERGY_INTOLERANCE: &[El] = &[
    m("identifier", C),
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
    o("code", C),
    r("patient", C),
    o("encounter", C),
    x("onset", &["DateTime", "Age", "Period", "Range", "String"]),
    o("recordedDate", P),
    o("recorder", C),
    o("asserter", C),
    o("lastOccurrence", P),
    m("note", C),
    m(
        "reaction",
        Ty::Backbone(&[
            o("substance", C),
            rm("manifestation", C),
            o("description", P),
            o("onset", P),
            o("severity", Ty::Code(&["mild", "moderate", "severe"])),
            o("exposureRoute", C),
            m("note", C),
        ]),
    ),
];

const IMMUNIZATION: &[El] = &[
    m("identifier", C),
    r(
        "status",
        Ty::Code(&["completed", "entered-in-error", "not-done"]),
    ),
    o("statusReason", C),
    r("vaccineCode", C),
    r("patient", C),
    o("encounter", C),
    rx("occurrence", &["DateTime", "String"]),
    o("recorded", P),
    o("primarySource", P),
    o("reportOrigin", C),
    o("location", C),
    o("manufacturer", C),
    o("lotNumber", P),
    o("expirationDate", P),
    o("site", C),
    o("route", C),
    o("doseQuantity", C),
    m(
        "performer",
        Ty::Backbone(&[o("function", C), r("actor", C)]),
    ),
    m("note", C),
    m("reasonCode", C),
    m("reasonReference", C),
    o("isSubpotent", P),
    m("subpotentReason", C),
    m(
        "education",
        Ty::Backbone(&[
            o("documentType", P),
            o("reference", P),
            o("publicationDate", P),
            o("presentationDate", P),
        ]),
    ),
    m("programEligibility", C),
    o("fundingSource", C),
    m(
        "reaction",
        Ty::Backbone(&[o("date", P), o("detail", C), o("reported", P)]),
    ),
    m(
        "protocolApplied",
        Ty::Backbone(&[
            o("series", P),
            o("authority", C),
            m("targetDisease", C),
            rx("doseNumber", &["PositiveInt", "String"]),
            x("seriesDoses", &["PositiveInt", "String"]),
        ]),
    ),
];

const PROCEDURE: &[El] = &[
    m("identifier", C),
    m("instantiatesCanonical", P),
    m("instantiatesUri", P),
    m("basedOn", C),
    m("partOf", C),
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
    o("statusReason", C),
    o("category", C),
    o("code", C),
    r("subject", C),
    o("encounter", C),
    x(
        "performed",
        &["DateTime", "Period", "String", "Age", "Range"],
    ),
    o("recorder", C),
    o("asserter", C),
    m(
        "performer",
        Ty::Backbone(&[o("function", C), r("actor", C), o("onBehalfOf", C)]),
    ),
    o("location", C),
    m("reasonCode", C),
    m("reasonReference", C),
    m("bodySite", C),
    o("outcome", C),
    m("report", C),
    m("complication", C),
    m("complicationDetail", C),
    m("followUp", C),
    m("note", C),
    m(
        "focalDevice",
        Ty::Backbone(&[o("action", C), r("manipulated", C)]),
    ),
    m("usedReference", C),
    m("usedCode", C),
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
    m("identifier", C),
    r("status", Ty::Code(ENCOUNTER_STATUS)),
    m(
        "statusHistory",
        Ty::Backbone(&[r("status", Ty::Code(ENCOUNTER_STATUS)), r("period", C)]),
    ),
    r("class", C),
    m(
        "classHistory",
        Ty::Backbone(&[r("class", C), r("period", C)]),
    ),
    m("type", C),
    o("serviceType", C),
    o("priority", C),
    o("subject", C),
    m("episodeOfCare", C),
    m("basedOn", C),
    m(
        "participant",
        Ty::Backbone(&[m("type", C), o("period", C), o("individual", C)]),
    ),
    m("appointment", C),
    o("period", C),
    o("length", C),
    m("reasonCode", C),
    m("reasonReference", C),
    m(
        "diagnosis",
        Ty::Backbone(&[r("condition", C), o("use", C), o("rank", P)]),
    ),
    m("account", C),
    o(
        "hospitalization",
        Ty::Backbone(&[
            o("preAdmissionIdentifier", C),
            o("origin", C),
            o("admitSource", C),
            o("reAdmission", C),
            m("dietPreference", C),
            m("specialCourtesy", C),
            m("specialArrangement", C),
            o("destination", C),
            o("dischargeDisposition", C),
        ]),
    ),
    m(
        "location",
        Ty::Backbone(&[
            r("location", C),
            o(
                "status",
                Ty::Code(&["planned", "active", "reserved", "completed"]),
            ),
            o("physicalType", C),
            o("period", C),
        ]),
    ),
    o("serviceProvider", C),
    o("partOf", C),
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
    m("identifier", C),
    m("basedOn", C),
    r("status", Ty::Code(DIAGNOSTIC_REPORT_STATUS)),
    m("category", C),
    r("code", C),
    o("subject", C),
    o("encounter", C),
    x("effective", &["DateTime", "Period"]),
    o("issued", P),
    m("performer", C),
    m("resultsInterpreter", C),
    m("specimen", C),
    m("result", C),
    m("imagingStudy", C),
    m("media", Ty::Backbone(&[o("comment", P), r("link", C)])),
    o("conclusion", P),
    m("conclusionCode", C),
    m("presentedForm", C),
];

const DOCUMENT_REFERENCE: &[El] = &[
    o("masterIdentifier", C),
    m("identifier", C),
    r(
        "status",
        Ty::Code(&["current", "superseded", "entered-in-error"]),
    ),
    o(
        "docStatus",
        Ty::Code(&["preliminary", "final", "amended", "entered-in-error"]),
    ),
    o("type", C),
    m("category", C),
    o("subject", C),
    o("date", P),
    m("author", C),
    o("authenticator", C),
    o("custodian", C),
    m(
        "relatesTo",
        Ty::Backbone(&[
            r(
                "code",
                Ty::Code(&["replaces", "transforms", "signs", "appends"]),
            ),
            r("target", C),
        ]),
    ),
    o("description", P),
    m("securityLabel", C),
    rm(
        "content",
        Ty::Backbone(&[r("attachment", C), o("format", C)]),
    ),
    o(
        "context",
        Ty::Backbone(&[
            m("encounter", C),
            m("event", C),
            o("period", C),
            o("facilityType", C),
            o("practiceSetting", C),
            o("sourcePatientInfo", C),
            m("related", C),
        ]),
    ),
];

const PRACTITIONER: &[El] = &[
    m("identifier", C),
    o("active", P),
    m("name", C),
    m("telecom", C),
    m("address", C),
    o("gender", Ty::Code(GENDER)),
    o("birthDate", P),
    m("photo", C),
    m("qualification", C),
    m("communication", C),
];

const ORGANIZATION: &[El] = &[
    m("identifier", C),
    o("active", P),
    m("type", C),
    o("name", P),
    m("alias", P),
    m("telecom", C),
    m("address", C),
    o("partOf", C),
    m("contact", C),
    m("endpoint", C),
];

const LOCATION: &[El] = &[
    m("identifier", C),
    o("status", Ty::Code(&["active", "suspended", "inactive"])),
    o("operationalStatus", C),
    o("name", P),
    m("alias", P),
    o("description", P),
    o("mode", Ty::Code(&["instance", "kind"])),
    m("type", C),
    m("telecom", C),
    o("address", C),
    o("physicalType", C),
    o("position", C),
    o("managingOrganization", C),
    o("partOf", C),
    m("hoursOfOperation", C),
    o("availabilityExceptions", P),
    m("endpoint", C),
];

const MEDICATION: &[El] = &[
    m("identifier", C),
    o("code", C),
    o(
        "status",
        Ty::Code(&["active", "inactive", "entered-in-error"]),
    ),
    o("manufacturer", C),
    o("form", C),
    o("amount", C),
    m(
        "ingredient",
        Ty::Backbone(&[
            rx("item", &["CodeableConcept", "Reference"]),
            o("isActive", P),
            o("strength", C),
        ]),
    ),
    o(
        "batch",
        Ty::Backbone(&[o("lotNumber", P), o("expirationDate", P)]),
    ),
];

const CARE_PLAN: &[El] = &[
    m("identifier", C),
    m("instantiatesCanonical", P),
    m("instantiatesUri", P),
    m("basedOn", C),
    m("replaces", C),
    m("partOf", C),
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
    m("category", C),
    o("title", P),
    o("description", P),
    r("subject", C),
    o("encounter", C),
    o("period", C),
    o("created", P),
    o("author", C),
    m("contributor", C),
    m("careTeam", C),
    m("addresses", C),
    m("supportingInfo", C),
    m("goal", C),
    m(
        "activity",
        Ty::Backbone(&[
            m("outcomeCodeableConcept", C),
            m("outcomeReference", C),
            m("progress", C),
            o("reference", C),
            o(
                "detail",
                Ty::Backbone(&[
                    o("kind", P),
                    m("instantiatesCanonical", P),
                    m("instantiatesUri", P),
                    o("code", C),
                    m("reasonCode", C),
                    m("reasonReference", C),
                    m("goal", C),
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
                    o("statusReason", C),
                    o("doNotPerform", P),
                    x("scheduled", &["Timing", "Period", "String"]),
                    o("location", C),
                    m("performer", C),
                    x("product", &["CodeableConcept", "Reference"]),
                    o("dailyAmount", C),
                    o("quantity", C),
                    o("description", P),
                ]),
            ),
        ]),
    ),
    m("note", C),
];

const GOAL: &[El] = &[
    m("identifier", C),
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
    o("achievementStatus", C),
    m("category", C),
    o("priority", C),
    r("description", C),
    r("subject", C),
    x("start", &["Date", "CodeableConcept"]),
    m(
        "target",
        Ty::Backbone(&[
            o("measure", C),
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
    o("statusDate", P),
    o("statusReason", P),
    o("expressedBy", C),
    m("addresses", C),
    m("note", C),
    m("outcomeCode", C),
    m("outcomeReference", C),
];

const CARE_TEAM: &[El] = &[
    m("identifier", C),
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
    m("category", C),
    o("name", P),
    o("subject", C),
    o("encounter", C),
    o("period", C),
    m(
        "participant",
        Ty::Backbone(&[
            m("role", C),
            o("member", C),
            o("onBehalfOf", C),
            o("period", C),
        ]),
    ),
    m("reasonCode", C),
    m("reasonReference", C),
    m("managingOrganization", C),
    m("telecom", C),
    m("note", C),
];

const SERVICE_REQUEST: &[El] = &[
    m("identifier", C),
    m("instantiatesCanonical", P),
    m("instantiatesUri", P),
    m("basedOn", C),
    m("replaces", C),
    o("requisition", C),
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
    m("category", C),
    o("priority", Ty::Code(PRIORITY)),
    o("doNotPerform", P),
    o("code", C),
    m("orderDetail", C),
    x("quantity", &["Quantity", "Ratio", "Range"]),
    r("subject", C),
    o("encounter", C),
    x("occurrence", &["DateTime", "Period", "Timing"]),
    x("asNeeded", &["Boolean", "CodeableConcept"]),
    o("authoredOn", P),
    o("requester", C),
    o("performerType", C),
    m("performer", C),
    m("locationCode", C),
    m("locationReference", C),
    m("reasonCode", C),
    m("reasonReference", C),
    m("insurance", C),
    m("supportingInfo", C),
    m("specimen", C),
    m("bodySite", C),
    m("note", C),
    o("patientInstruction", P),
    m("relevantHistory", C),
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
