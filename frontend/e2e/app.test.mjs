// End to end, in Debian's Chromium against a real Hearth host and a real
// sandbox provider (separate processes): from the first-run wizard to a
// family member seeing a shared profile read-only. Each step saves a
// screenshot to e2e/out/ and is checked with axe for accessibility.
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startHost, startSandbox } from "./host.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const out = path.join(here, "out");
mkdirSync(out, { recursive: true });

const BIN = process.env.HEARTH_BIN ?? path.join(root, "target/debug/hearth");
const PLUGINS = process.env.HEARTH_E2E_PLUGINS ?? path.join(root, "dist/plugins");
const WEB = process.env.HEARTH_E2E_WEB ?? path.join(root, "frontend/dist");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

const ADMIN = { username: "ann", password: "correct horse battery staple" };
const MEMBER = { username: "bob", password: "another long passphrase" };

let sandbox;
let host;
let browser;
let context;
let page;
let step = 0;
const hostLog = [];

/** Save a screenshot of the current page as the next numbered step. */
async function shot(name, p = page) {
  step += 1;
  await p.screenshot({ path: path.join(out, `${String(step).padStart(2, "0")}-${name}.png`), fullPage: true });
}

/** Fail on serious or critical accessibility problems on the current page. */
async function checkA11y(where, p = page) {
  const result = await new AxeBuilder({ page: p }).withTags(["wcag2a", "wcag2aa"]).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map(
      (v) =>
        `${v.id}: ${v.help} (${v.nodes
          .map((n) => `${n.target.join(" ")}: ${n.any[0]?.message ?? n.failureSummary ?? ""}`)
          .slice(0, 3)
          .join("; ")})`,
    ),
    [],
    `accessibility problems on ${where}`,
  );
}

/** The page fits the viewport's width (nothing to scroll sideways). */
async function assertNoSideways(p = page) {
  const { scroll, width } = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width + 1, `page is ${scroll}px wide in a ${width}px viewport`);
}

