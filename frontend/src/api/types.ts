// Names for the API's shapes, taken from the routes that return them so the
// pages follow the host's description whatever its schemas are called.
import type { paths } from "./schema";

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;
/** The JSON body of a GET route's 200 answer. */
export type Get<P extends keyof paths> = paths[P] extends { get: { responses: { 200: infer R } } } ? Json<R> : never;
/** The JSON body a POST route takes. */
export type PostBody<P extends keyof paths> = paths[P] extends {
  post: { requestBody?: { content: { "application/json": infer B } } };
}
  ? B
  : never;

export type Me = Get<"/api/me">;
export type User = Me["user"];
export type MyProfile = Me["profiles"][number];
export type Session = Get<"/api/auth/sessions">["sessions"][number];
export type Grant = Get<"/api/profiles/{profile}/grants">["grants"][number];
export type AdminUser = Get<"/api/users">["users"][number];
export type AuditEntry = Get<"/api/audit">["entries"][number];
export type CatalogResult = Get<"/api/catalog">["results"][number];
export type Source = Get<"/api/profiles/{profile}/sources">["sources"][number];
export type Job = Get<"/api/profiles/{profile}/jobs">["jobs"][number];
export type TimelinePage = Get<"/api/profiles/{profile}/timeline">;
export type TimelineItem = TimelinePage["items"][number];
export type LabTest = Get<"/api/profiles/{profile}/labs">["tests"][number];
export type LabSeries = Get<"/api/profiles/{profile}/labs/series">;
export type LabPoint = LabSeries["points"][number];
export type Related = Get<"/api/profiles/{profile}/records/{type}/{id}/related">;
export type PluginList = Get<"/api/plugins">;

/** A FHIR resource as stored: verbatim JSON. */
export type Resource = { resourceType: string; id?: string; [k: string]: unknown };
export type HealthSummary = Get<"/api/profiles/{profile}/summary">;
export type SummaryFact = HealthSummary["problems"]["items"][number];
export type SummaryVisit = HealthSummary["visits"]["recent"][number];
/** Something taken out of a profile (a hidden record, a deleted typed-in record, a removed source) or a deleted person, which can be undone. */
export type Removal = Get<"/api/profiles/{profile}/removals">["removals"][number];
export type RecordCopy = Get<"/api/profiles/{profile}/records/{type}/{id}/provenance">["copies"][number];
/** Chat: whether it is on and where questions go; an administrator's settings; conversations and their checked answers. */
export type ChatStatus = Get<"/api/chat">;
export type ChatSettings = NonNullable<Get<"/api/admin/chat">>;
export type ChatSettingsInput = paths["/api/admin/chat"]["put"]["requestBody"]["content"]["application/json"];
export type ConversationSummary = Get<"/api/profiles/{profile}/conversations">["conversations"][number];
export type Conversation = Get<"/api/profiles/{profile}/conversations/{conversation}">;
export type StoredMessage = Conversation["messages"][number];
export type CheckedAnswer = NonNullable<StoredMessage["checked"]>;
export type Claim = CheckedAnswer["claims"][number];
export type Citation = CheckedAnswer["citations"][number];
