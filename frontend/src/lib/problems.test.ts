import { ApiError, NetworkError, errorText, explainError } from "../api/client";
import { asClause, explainKind, explainProblem, isChunkLoadError, isFetchFailure, isPlain } from "./problems";

const problem = (kind: string, status: number, detail: string, more: Record<string, unknown> = {}) => ({
  type: `urn:hearth:problem:${kind}`,
  title: "Title",
  status,
  detail,
  ...more,
});

/** Nothing internal in what people read: no ids, URLs, plugin versions or error codes. */
function expectPlain(x: { message: string; action?: string }) {
  for (const text of [x.message, x.action ?? ""]) {
    expect(text).not.toMatch(/https?:\/\/|[0-9a-f]{12,}|::|@\d|urn:hearth|`/);
  }
}

describe("problems in words", () => {
  it('says a profile that is not there is not there, not `no profile "ffff…"`', () => {
    const x = explainProblem(404, problem("not-found", 404, 'no profile "ffffffffffffffffffffffffffffffff"'));
    expect(x.message).toBe("This person's record is not here.");
    expect(x.action).toBe("It may have been removed, or you may no longer have access.");
    expectPlain(x);
    // The host's words stay available, for whoever runs Hearth.
    expect(x.details).toContain('Hearth said: no profile "ffffffffffffffffffffffffffffffff"');
    expect(x.details).toContain("Problem: not-found, HTTP 404");
  });

  it("reads what a not-found is about from the detail, or from the page", () => {
    expect(explainProblem(404, problem("not-found", 404, 'no source "abc123abc123abc1"')).message).toBe("This source is not here any more.");
    expect(explainProblem(404, problem("not-found", 404, "no Observation/x1 is stored")).message).toBe("This record is not here.");
    expect(explainProblem(404, problem("not-found", 404, 'no numeric results for "1234-5"')).message).toBe("There are no results for this test.");
    expect(explainProblem(404, problem("not-found", 404, "gone"), "source").message).toBe("This source is not here any more.");
    expect(explainProblem(404, problem("not-found", 404, "gone")).message).toBe("This is not here any more.");
  });

  it("says what to do when Hearth is busy", () => {
    const db = explainProblem(503, problem("database-busy", 503, "the database is busy with another change; try again in a moment"));
    expect(errorTextOf(db)).toBe("Hearth is busy saving something else. Try again in a moment.");
    const imports = explainProblem(
      503,
      problem("imports-busy", 503, "2 uploads are being imported now; send this one again when one of them is done"),
    );
    expect(imports.message).toBe("Hearth is already bringing in other uploads.");
    expect(imports.action).toMatch(/Send this one again/);
  });

  it("turns too many sign-in attempts into how long to wait", () => {
    expect(explainProblem(429, problem("too-many-attempts", 429, "too many failed sign-ins; try again in 300 s")).action).toBe(
      "Wait 5 minutes, then try again.",
    );
    expect(explainProblem(429, problem("too-many-attempts", 429, "too many failed sign-ins; try again in 20 s")).action).toBe(
      "Wait 20 seconds, then try again.",
    );
    expect(explainProblem(429, {}).message).toBe("Too many sign-in attempts did not work.");
  });

  it("explains signing in, access and roles", () => {
    expect(explainProblem(401, problem("unauthenticated", 401, "sign in first: the session has expired")).message).toBe("You are signed out.");
    expect(explainProblem(401, problem("invalid-credentials", 401, "the username, password or code is not right")).message).toBe(
      "The username, password or code is not right.",
    );
    const role = explainProblem(403, problem("forbidden", 403, "this needs editor access to the profile; you have viewer access"));
    expect(role.message).toBe("Only people who can add and change these records can do this.");
    expect(role.action).toBe("You can look at these records. Ask the record's owner if you need more.");
    expect(explainProblem(403, problem("forbidden", 403, "only administrators may do this")).message).toBe("Only an administrator can do this.");
    expect(explainProblem(403, problem("forbidden", 403, "who knows")).message).toBe("You do not have access to this.");
    expect(explainProblem(403, problem("csrf", 403, "missing or wrong X-CSRF-Token header")).action).toBe("Reload the page, then try again.");
  });

  it("keeps a form's rule in words, without the field's code name", () => {
    const weak = explainProblem(422, problem("weak-password", 422, "`new_password`: the password must be at least 12 characters"));
    expect(weak.action).toBe("The password must be at least 12 characters.");
    expect(weak.details.join("\n")).not.toMatch(/Hearth said/);
    const field = explainProblem(422, problem("invalid-field", 422, "`birth_date`: must be a date YYYY-MM-DD"));
    expect(field.action).toBe("Birth date: must be a date YYYY-MM-DD.");
  });

  it("explains conflicts by their rule", () => {
    expect(explainProblem(409, problem("username-taken", 409, 'the username "ann" is taken')).message).toBe("That username is already taken.");
    expect(explainProblem(409, problem("last-admin", 409, "this is the last enabled administrator")).message).toBe("This is the last administrator.");
    expect(explainProblem(409, problem("sync-running", 409, 'a sync of source "abcabcabcabcabc" is already running')).message).toBe(
      "This source is already syncing.",
    );
    expect(explainProblem(409, problem("some-new-rule", 409, "x")).message).toBe("This changed in the meantime.");
  });

  it("says why a removal cannot be undone, and what to do first", () => {
    const x = explainProblem(
      409,
      problem("cannot-undo", 409, "records were typed in since these were removed; remove those first to bring these back"),
    );
    expect(x.message).toBe("This cannot be put back as things are now.");
    expect(x.action).toBe("Records were typed in since these were removed; remove those first to bring these back.");
    expectPlain(x);
    // Shown in the sentence, so not repeated under Details.
    expect(x.details).toEqual(["Problem: cannot-undo, HTTP 409"]);
    // Internal words stay out of the sentence.
    const internal = explainProblem(409, problem("cannot-undo", 409, "sqlx::Error: UNIQUE constraint failed: sources.profile_id"));
    expect(internal.message).toBe("This cannot be put back as things are now.");
    expect(internal.action).toBe("Something added since is in its way. Reload the page to see what is there now, then try again.");
    expect(internal.details[0]).toMatch(/^Hearth said: sqlx::Error/);
  });

  it("keeps plugin ids, error codes and addresses out of the sentence about a provider", () => {
    const detail = "fhir-r4@0.1.0: upstream: request to https://fhir.example.org/r4/Patient failed: ErrorCode::ConnectionRefused";
    const x = explainProblem(502, problem("sync-failed", 502, detail, { job_id: "0123456789abcdef0123" }));
    expect(x.message).toBe("The provider did not answer as expected.");
    expect(x.action).toBe("Hearth will try again by itself later.");
    expectPlain(x);
    expect(x.details).toEqual([`Hearth said: ${detail}`, "Sync job: 0123456789abcdef0123", "Problem: sync-failed, HTTP 502"]);
    for (const kind of [
      "plugin-timeout",
      "plugin-crashed",
      "plugin-forbidden-host",
      "provider-unreachable",
      "provider-refused",
      "provider-registration-failed",
    ]) {
      expectPlain(explainProblem(502, problem(kind, 502, detail)));
    }
    // An unknown kind from a provider's gateway answer still reads as words.
    expect(explainProblem(502, problem("plugin-something-new", 502, detail)).message).toBe("The provider did not answer as expected.");
  });

  it("says why an address was refused without repeating it", () => {
    const x = explainProblem(
      422,
      problem(
        "provider-address-refused",
        422,
        "http://192.168.1.5/fhir: 192.168.1.5 is 192.168.1.5, a private network address; providers must be on the public internet unless the administrator allows private addresses (allow_private_provider_addresses)",
      ),
    );
    expect(x.message).toBe("Hearth will not connect to this address.");
    expect(x.action).toMatch(/private network/);
    expectPlain(x);
  });

  it("shows an unknown refusal's own words only when they are plain", () => {
    expect(explainProblem(400, problem("brand-new", 400, "that name is too long")).message).toBe("That name is too long.");
    const internal = explainProblem(400, problem("brand-new", 400, "sqlx::Error: database is locked at 0x7f3a9b2c4d5e"));
    expect(internal.message).toBe("Hearth could not do that.");
    expect(internal.details[0]).toMatch(/sqlx/);
  });

  it("explains a job's error class, with the raw error only in the details", () => {
    const x = explainKind("rate-limited", "fhir-r4@0.1.0: 429 from https://fhir.example.org");
    expect(x.message).toBe("The provider asked Hearth to slow down.");
    expect(x.details).toEqual(["Hearth said: fhir-r4@0.1.0: 429 from https://fhir.example.org", "Problem: rate-limited"]);
    expect(explainKind("upstream").message).toBe("The provider did not answer as expected.");
    expect(explainKind(null, "boom").message).toBe("The provider did not answer as expected.");
    expect(explainKind("needs-reconnect").action).toMatch(/Sign in at the provider again/);
  });

  it("says plainly when the host does not answer", () => {
    expect(errorText(new NetworkError())).toBe("Hearth is not answering. Check that it is running, then try again.");
    expect(errorText(new TypeError("Failed to fetch"))).toBe("Hearth is not answering. Check that it is running, then try again.");
    expect(isFetchFailure(new TypeError("NetworkError when attempting to fetch resource."))).toBe(true);
    expect(isFetchFailure(new TypeError("x is undefined"))).toBe(false);
  });

  it("explains an ApiError through errorText and explainError", () => {
    const e = new ApiError(404, problem("not-found", 404, 'no profile "ffff0000ffff0000"'));
    expect(errorText(e)).toBe("This person's record is not here. It may have been removed, or you may no longer have access.");
    expect(explainError(e).details[0]).toBe('Hearth said: no profile "ffff0000ffff0000"');
    expect(explainError(new Error("kaboom")).details).toEqual(["Error: kaboom"]);
    expect(errorText(new ApiError(500, {}))).toBe("Hearth had a problem answering. Try again in a moment.");
  });

  it("recognises a part of the app that failed to load", () => {
    expect(isChunkLoadError(new TypeError("Failed to fetch dynamically imported module: https://h/assets/Labs-abc.js"))).toBe(true);
    expect(isChunkLoadError(new TypeError("error loading dynamically imported module"))).toBe(true);
    expect(isChunkLoadError(new Error("Importing a module script failed."))).toBe(true);
    expect(isChunkLoadError(new Error("Cannot read properties of undefined"))).toBe(false);
  });

  it("tells plain words from internal ones", () => {
    expect(isPlain("the password must be at least 12 characters")).toBe(true);
    expect(isPlain("fhir-r4@0.1.0 failed")).toBe(false);
    expect(isPlain("see https://x.example")).toBe(false);
    expect(isPlain("ErrorCode::ConnectionRefused")).toBe(false);
    expect(isPlain('no profile "0123456789abcdef"')).toBe(false);
    expect(asClause("The provider did not answer.")).toBe("the provider did not answer.");
    expect(asClause("Hearth could not reach it.")).toBe("Hearth could not reach it.");
  });
});

function errorTextOf(x: { message: string; action?: string }) {
  return x.action ? `${x.message} ${x.action}` : x.message;
}