/** A field's label, with or without the required-field asterisk. */
const field = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\*?$`);

/** After one step fails, the later ones (which build on it) are skipped, not timed out. */
let broken = null;
function step_(name, fn) {
  test(name, async (t) => {
    if (broken) return t.skip(`an earlier step failed: ${broken}`);
    try {
      await fn(t);
    } catch (e) {
      broken = name;
      await shot(`FAILED-${name.replace(/\W+/g, "-").slice(0, 40)}`).catch(() => {});
      throw e;
    }
  });
}

/** A link in the main navigation. */
const nav = (name, p = page) => p.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

const launch = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });

before(async () => {
  const log = (d) => hostLog.push(String(d));
  // Slow answers so that a sync takes a few seconds and its progress can be watched.
  sandbox = await startSandbox({ bin: BIN, delayMs: 250, log });
  host = await startHost({ bin: BIN, pluginsDir: PLUGINS, webDir: WEB, sandboxUrl: sandbox.base, log });
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20_000);
  page = await context.newPage();
  page.on("pageerror", (e) => hostLog.push(`page error: ${e.message}\n`));
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await sandbox?.stop();
  if (process.exitCode) process.stderr.write(hostLog.slice(-80).join(""));
});

describe("Hearth in a browser", () => {
  step_("a new user completes the first-run wizard", async () => {
    await page.goto(host.base);
    await page.waitForURL(/\/setup$/);
    await page.getByLabel("Your name").fill("Ann Example");
    await page.getByLabel(field("Username")).fill(ADMIN.username);
    await page.getByLabel(field("Password")).fill(ADMIN.password);
    await page.getByLabel("Password again").fill("not the same password");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByText("The two passwords are different.").waitFor();
    await checkA11y("the setup wizard");
    await shot("setup-account-mismatch");
    await page.getByLabel("Password again").fill(ADMIN.password);
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByLabel("Their name").fill("Ann Example");
    await shot("setup-first-person");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/sources\/connect\?welcome=1$/);
    await page.getByRole("heading", { name: "Connect your first provider" }).waitFor();
    await checkA11y("the connect step");
  });

  step_("connects Hearth Sandbox through the real authorize and consent pages", async () => {
    await page.getByLabel("Search for your provider").fill("Hearth Sandbox");
    const card = page.getByRole("article", { name: "Hearth Sandbox" });
    await card.waitFor();
    await shot("connect-search");
    await card.getByRole("button", { name: "Connect Hearth Sandbox (synthetic patients)" }).click();
    // Now at the provider: its own sign-in page, then its consent page.
    await page.waitForURL((u) => u.href.startsWith(sandbox.base) && u.pathname.endsWith("/oauth/authorize"));
    await page.locator("#password").fill("sandbox");
    await shot("provider-sign-in");
    await page.locator("#sign-in").click();
    await page.locator("#consent").waitFor();
    await shot("provider-consent");
    await page.locator("#allow").click();
    // Back in Hearth, on the new source's page.
    await page.waitForURL((u) => u.href.startsWith(host.base) && /\/sources\/[0-9a-f]+$/.test(u.pathname) && u.searchParams.get("connected") === "1");
    await page.getByText("Hearth can now read these records").waitFor();
  });

  step_("the progress bar shows the sync running, then finishes", async () => {
    const bar = page.getByRole("progressbar", { name: /Sync progress for/ });
    await bar.waitFor();
    // Slow provider answers: the sync is seen running with a live count.
    await page
      .getByText(/records received so far|Connecting to the provider|Waiting to start/)
      .first()
      .waitFor();
    await shot("sync-running");
    await page.getByText(/^Finished: [\d,]+ records received/).waitFor({ timeout: 120_000 });
    const words = await page.getByText(/^Finished: /).textContent();
    const received = Number(/Finished: ([\d,]+)/.exec(words ?? "")?.[1]?.replace(/,/g, ""));
    assert.ok(received > 100, `the sync received ${received} records`);
    await page.getByText("Up to date").first().waitFor();
    await checkA11y("the source page");
    await shot("sync-finished");
  });

  step_("the timeline shows the records by date and loads older ones on scroll", async () => {
    await nav("Timeline").click();
    const items = page.getByRole("list", { name: "Records by date" }).locator("ul > li");
    await items.first().waitFor();
    const first = await items.count();
    assert.equal(first, 50, "one page of 50");
    await checkA11y("the timeline");
    await shot("timeline");
    await page
      .getByText(/That is everything|Show older records/)
      .first()
      .scrollIntoViewIfNeeded();
    await page.waitForFunction((n) => document.querySelectorAll('[aria-label="Records by date"] ul > li').length > n, first);
    // Filter to visits only.
    await page.getByRole("group", { name: "Show only" }).getByText("Visits", { exact: true }).click();
    await page.waitForURL(/show=visits/);
    await page.getByRole("list", { name: "Records by date" }).getByText("Visit", { exact: true }).first().waitFor();
    await page.waitForFunction(() => {
      const types = [...document.querySelectorAll('[aria-label="Records by date"] li[data-type]')].map((li) => li.getAttribute("data-type"));
      return types.length > 0 && types.every((t) => t === "Encounter");
    });
    await shot("timeline-visits");
  });

  step_("opens a lab result and sees its chart with the reference range", async () => {
    await nav("Lab results").click();
    await page
      .getByRole("link", { name: /Hemoglobin/ })
      .first()
      .click();
    const chart = page.getByTestId("lab-chart");
    await chart.waitFor();
    assert.ok(Number(await chart.getAttribute("data-points")) > 1, "several results charted");
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="lab-chart"] svg path').length > 3);
    const summary = await chart.getAttribute("aria-label");
    assert.match(summary ?? "", /^Hemoglobin.*: \d+ results from/);
    await checkA11y("a lab test");
    await shot("lab-chart");
    // The same result opened as a record, then back to its chart.
    await page.getByRole("table").getByRole("link").first().click();
    await page.getByRole("heading", { name: "Where this came from" }).waitFor();
    await page.getByText("Hearth Sandbox").first().waitFor();
    await page.getByRole("button", { name: "Show raw JSON" }).click();
    await page.getByText('"resourceType": "Observation"').waitFor();
    await checkA11y("a record");
    await shot("lab-record");
    await page.getByRole("link", { name: "See this test over time" }).click();
    await page.getByTestId("lab-chart").waitFor();
  });

  step_("markup in a lab result's unit and name shows as text in the chart's tooltip, not as HTML", async () => {
    // A provider's file with HTML where the unit and the test's name belong.
    const hostile = `<img src=x onerror=alert(1)><a href='https://evil.example/'>evil</a>`;
    const observation = {
      resourceType: "Observation",
      id: "hostile-1",
      status: "final",
      code: { coding: [{ system: "urn:e2e:hostile", code: "x1" }], text: hostile },
      subject: { reference: "Patient/p" },
      effectiveDateTime: "2024-03-01",
      valueQuantity: { value: 5, unit: hostile },
    };
    const csrf = (await context.cookies()).find((c) => c.name === "hearth_csrf")?.value ?? "";
    const upload = await page.request.post(`${host.base}/api/profiles/${await profileId()}/imports`, {
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/fhir+json" },
      data: JSON.stringify({ resourceType: "Bundle", type: "collection", entry: [{ resource: observation }] }),
    });
    assert.equal(upload.status(), 201, await upload.text());
    const dialogs = [];
    const onDialog = (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    };
    page.on("dialog", onDialog);
    try {
      await page.goto(`${host.base}/profiles/${await profileId()}/labs`);
      await page.getByRole("link", { name: hostile, exact: true }).click();
      const chart = page.getByTestId("lab-chart");
      await chart.waitFor();
      // ECharts draws the result as a small filled SVG path; hovering it shows the tooltip (a div beside the SVG).
      const point = await chart.evaluate((el) => {
        const marks = [...el.querySelectorAll("svg path")]
          .filter((p) => p.getAttribute("fill") && p.getAttribute("fill") !== "none")
          .map((p) => p.getBoundingClientRect())
          .filter((r) => r.width > 0 && r.width < 20 && r.height > 0 && r.height < 20);
        return marks.length === 1 ? { x: marks[0].x + marks[0].width / 2, y: marks[0].y + marks[0].height / 2 } : null;
      });
      assert.ok(point, "one result drawn on the chart");
      await page.mouse.move(point.x, point.y);
      const tooltip = page.locator('[data-testid="lab-chart"] > div:not(:has(svg))');
      await tooltip.waitFor();
      await shot("lab-chart-hostile-tooltip");
      assert.equal(await tooltip.locator("img").count(), 0, "no <img> element in the tooltip");
      assert.equal(await tooltip.locator('a[href*="evil.example"]').count(), 0, "no link to evil.example in the tooltip");
      assert.ok((await tooltip.innerText()).includes("<img src=x"), "the markup is shown as text");
      assert.equal(await page.locator('img[src="x"], a[href*="evil.example"]').count(), 0, "nor anywhere else on the page");
      // An injected <img src=x onerror=…> would fire once its request fails (the host's CSP also refuses inline handlers).
      await page.waitForTimeout(500);
      assert.deepEqual(dialogs, [], "no alert was shown");
    } finally {
      page.off("dialog", onDialog);
    }
  });

  step_("uploading a bundle with a bad entry says which entry was wrong and stores nothing", async () => {
    const sourcesBefore = await (await page.request.get(`${host.base}/api/profiles/${await profileId()}/sources`)).json();
    await nav("Upload records").click();
    const bundle = {
      resourceType: "Bundle",
      type: "collection",
      entry: [
        { resource: { resourceType: "Condition", id: "ok-1", code: { text: "Hay fever" }, subject: { reference: "Patient/p" } } },
        { resource: { resourceType: "Observation", id: "bad-2", status: "final", code: { text: "Weight" }, effectiveDateTime: "last Tuesday" } },
      ],
    };
    const chooser = page.waitForEvent("filechooser");
    await page.locator("#upload-file").click();
    await (await chooser).setFiles({ name: "clinic-export.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(bundle)) });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const error = page.getByTestId("upload-error");
    await error.waitFor();
    const text = await error.textContent();
    assert.match(text ?? "", /entry 2 of the file/);
    assert.match(text ?? "", /entry\[1\]\.resource\.effectiveDateTime/);
    assert.match(text ?? "", /not a valid FHIR dateTime/);
    await checkA11y("the upload page with an error");
    await shot("upload-bad-entry");
    const sourcesAfter = await (await page.request.get(`${host.base}/api/profiles/${await profileId()}/sources`)).json();
    assert.equal(sourcesAfter.sources.length, sourcesBefore.sources.length, "no source was added");
  });

  step_("adds a family member's profile and shares it read-only with a second user", async () => {
    // The second user's account, made by the administrator.
    await nav("Users").click();
    await page.getByLabel(field("Username")).fill(MEMBER.username);
    await page.getByLabel(field("Name")).fill("Bob Example");
    await page.getByLabel("First password").fill(MEMBER.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText(`Account ${MEMBER.username} created`).waitFor();
    await checkA11y("users");
    await shot("users");
    // A family member's profile.
    await nav("Family and sharing").click();
    await page.getByRole("button", { name: "Add a person" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a person" });
    await dialog.getByLabel(field("Name")).fill("Sam Example");
    await dialog.getByLabel("Birth date").fill("2019-05-04");
    await dialog.getByRole("button", { name: "Add" }).click();
    // Checked once the dialog has closed, not while it fades out.
    await dialog.waitFor({ state: "hidden" });
    const sam = page.getByRole("region", { name: "Sam Example" });
    await sam.waitFor();
    await sam.getByLabel("Share with (username)").fill(MEMBER.username);
    await sam.getByLabel("They can").selectOption("viewer");
    await sam.getByRole("button", { name: "Share" }).click();
    await sam.getByText("Bob Example").waitFor();
    await checkA11y("family and sharing");
    await shot("family-shared");
  });

  step_("the second user sees the shared profile read-only", async () => {
    const bobContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const bob = await bobContext.newPage();
    await bob.goto(host.base);
    await bob.waitForURL(/\/sign-in/);
    await bob.getByLabel(field("Username")).fill(MEMBER.username);
    await bob.getByLabel(field("Password")).fill(MEMBER.password);
    await bob.getByRole("button", { name: "Sign in" }).click();
    await bob.waitForURL(/\/profiles\/[0-9a-f]+$/);
    const switcher = bob.getByLabel("Whose records");
    await switcher.waitFor();
    await bob.getByRole("heading", { name: "Sam Example", exact: true }).waitFor();
    const options = await switcher.locator("option").allTextContents();
    assert.deepEqual(options, ["Sam Example (viewer)"], "Bob sees only Sam's profile, as a viewer");
    await bob.getByText("shared with you: viewer").waitFor();
    // No way to change anything: no add/upload links, no connect button.
    assert.equal(await bob.getByRole("link", { name: "Add a record" }).count(), 0);
    assert.equal(await bob.getByRole("link", { name: "Upload records" }).count(), 0);
    await nav("Sources", bob).click();
    await bob.getByRole("heading", { name: "No sources yet" }).waitFor();
    assert.equal(await bob.getByRole("link", { name: "Connect a provider" }).count(), 0);
    // Typing the address of a form does not help either.
    await bob.goto(`${bob.url().replace(/\/sources$/, "")}/add/Condition`);
    await bob.getByText("You can look at Sam Example's records but not add to them.").waitFor();
    // Nor does the API: a viewer's write is refused.
    const csrf = (await bobContext.cookies()).find((c) => c.name === "hearth_csrf")?.value ?? "";
    const samId = /profiles\/([0-9a-f]+)/.exec(bob.url())?.[1];
    const write = await bob.request.post(`${host.base}/api/profiles/${samId}/manual/Condition`, {
      headers: { "X-CSRF-Token": csrf },
      data: { resourceType: "Condition", code: { text: "Cold" } },
    });
    assert.equal(write.status(), 403);
    await checkA11y("a shared profile", bob);
    await shot("member-read-only", bob);
    // And Ann's own profile is not reachable by address.
    await bob.goto(`${host.base}/profiles/${await profileId()}`);
    await bob.getByText("You do not have access to this profile").waitFor();
    await bobContext.close();
  });

  step_("the other pages load, say whose records they show, and pass the accessibility checks", async () => {
    const base = `${host.base}/profiles/${await profileId()}`;
    const pages = [
      [`${base}`, "Ann Example", "overview"],
      [`${base}/sources`, "Sources", "sources"],
      [`${base}/jobs`, "Background jobs", "jobs"],
      [`${base}/add`, "Add a record", "add-record"],
      [`${base}/add/Observation`, "Add: measurement", "add-measurement"],
      [`${host.base}/settings`, "Account settings", "settings"],
      [`${host.base}/admin/audit`, "Audit log", "audit"],
      [`${host.base}/connect/failed?kind=access-denied`, "Not connected", "connect-failed"],
    ];
    for (const [url, heading, name] of pages) {
      await page.goto(url);
      await page.getByRole("heading", { level: 1, name: heading, exact: true }).waitFor();
      await page.waitForLoadState("networkidle");
      await checkA11y(name);
      await shot(name);
    }
    // The jobs page lists the connect job as done; the audit log has the sharing.
    await page.goto(`${base}/jobs`);
    await page.getByRole("cell", { name: "Just connected" }).waitFor();
    await page.goto(`${host.base}/admin/audit`);
    await page.getByRole("cell", { name: "Shared a profile" }).first().waitFor();
  });

  step_("works at phone width", async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, storageState: await context.storageState() });
    const p = await phone.newPage();
    await p.goto(`${host.base}/profiles/${await profileId()}/timeline`);
    await p.getByRole("list", { name: "Records by date" }).waitFor();
    await assertNoSideways(p);
    await shot("phone-timeline", p);
    await p.getByRole("button", { name: "Open navigation" }).click();
    await nav("Lab results", p).click();
    await p
      .getByRole("link", { name: /Hemoglobin/ })
      .first()
      .click();
    await p.getByTestId("lab-chart").waitFor();
    await assertNoSideways(p);
    await checkA11y("a lab test at phone width", p);
    await shot("phone-lab-chart", p);
    await phone.close();
  });
});

let ann;
/** Ann's profile id. */
async function profileId() {
  if (ann) return ann;
  const me = await (await page.request.get(`${host.base}/api/me`)).json();
  ann = me.profiles.find((p) => p.name === "Ann Example")?.id;
  return ann;
}
