// End to end, in Debian's Chromium against a real Hearth host and a real
// sandbox provider (separate processes): from the first-run wizard to a
// family member seeing a shared profile read-only. Each step saves a
// screenshot to e2e/out/ and is checked with axe for accessibility.
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { launchChromium, startHost, startSandbox } from "./host.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const out = path.join(here, "out");
mkdirSync(out, { recursive: true });

const BIN = process.env.HEARTH_BIN ?? path.join(root, "target/debug/hearth");
const PLUGINS = process.env.HEARTH_E2E_PLUGINS ?? path.join(root, "dist/plugins");
const WEB = process.env.HEARTH_E2E_WEB ?? path.join(root, "frontend/dist");

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

/** The notices shown at the bottom of the page ("Deleted", with an Undo). */
const notices = (p = page) => p.getByTestId("notices").getByRole("alert");

/** A link in the main navigation. */
const nav = (name, p = page) => p.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

const launch = launchChromium;

before(async () => {
  const log = (d) => hostLog.push(String(d));
  // Slow answers so that a sync takes a few seconds and its progress can be watched.
  // Seed 51's first patient (the one the sandbox signs in as) is an older adult
  // with type 2 diabetes and hypertension on record, so condition dashboards apply.
  sandbox = await startSandbox({ bin: BIN, delayMs: 250, log, seed: 51 });
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
    // The sandbox patient is not Ann: Hearth names the portal's patient and waits for a yes.
    const ask = page.getByTestId("confirm-person");
    await ask.waitFor();
    assert.match(await ask.innerText(), /belongs to .+, which does not match Ann Example/);
    await checkA11y("the confirm-person question");
    await shot("confirm-person");
    await ask.getByRole("button", { name: "Yes, these are Ann Example's records" }).click();
  });

  step_("the progress bar shows the sync running, then finishes", async () => {
    const bar = page.getByRole("progressbar", { name: /Sync progress for/ });
    await bar.waitFor();
    // Slow provider answers: the sync is seen running. The connector (world
    // 0.2) passes on the provider's count, so the bar shows a true percentage.
    await page
      .getByText(/^[\d,]+ of [\d,]+ records received \(\d+%\)$/)
      .first()
      .waitFor();
    const now = Number(await bar.first().getAttribute("aria-valuenow"));
    assert.ok(now >= 0 && now < 100, `a running sync's bar is part-full: ${now}`);
    await shot("sync-running");
    await page.getByText(/^Finished: [\d,]+ records received/).waitFor({ timeout: 120_000 });
    const words = await page.getByText(/^Finished: /).textContent();
    const received = Number(/Finished: ([\d,]+)/.exec(words ?? "")?.[1]?.replace(/,/g, ""));
    assert.ok(received > 100, `the sync received ${received} records`);
    await page.getByText("Up to date").first().waitFor();
    await checkA11y("the source page");
    await shot("sync-finished");
  });

  step_("the health summary answers what is going on: problems, medicines, allergies, immunizations", async () => {
    await nav("Health summary").click();
    await page.getByRole("heading", { level: 1, name: "Ann Example" }).waitFor();
    for (const title of ["Active problems", "Medicines", "Allergies and intolerances", "Latest vital signs", "Immunizations", "Visits"]) {
      await page.getByRole("heading", { level: 2, name: title, exact: true }).waitFor();
    }
    const section = (name) => page.getByRole("region", { name, exact: true });
    // The sandbox patient has allergies and vaccines on record: each is a link to its record.
    assert.ok((await section("Allergies and intolerances").getByRole("listitem").count()) > 0, "allergies listed");
    assert.ok((await section("Immunizations").getByRole("listitem").count()) > 0, "immunizations listed");
    const vitals = await section("Latest vital signs").innerText();
    assert.match(vitals, /Blood pressure\s+\d+\/\d+ mmHg/, "blood pressure as one reading");
    assert.doesNotMatch(vitals, /\d\.\d{3,}|mm\[Hg\]|Cel\b/, "values rounded, units in words");
    await checkA11y("the health summary");
    await shot("summary");
    const allergy = section("Allergies and intolerances").getByRole("link").first();
    const name = (await allergy.textContent()) ?? "";
    await allergy.click();
    await page.getByRole("heading", { level: 1, name }).waitFor();
    await page.goBack();
    await section("Immunizations").getByRole("link").first().waitFor();
  });

  step_("the timeline groups records by visit, reads values plainly, and stays light however far it scrolls", async () => {
    await nav("Timeline").click();
    const list = page.getByRole("list", { name: "Records by date" });
    await list.locator("[data-type]").first().waitFor();
    await checkA11y("the timeline");
    await shot("timeline");
    const text = await list.innerText();
    assert.doesNotMatch(text, /\d\.\d{4,}|mm\[Hg\]|\bCel\b|OBSERVATION/, "no raw numbers, UCUM codes or type badges");
    assert.ok((await list.getByRole("region", { name: /^Visit: / }).count()) > 0, "records gathered under their visit");
    // Scroll far: many pages load, yet only the rows near the screen are in the page.
    for (let i = 0; i < 12; i++) {
      await page.mouse.wheel(0, 6000);
      await page.waitForTimeout(150);
    }
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Records by date"]')?.getAttribute("data-count")) >= 300);
    const rendered = await list.locator("[data-type]").count();
    assert.ok(rendered < 150, `${rendered} records in the page while 300+ are loaded`);
    // Text search.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByLabel("Search records").fill("hemoglobin");
    await page.waitForURL(/q=hemoglobin/);
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[aria-label="Records by date"] [data-type] a')].map((a) => a.textContent ?? "");
      return rows.length > 0 && rows.every((t) => /hemoglobin/i.test(t));
    });
    await shot("timeline-search");
    await page.getByLabel("Search records").fill("");
    await page.waitForURL((u) => !u.searchParams.has("q"));
    // Filter to visits only.
    await page.getByRole("group", { name: "Show only" }).getByText("Visits", { exact: true }).click();
    await page.waitForURL(/show=visits/);
    await page.waitForFunction(() => {
      const types = [...document.querySelectorAll('[aria-label="Records by date"] [data-type]')].map((li) => li.getAttribute("data-type"));
      return types.length > 0 && types.every((t) => t === "Encounter");
    });
    await shot("timeline-visits");
  });

  step_("opens a lab result and sees its chart with the reference range", async () => {
    await nav("Lab results").click();
    // Tests reported together are gathered under their panel's name, within each kind.
    await page.getByRole("heading", { level: 2, name: /^Blood count/ }).waitFor();
    const panels = await page.getByRole("heading", { level: 3 }).allInnerTexts();
    assert.ok(panels.length > 0, "panel sub-headings");
    assert.ok(
      panels.every((h) => /· \d+ tests?$/.test(h)),
      panels.join(", "),
    );
    await checkA11y("lab results by panel");
    await shot("labs");
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

  step_("the diabetes and blood pressure dashboards follow from the records, a point opens its record, and a layout stays", async () => {
    await nav("Dashboards").click();
    await page.getByRole("heading", { level: 1, name: "Dashboards" }).waitFor();
    // Type 2 diabetes and hypertension are on the sandbox patient's record: both dashboards are shown unasked.
    const shown = page.getByRole("region", { name: "Shown" });
    for (const name of ["Diabetes", "High blood pressure"]) {
      const row = shown.getByRole("listitem").filter({ has: page.getByRole("link", { name, exact: true }) });
      await row.getByText(/ is on record$/).waitFor();
    }
    await checkA11y("the dashboards list");
    await shot("dashboards");

    await shown.getByRole("link", { name: "Diabetes", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Diabetes" }).waitFor();
    await page.getByText("Latest HbA1c").first().waitFor();
    await page.getByText("Weight and BMI").first().waitFor();
    await checkA11y("a dashboard");
    await shot("dashboard-diabetes");

    // The newest point of the HbA1c chart, clicked where it is drawn, opens the Observation it came from.
    const a1c = page.getByRole("region", { name: "HbA1c", exact: true });
    const chart = a1c.getByTestId("dashboard-chart");
    await chart.waitFor();
    assert.match((await chart.getAttribute("aria-label")) ?? "", /HbA1c/);
    const markers = chart.locator("svg path");
    await page.waitForFunction(
      (el) => [...el.querySelectorAll("svg path")].some((p) => Math.round(p.getBoundingClientRect().width) === 8),
      await chart.elementHandle(),
    );
    const boxes = await markers.evaluateAll((paths) =>
      paths
        .map((p) => p.getBoundingClientRect())
        .filter((r) => Math.round(r.width) === 8 && Math.round(r.height) === 8)
        .map((r) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2 })),
    );
    assert.ok(boxes.length > 1, `the HbA1c chart draws its points (${boxes.length})`);
    const newest = boxes.reduce((a, b) => (b.x > a.x ? b : a));
    // The same point's record, as the card's table names it (newest first).
    await a1c.getByText(/^Results as a table/).click();
    const expected = await a1c.getByRole("table").getByRole("link").first().getAttribute("href");
    await a1c.getByText(/^Results as a table/).click();
    await page.mouse.click(newest.x, newest.y);
    await page.waitForURL((u) => /\/records\/Observation\//.test(u.pathname));
    assert.equal(new URL(page.url()).pathname, expected, "the clicked point opens the newest HbA1c result");
    await page.getByRole("heading", { name: "Where this came from" }).waitFor();
    await page
      .getByText(/Hemoglobin A1c/)
      .first()
      .waitFor();
    await shot("a1c-record");
    await page.goBack();
    await page.getByRole("heading", { level: 1, name: "Diabetes" }).waitFor();

    // Arranged with the keyboard-friendly buttons: the weight chart hidden, then saved.
    await page.getByRole("button", { name: "Arrange" }).click();
    await page.getByRole("button", { name: "Hide: Weight and BMI" }).click();
    await page.getByRole("button", { name: "Save layout" }).click();
    await page.getByRole("button", { name: "Arrange" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Diabetes" }).waitFor();
    await page.getByText("Latest HbA1c").first().waitFor();
    assert.equal(await page.getByText("Weight and BMI").count(), 0, "the hidden card stays hidden after a reload");
    await shot("dashboard-arranged");

    // The blood pressure dashboard draws its readings and how many were under the goal.
    await nav("Dashboards").click();
    await shown.getByRole("link", { name: "High blood pressure", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "High blood pressure" }).waitFor();
    await page.getByText("Latest systolic").first().waitFor();
    await page.getByRole("region", { name: "Blood pressure", exact: true }).getByTestId("dashboard-chart").waitFor();
    await checkA11y("the blood pressure dashboard");
    await shot("dashboard-hypertension");

    // The health summary shows both dashboards' latest values.
    await nav("Health summary").click();
    await page.getByRole("link", { name: "Open Diabetes dashboard" }).waitFor();
    await page.getByRole("link", { name: "Open High blood pressure dashboard" }).waitFor();
    await shot("summary-with-dashboard");
  });

  step_("what is due follows from the records: the summary counts it, the page lists it, and its evidence opens the record", async () => {
    // The health summary says how much is overdue and due, and leads to the list.
    await nav("Health summary").click();
    const card = page.getByRole("region", { name: "What is due", exact: true });
    const counts = card.getByText(/^(\d+ overdue( and \d+ due now)?|\d+ due now)\.$/);
    await counts.waitFor();
    await card.getByRole("link", { name: "See all recommendations" }).click();
    await page.getByRole("heading", { level: 1, name: "What is due" }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/profiles/${await profileId()}/recommendations`);
    assert.ok(await nav("Recommendations").getAttribute("aria-current"), "the navigation shows where we are");
    await page.getByText(/^Recommendations for Ann Example's record, as of \d+ \w{3} \d{4}$/).waitFor();
    // The sandbox patient is an older adult with vaccines on record: something is overdue or due now.
    const pressing = page.getByRole("region", { name: /^(Overdue|Due now) \(\d+\)$/ });
    await pressing.first().waitFor();
    // One that rests on a vaccine on record if there is one, else any with evidence.
    const evidenced = pressing.getByRole("listitem").filter({ has: page.getByText(/^Based on:/) });
    const withVaccine = evidenced.filter({ has: page.getByText(/^Based on:/).getByRole("link", { name: /^Immunization/ }) });
    const item = (await withVaccine.count()) > 0 ? withVaccine.first() : evidenced.first();
    const title = await item.getByRole("heading", { level: 3 }).innerText();
    assert.match(await item.innerText(), /Due since \d+ \w{3} \d{4}/, `${title} says since when it is due`);
    assert.match(await item.innerText(), /Guideline: \S/, `${title} names its guideline`);
    // Nothing to do in the done and past-the-age groups: folded away.
    const folded = await page.locator("details.recommendation-group").evaluateAll((ds) => ds.map((d) => d.open));
    assert.ok(
      folded.every((open) => !open),
      "the groups with nothing to do are folded away",
    );
    await checkA11y("what is due");
    await shot("recommendations");
    // Its last evidence link (a vaccine on record, else the Patient) opens that record's page.
    const evidence = item
      .getByText(/^Based on:/)
      .getByRole("link")
      .last();
    const label = await evidence.innerText();
    const href = await evidence.getAttribute("href");
    assert.match(href ?? "", /\/records\/(Patient|Immunization|Condition)\/[^/]+$/, `${label} links to a record`);
    await evidence.click();
    await page.waitForURL((u) => u.pathname === href);
    await page.getByRole("heading", { name: "Where this came from" }).waitFor();
    await page.getByRole("heading", { level: 1 }).waitFor();
    await shot("recommendation-evidence-record");
    await page.goBack();
    await page.getByRole("heading", { level: 1, name: "What is due" }).waitFor();
    await pressing.getByRole("heading", { level: 3, name: title, exact: true }).waitFor();
    // At phone width the cards stack and nothing runs off the side.
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, storageState: await context.storageState() });
    const p = await phone.newPage();
    await p.goto(`${host.base}/profiles/${await profileId()}/recommendations`);
    await p.getByRole("heading", { level: 3, name: title, exact: true }).waitFor();
    await assertNoSideways(p);
    await shot("phone-recommendations", p);
    await phone.close();
  });

  step_("asks the records a question: the answer streams in, cites its record, and the citation opens it", async () => {
    const model = await startFakeModel();
    try {
      const chatPage = `${host.base}/profiles/${await profileId()}/chat`;
      // Off until an administrator chooses a model; the page says so and leads there.
      await nav("Ask your records").click();
      await page.getByRole("heading", { level: 1, name: "Ask your records" }).waitFor();
      await page.getByText("Chat is off", { exact: true }).waitFor();
      assert.equal(await page.getByRole("link", { name: "Set up chat" }).getAttribute("href"), "/admin/chat");
      await shot("chat-off");
      // Configured through the API, as the administrator: a model on this machine.
      const csrf = (await context.cookies()).find((c) => c.name === "hearth_csrf")?.value ?? "";
      const put = await page.request.put(`${host.base}/api/admin/chat`, {
        headers: { "X-CSRF-Token": csrf },
        data: { adapter: "llm-openai", endpoint: `${model.base}/v1`, model: "fake", offer_tools: false },
      });
      assert.equal(put.status(), 200, await put.text());
      // The settings page shows it, without the key, and says questions stay on this machine.
      await page.goto(`${host.base}/admin/chat`);
      await page.getByRole("heading", { level: 1, name: "Chat settings" }).waitFor();
      assert.equal(await page.getByLabel(field("Endpoint address")).inputValue(), `${model.base}/v1`);
      assert.equal(await page.getByLabel(field("Model")).inputValue(), "fake");
      await page.getByText(`${new URL(model.base).host} is this machine: questions and records stay here.`).waitFor();
      await checkA11y("the chat settings");
      await shot("chat-settings");

      await page.goto(chatPage);
      await page.getByRole("heading", { level: 1, name: "Ask your records" }).waitFor();
      await page.getByText(/^Answers are computed on this machine by the model fake \(OpenAI-compatible chat\)/).waitFor();
      assert.ok(await nav("Ask your records").getAttribute("aria-current"), "the navigation shows where we are");
      await page.getByLabel("Your question").fill("What is my latest HbA1c?");
      await page.getByLabel("Your question").press("Enter");
      // Text shows while the answer is still being written.
      const streaming = page.getByTestId("answer-streaming-text");
      await page.waitForFunction(() => (document.querySelector('[data-testid="answer-streaming-text"]')?.textContent ?? "").length > 0);
      const partial = (await streaming.textContent()) ?? "";
      assert.equal(await page.getByTestId("answer").count(), 0, "no finished answer yet");
      await shot("chat-streaming");
      // The model was shown the records found for the question, labelled; it answered from the first.
      const asked = model.requests[0];
      assert.equal(asked.model, "fake");
      assert.equal(asked.stream, true);
      assert.equal(asked.messages.at(-1).content, "What is my latest HbA1c?");
      assert.ok(model.answer, `the prompt listed labelled records: ${JSON.stringify(asked.messages[0]?.content).slice(0, 400)}`);
      assert.ok(model.answer.text.startsWith(partial), `"${partial}" is the start of the answer`);
      assert.ok(partial.length < model.answer.text.length, "part of the answer was shown before the rest");

      // Done: the checked answer, its citation a link to the record it cites.
      const answer = page.getByTestId("answer");
      await answer.waitFor({ timeout: 30_000 });
      assert.equal(await page.getByTestId("answer-streaming").count(), 0);
      const text = await answer.innerText();
      assert.ok(text.includes(model.answer.value), `the answer says ${model.answer.value}: ${text}`);
      await answer.getByText("Checked: each number is in the record it cites.").waitFor();
      assert.equal(await answer.getByTestId("claim-note").count(), 0, "nothing in it is marked unsupported");
      const [type, id] = model.answer.record.split("/");
      const cite = answer.getByRole("link", { name: new RegExp(`^${model.answer.label}\\b`) });
      assert.equal(await cite.getAttribute("href"), `/profiles/${await profileId()}/records/${type}/${encodeURIComponent(id)}`);
      // Kept: listed under its question.
      await page
        .getByRole("region", { name: "Conversations" })
        .getByRole("link", { name: /What is my latest HbA1c\?/ })
        .waitFor();
      await checkA11y("a chat answer");
      await shot("chat-answer");
      await cite.click();
      await page.waitForURL((u) => u.pathname.endsWith(`/records/${type}/${encodeURIComponent(id)}`));
      await page.getByRole("heading", { name: "Where this came from" }).waitFor();
      await shot("chat-cited-record");

      // A number the cited record does not hold is marked, and said in words.
      await page.goBack();
      await answer.waitFor();
      await page.getByLabel("Your question").fill("What was my HbA1c before that?");
      await page.getByRole("button", { name: "Ask", exact: true }).click();
      const second = page.getByTestId("answer").nth(1);
      await second.waitFor({ timeout: 30_000 });
      await second.getByTestId("claim-note").waitFor();
      assert.equal(await second.getByTestId("claim-note").innerText(), "Not backed by your records: 99.9 is not in the record it cites.");
      await second.getByText(/^1 statement is not backed by the records it cites/).waitFor();
      assert.equal(model.requests.length, 2, "one request to the model for each question");
      assert.ok(
        model.requests[1].messages.some((m) => m.role === "assistant" && m.content === model.answer.text),
        "the earlier answer went along with the second question",
      );
      await checkA11y("a chat answer with a statement the records do not back");
      await shot("chat-unsupported");
      // A question no record matches: the answer says so, and cites nothing.
      await page.getByLabel("Your question").fill("And what was it before?");
      await page.getByRole("button", { name: "Ask", exact: true }).click();
      const third = page.getByTestId("answer").nth(2);
      await third.waitFor({ timeout: 30_000 });
      await third.getByText("Not in your records", { exact: true }).waitFor();
      assert.equal(await third.getByRole("link").count(), 0, "an abstained answer cites nothing");
      await shot("chat-abstained");

      // At phone width, the conversation and its answers fit.
      const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, storageState: await context.storageState() });
      const p = await phone.newPage();
      await p.goto(page.url());
      await p.getByTestId("answer").nth(2).waitFor();
      await assertNoSideways(p);
      await shot("phone-chat", p);
      await phone.close();
    } finally {
      await model.stop();
    }
  });

  step_("a Fasten dashboard file is imported, says what it left out, and draws its chart from the records", async () => {
    await nav("Dashboards").click();
    await page.getByRole("heading", { level: 1, name: "Dashboards" }).waitFor();
    const fasten = {
      title: "Weight tracking",
      widgets: [
        { title_text: "Diabetes Tracking", item_type: "complex-line-widget", x: 0, y: 0, width: 8, height: 5 },
        {
          title_text: "Weight",
          item_type: "simple-line-chart-widget",
          queries: [
            {
              q: {
                select: ["valueQuantity.value as data", "(effectiveDateTime | issued).first() as label"],
                from: "Observation",
                where: { code: "http://loinc.org|29463-7" },
              },
            },
          ],
          parsing: { xAxisKey: "label", yAxisKey: "data" },
        },
      ],
    };
    const chooser = page.waitForEvent("filechooser");
    await page.getByRole("button", { name: "Import a Fasten dashboard" }).click();
    await (await chooser).setFiles({ name: "weight.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(fasten)) });
    await page.getByRole("heading", { name: "Imported Weight tracking" }).waitFor();
    // The demo widget draws no record, so it is left out, and the report says where it was.
    await page.getByText("widgets[0]", { exact: true }).waitFor();
    await checkA11y("an import report");
    await shot("fasten-import");
    await page.getByRole("link", { name: "Open Weight tracking" }).click();
    await page.getByRole("heading", { level: 1, name: "Weight tracking" }).waitFor();
    const chart = page.getByRole("region", { name: "Weight", exact: true }).getByTestId("dashboard-chart");
    await chart.waitFor();
    assert.match((await chart.getAttribute("aria-label")) ?? "", /Weight/);
    await shot("fasten-dashboard");
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

  step_("types in a body weight with the preset, and it joins the weight chart", async () => {
    await page.getByRole("link", { name: "Add a record", exact: true }).click();
    await page.getByRole("link", { name: /^Measurement/ }).click();
    await page.getByRole("heading", { level: 1, name: "Add: measurement" }).waitFor();
    await page.getByLabel(field("What was measured")).selectOption({ label: "Body weight (kg)" });
    await page.getByLabel(field("Value")).fill("83.7");
    await page.getByLabel(field("Measured on")).fill(today());
    await checkA11y("the measurement form");
    await shot("add-weight");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.waitForURL(/\/records\/Observation\/[0-9a-f]+$/);
    typedWeight = decodeURIComponent(page.url().split("/").pop());
    await page.getByRole("heading", { level: 1, name: "Body weight" }).waitFor();
    await page.getByRole("cell", { name: "83.7 kg" }).waitFor();
    // Stored as a vital sign with LOINC and UCUM, so it is the same test as the provider's weights.
    const stored = await (await page.request.get(`${host.base}/api/profiles/${await profileId()}/records/Observation/${typedWeight}`)).json();
    assert.deepEqual(stored.code.coding[0], { system: "http://loinc.org", code: "29463-7", display: "Body weight" });
    assert.deepEqual(stored.valueQuantity, { value: 83.7, unit: "kg", system: "http://unitsofmeasure.org", code: "kg" });
    assert.equal(stored.category[0].coding[0].code, "vital-signs");
    // On the lab results page it is the latest weight, on the same chart as the provider's.
    await nav("Lab results").click();
    await page.getByRole("link", { name: "Weight", exact: true }).click();
    const chart = page.getByTestId("lab-chart");
    await chart.waitFor();
    assert.ok(Number(await chart.getAttribute("data-points")) > 1, "the typed-in weight is charted with the others");
    const row = page.getByRole("row").filter({ has: page.locator(`a[href$="/records/Observation/${typedWeight}"]`) });
    await row.waitFor();
    assert.match(await row.innerText(), /83\.7 kg/);
    await checkA11y("the weight chart with a typed-in weight");
    await shot("weight-chart-typed-in");
  });

  step_("edits the typed-in weight, then deletes it and it leaves the timeline, until Undo brings it back", async () => {
    const recordLink = `a[href$="/records/Observation/${typedWeight}"]`;
    await page.locator(recordLink).first().click();
    await page.getByRole("heading", { level: 1, name: "Body weight" }).waitFor();
    await page.getByText("Added by hand").first().waitFor();
    await page.getByRole("link", { name: "Edit", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "Change: Body weight" }).waitFor();
    assert.equal(await page.getByLabel(field("Value")).inputValue(), "83.7", "the form starts from what is stored");
    await page.getByLabel(field("Value")).fill("84.2");
    await checkA11y("editing a typed-in record");
    await shot("edit-weight");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { level: 1, name: "Body weight" }).waitFor();
    await page.getByRole("cell", { name: "84.2 kg" }).waitFor();
    assert.equal(await page.getByRole("cell", { name: "83.7 kg" }).count(), 0);
    // The change can be undone from its notice: the record says again what it said before.
    const saved = notices().filter({ hasText: "Your changes are saved." });
    await saved.getByRole("button", { name: "Undo" }).click();
    await notices().filter({ hasText: "“Body weight” says again what it said before the change." }).waitFor();
    await page.getByRole("cell", { name: "83.7 kg" }).waitFor();
    assert.equal(await page.getByRole("cell", { name: "84.2 kg" }).count(), 0);
    // A provider's record offers no such thing, and says where to change it.
    await nav("Timeline").click();
    const list = page.getByRole("list", { name: "Records by date" });
    await list.locator(recordLink).waitFor();
    await page.goto(`${host.base}/profiles/${await profileId()}/labs`);
    await page
      .getByRole("link", { name: /Hemoglobin/ })
      .first()
      .click();
    await page.getByRole("table").getByRole("link").first().click();
    await page.getByText(/^This came from Hearth Sandbox/).waitFor();
    assert.equal(await page.getByRole("link", { name: "Edit", exact: true }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "Delete", exact: true }).count(), 0);
    // Delete the typed-in one.
    await page.goto(`${host.base}/profiles/${await profileId()}/records/Observation/${typedWeight}`);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Delete “Body weight”?" });
    await dialog.waitFor();
    // Checked once it has faded in, not half-transparent.
    await dialog.evaluate((el) => Promise.all(el.ownerDocument.getAnimations().map((a) => a.finished)));
    // Nothing is deleted at once any more: it says how long it is kept.
    assert.match(await dialog.innerText(), /Hearth keeps it for \d+ days?, so until then you can bring it back from Hidden and removed/);
    await checkA11y("the delete confirmation");
    await shot("delete-weight");
    await dialog.getByRole("button", { name: "Delete", exact: true }).click();
    await page.waitForURL(/\/timeline$/);
    const notice = notices().filter({ hasText: "“Body weight” is no longer in Ann Example's records." });
    await notice.waitFor();
    assert.match(await notice.innerText(), /You can bring it back until \d+ \w+ \d{4}\./);
    await list.locator("[data-type]").first().waitFor();
    assert.equal(await list.locator(recordLink).count(), 0, "the deleted weight is not on the timeline");
    const record = `${host.base}/api/profiles/${await profileId()}/records/Observation/${typedWeight}`;
    assert.equal((await page.request.get(record)).status(), 404);
    await checkA11y("the timeline after a delete");
    await shot("deleted-weight");
    // Undo, from the notice: the weight is back on the timeline.
    await notice.getByRole("button", { name: "Undo" }).click();
    await notices().filter({ hasText: "“Body weight” is back in Ann Example's records." }).waitFor();
    await list.locator(recordLink).waitFor();
    assert.equal((await page.request.get(record)).status(), 200);
    await shot("undone-delete-weight");
    // Deleted again, for the steps after (and kept under Hidden and removed).
    await page.goto(`${host.base}/profiles/${await profileId()}/records/Observation/${typedWeight}`);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("dialog", { name: "Delete “Body weight”?" }).getByRole("button", { name: "Delete", exact: true }).click();
    await page.waitForURL(/\/timeline$/);
    await list.locator("[data-type]").first().waitFor();
    assert.equal((await page.request.get(record)).status(), 404);
  });

  step_("keeps an uploaded PDF as a document, shows it, and downloads it", async () => {
    await nav("Upload records").click();
    const chooser = page.waitForEvent("filechooser");
    await page.locator("#upload-file").click();
    await (await chooser).setFiles({ name: "discharge-letter.pdf", mimeType: "application/pdf", buffer: minimalPdf() });
    await page.getByLabel("What is this document?").fill("Discharge letter");
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const kept = page.getByRole("status").filter({ hasText: "Kept “Discharge letter” as a document" });
    await kept.waitFor();
    await checkA11y("the upload page after keeping a document");
    await shot("upload-pdf");
    await kept.getByRole("link", { name: "Open it" }).click();
    await page.waitForURL(/\/records\/DocumentReference\/[0-9a-f]+$/);
    await page.getByRole("heading", { level: 1, name: "Discharge letter" }).waitFor();
    const viewer = page.locator('iframe[title="Discharge letter (PDF)"]');
    await viewer.waitFor({ state: "attached" });
    const src = await viewer.getAttribute("src");
    assert.match(src ?? "", /^\/api\/profiles\/[0-9a-f]+\/attachments\/[0-9a-f]+$/);
    const download = page.getByRole("link", { name: "Download", exact: true });
    const href = await download.getAttribute("href");
    assert.equal(href, src, "the download link is the stored file");
    assert.equal(await download.getAttribute("download"), "Discharge letter.pdf");
    const file = await page.request.get(`${host.base}${href}`);
    assert.equal(file.status(), 200);
    assert.equal(file.headers()["content-type"], "application/pdf");
    assert.deepEqual(await file.body(), minimalPdf(), "the same bytes come back");
    await checkA11y("a document");
    await shot("document-pdf");
  });

  step_("an export downloads, and uploading it back is caught as another person's file until confirmed", async () => {
    await nav("Health summary").click();
    await page.getByRole("button", { name: "Download Ann Example's records" }).click();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("menuitem", { name: /one FHIR file/ }).click()]);
    const file = path.join(out, "export.json");
    await download.saveAs(file);
    const bundle = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(bundle.resourceType, "Bundle");
    assert.ok(bundle.entry.length > 100, `${bundle.entry.length} entries exported`);
    await nav("Upload records").click();
    const chooser = page.waitForEvent("filechooser");
    await page.locator("#upload-file").click();
    await (await chooser).setFiles(file);
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    // The file's patient is the sandbox's, not Ann: nothing is stored until she says so.
    const ask = page.getByTestId("different-person");
    await ask.waitFor();
    assert.match(await ask.innerText(), /This file is about .+, which does not match Ann Example\. Nothing has been stored\./);
    await checkA11y("an upload about another person");
    await shot("upload-different-person");
    await ask.getByRole("button", { name: "Store it in Ann Example's record anyway" }).click();
    await page.getByText(/^Imported [\d,]+ records$/).waitFor({ timeout: 60_000 });
    await shot("upload-reimported");
  });

  step_("an upload is removed with its records, after a count and a confirmation", async () => {
    await nav("Sources").click();
    await page.getByRole("link", { name: "export", exact: true }).first().click();
    await page.getByRole("heading", { level: 1, name: "export" }).waitFor();
    const removeButton = page.getByRole("button", { name: "Remove “export”" });
    await removeButton.click();
    const dialog = page.getByRole("dialog", { name: "Remove “export”?" });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /[\d,]+ records from this upload will be removed/);
    // Checked once the dialog has faded in, not halfway.
    await page.waitForFunction(() =>
      [...document.querySelectorAll(".mantine-Modal-content, .mantine-Modal-overlay")].every(
        (e) => getComputedStyle(e).opacity === "1" || e.classList.contains("mantine-Modal-overlay"),
      ),
    );
    await page.waitForTimeout(300);
    await checkA11y("removing an upload");
    await shot("remove-upload");
    assert.match(await dialog.innerText(), /Hearth keeps them for \d+ days?, so until then you can put them back/);
    await dialog.getByRole("button", { name: /^Remove [\d,]+ records$/ }).click();
    const removed = page.getByRole("status").filter({ hasText: "Removed “export”" });
    await removed.waitFor();
    assert.match(await removed.innerText(), /[\d,]+ records went with it\. You can bring them back until \d+ \w+ \d{4}\./);
    await page.getByRole("link", { name: "export", exact: true }).waitFor({ state: "detached" });
    await checkA11y("the sources page after a removal");
    await shot("removed-upload");
    // Undo: the upload is back, with its records.
    await removed.getByRole("button", { name: "Undo" }).click();
    await notices()
      .filter({ hasText: /“export” is back, with its [\d,]+ records\./ })
      .waitFor({ timeout: 60_000 });
    await page.getByRole("link", { name: "export", exact: true }).waitFor();
    assert.equal(await removed.count(), 0, "the removal notice has gone");
    await shot("undone-remove-upload");
    // Removed again, so the steps after see Ann's records as they were.
    await page.getByRole("link", { name: "export", exact: true }).click();
    await page.getByRole("heading", { level: 1, name: "export" }).waitFor();
    await removeButton.click();
    await dialog.getByRole("button", { name: /^Remove [\d,]+ records$/ }).click();
    await removed.waitFor();
    await page.getByRole("link", { name: "export", exact: true }).waitFor({ state: "detached" });
  });

  step_("hides a record from its page, finds it under Hidden and removed, and shows it again", async () => {
    await nav("Health summary").click();
    const allergies = page.getByRole("region", { name: "Allergies and intolerances", exact: true });
    const allergy = allergies.getByRole("link").first();
    await allergy.waitFor();
    const name = (await allergy.textContent()) ?? "";
    await allergy.click();
    await page.getByRole("heading", { level: 1, name }).waitFor();
    const [, type, id] = /\/records\/(\w+)\/([^/?]+)$/.exec(new URL(page.url()).pathname) ?? [];
    const record = `${host.base}/api/profiles/${await profileId()}/records/${type}/${id}`;
    // Beside "change it there": where hidden records go.
    await page
      .getByText(/^This came from Hearth Sandbox/)
      .getByRole("link", { name: "Hidden and removed" })
      .waitFor();
    await page.getByRole("button", { name: "Hide this record" }).click();
    const dialog = page.getByRole("dialog", { name: `Hide “${name}”?` });
    await dialog.waitFor();
    await dialog.evaluate((el) => Promise.all(el.ownerDocument.getAnimations().map((a) => a.finished)));
    assert.match(await dialog.innerText(), /It stays stored in Hearth, and you can show it again at any time/);
    await checkA11y("the hide confirmation");
    await shot("hide-record");
    await dialog.getByRole("button", { name: "Hide it" }).click();
    await page.waitForURL(/\/timeline$/);
    const notice = notices().filter({ hasText: `“${name}” is hidden from Ann Example's records.` });
    await notice.waitFor();
    assert.equal((await page.request.get(record)).status(), 404, "the hidden record is not shown");
    await notice.getByRole("button", { name: "Dismiss" }).click();
    // The sources page leads to what was hidden and removed.
    await nav("Sources").click();
    await page.getByRole("link", { name: "Hidden and removed" }).click();
    await page.getByRole("heading", { level: 1, name: "Hidden and removed" }).waitFor();
    const item = page.getByRole("listitem").filter({ hasText: "Hidden record" });
    await item.waitFor();
    assert.match(await item.innerText(), /Hidden by Ann Example on .+ · Kept until someone shows it again/);
    // The removed upload and the deleted weight are there too, until they are deleted for good.
    const upload = page.getByRole("listitem").filter({ hasText: "Removed source" });
    assert.match(
      await upload.innerText(),
      /^export\s+Removed source · [\d,]+ records\s+Removed by Ann Example on .+ · Deleted for good on \d+ \w+ \d{4}\s+Put back$/,
    );
    assert.match(await page.getByRole("listitem").filter({ hasText: "Deleted typed-in record" }).innerText(), /^Body weight\s/);
    await checkA11y("hidden and removed");
    await shot("hidden-and-removed");
    await item.getByRole("button", { name: "Show again" }).click();
    await notices()
      .filter({ hasText: /is shown again in Ann Example's records\./ })
      .waitFor();
    await item.waitFor({ state: "detached" });
    assert.equal((await page.request.get(record)).status(), 200, "the record is shown again");
    await nav("Health summary").click();
    await allergies.getByRole("link", { name, exact: true }).first().waitFor();
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
    const sam = page.getByRole("region", { name: "Sam Example", exact: true });
    await sam.waitFor();
    await sam.getByLabel("Share with (username)").fill(MEMBER.username);
    await sam.getByLabel("They can", { exact: true }).selectOption("viewer");
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
    // What was hidden and removed: a list to read, nothing to put back.
    await bob.goto(`${host.base}/profiles/${samId}/removed`);
    await bob.getByRole("heading", { name: "Nothing hidden or removed" }).waitFor();
    await checkA11y("hidden and removed, empty", bob);
    // And Ann's own profile is not reachable by address.
    await bob.goto(`${host.base}/profiles/${await profileId()}`);
    await bob.getByText("This person's record is not here.").waitFor();
    assert.ok(!(await bob.locator("main").innerText()).includes(await profileId()), "Ann's id is not echoed");
    await bobContext.close();
  });

  step_("an invitation link lets someone new set their own password and land on the shared profile", async () => {
    await page.goto(`${host.base}/family`);
    const sam = page.getByRole("region", { name: "Sam Example", exact: true });
    await sam.waitFor();
    await sam.getByLabel("Who is it for? (optional)").fill("Grandma");
    await sam.getByRole("button", { name: "Make an invitation link" }).click();
    const link = await sam.getByLabel("Send them this link").inputValue();
    assert.match(link, /\/invite\/[0-9a-f]{32}$/);
    await sam.getByText(/Grandma · can look/).waitFor();
    await shot("invitation-made");
    // Someone else's browser, never signed in here.
    const grandma = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const g = await grandma.newPage();
    await g.goto(link);
    await g.getByRole("heading", { name: "Ann Example shared Sam Example's health record with you" }).waitFor();
    await checkA11y("an invitation", g);
    await shot("invitation-open", g);
    await g.getByLabel("Your name").fill("Rose Example");
    await g.getByLabel(field("Username")).fill("rose");
    await g.getByLabel(field("Password")).fill("roses are red and violets blue");
    await g.getByLabel(field("Password again")).fill("roses are red and violets blue");
    await g.getByRole("button", { name: "Create my account and open the record" }).click();
    await g.waitForURL(/\/profiles\/[0-9a-f]+$/);
    await g.getByRole("heading", { level: 1, name: "Sam Example" }).waitFor();
    await g.getByText("shared with you: viewer").waitFor();
    await shot("invitation-landed", g);
    // The link is spent.
    const again = await grandma.newPage();
    await again.goto(link);
    await again.getByText("This invitation link does not work").waitFor();
    await grandma.close();
  });

  step_("the other pages load, say whose records they show, and pass the accessibility checks", async () => {
    const base = `${host.base}/profiles/${await profileId()}`;
    const pages = [
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
      // Not "network idle": the sources page keeps a live event stream open.
      await page.waitForFunction(() => !/Loading/.test(document.querySelector("main")?.textContent ?? ""));
      await checkA11y(name);
      await shot(name);
    }
    // The jobs page lists the connect job as done; the audit log has the sharing.
    await page.goto(`${base}/jobs`);
    await page.getByRole("cell", { name: "Just connected" }).waitFor();
    await page.goto(`${host.base}/admin/audit`);
    await page.getByRole("cell", { name: "Shared Sam Example's record with Bob Example (can look)" }).first().waitFor();
    const cells = await page.getByRole("cell").allInnerTexts();
    assert.ok(!cells.some((c) => /^[0-9a-f]{16,}$/.test(c.trim())), "no hex ids in the audit log");
  });

  step_("works at phone width", async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, storageState: await context.storageState() });
    const p = await phone.newPage();
    await p.goto(`${host.base}/profiles/${await profileId()}`);
    await p.getByRole("heading", { level: 2, name: "Latest vital signs" }).waitFor();
    await assertNoSideways(p);
    await shot("phone-summary", p);
    await p.goto(`${host.base}/profiles/${await profileId()}/timeline`);
    await p.getByRole("list", { name: "Records by date" }).locator("[data-type]").first().waitFor();
    // The filters fold away: the first record is on the first screen.
    const top = await p.getByRole("list", { name: "Records by date" }).locator("[data-type]").first().boundingBox();
    assert.ok(top && top.y < 740, `first record at ${top?.y}px`);
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

let typedWeight;

/** Today as YYYY-MM-DD (what a date field takes). */
const today = () => new Date().toISOString().slice(0, 10);

/** A one-page PDF with a correct cross-reference table. */
function minimalPdf() {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    null,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const stream = "BT /F1 18 Tf 24 72 Td (Discharge letter) Tj ET";
  objects[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  let pdf = "%PDF-1.4\n";
  const offsets = objects.map((body, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

/**
 * A tiny OpenAI-compatible model on 127.0.0.1: it answers each chat completion
 * with a few streamed pieces, slowly enough to watch, citing the first record
 * the host listed in its instructions ("[R1] Type/id, date: …; value 7.2 %; …")
 * and the value written there, so the answer is one the records back.
 */
async function startFakeModel() {
  const requests = [];
  const state = { requests, answer: null };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", async () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404, { "Content-Type": "application/json" }).end('{"error":{"message":"not here"}}');
        return;
      }
      const asked = JSON.parse(body);
      requests.push(asked);
      const prompt = asked.messages.map((m) => m.content ?? "").join("\n");
      const line = /^\[(R\d+)\] ([A-Za-z]+\/[A-Za-z0-9.-]+)(?:, (\S+))?: (.*)$/m.exec(prompt);
      let pieces;
      if (line) {
        const [, label, record, date, rest] = line;
        const value = /(?:^|; )value ([^;]+?)(?:;|\.$|$)/.exec(rest)?.[1]?.trim() ?? date ?? "";
        if (/\bbefore\b/i.test(asked.messages.at(-1)?.content ?? "")) {
          // A number no record holds: the host marks it.
          pieces = ["Before that ", "it was 99.9 % ", `[${label}].`];
        } else {
          pieces = ["The latest ", "result in ", "your records ", `is ${value} `, `[${label}].`];
          state.answer = { label, record, value, text: pieces.join("") };
        }
      } else {
        pieces = ["That is not ", "in your records."];
      }
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      for (const content of pieces) {
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`);
        await new Promise((r) => setTimeout(r, 600));
      }
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.base = `http://127.0.0.1:${server.address().port}`;
  state.stop = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
