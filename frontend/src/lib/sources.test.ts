import { describe, expect, it } from "vitest";
import { leftOut } from "./sources";

describe("leftOut", () => {
  it("says per type how many records a sync left out, and why, with an example", () => {
    expect(
      leftOut({
        Observation: { count: 2, example: "Observation/bad1", path: "status", reason: "'bogus' is not in the required value set" },
      }),
    ).toEqual(["2 observations left out as not valid FHIR (Observation/bad1: status 'bogus' is not in the required value set)"]);
    expect(leftOut(undefined)).toEqual([]);
  });
});
