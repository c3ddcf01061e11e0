// Benchmark: a cold load of the timeline in Chromium, to the first record on
// screen, on a profile of about 4,000 records (target ≤ 0.8 s). Each run is a
// fresh browser context (empty cache, signed in by cookie). Also reports when
// the timeline's data request started relative to the app's code, to show the
// two travel in parallel (public/prefetch.js).
//
//   cd frontend && npm run build && HEARTH_BIN=../target/release/hearth node bench/timeline-cold.mjs
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, startHost, startSandbox } from "../e2e/host.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const BIN = process.env.HEARTH_BIN ?? path.join(root, "target/debug/hearth");
const RESOURCES = Number(process.env.HEARTH_BENCH_RESOURCES ?? 4000);
const RUNS = Number(process.env.HEARTH_BENCH_RUNS ?? 15);
const TOKEN = "bench-sandbox-token";
const USER = { username: "bench", password: "a bench of steady figures" };

const sandbox = await startSandbox({ bin: BIN, patients: 1, resources: RESOURCES, token: TOKEN });
const host = await startHost({
  bin: BIN,
  pluginsDir: path.join(root, "dist/plugins"),
  webDir: path.join(root, "frontend/dist"),
  sandboxUrl: sandbox.base,
});
const browser = await launchChromium();
try {
  const json = async (r) => {
    if (!r.ok) throw new Error(`${r.url}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const setup = await json(
    await fetch(`${host.base}/api/setup`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(USER) }),
  );
  const auth = { authorization: `Bearer ${setup.access_token}`, "content-type": "application/json" };
  const me = await json(await fetch(`${host.base}/api/me`, { headers: auth }));
  const profile = me.profiles[0].id;
  const patients = await json(await fetch(`${sandbox.base}/fhir/Patient`, { headers: { authorization: `Bearer ${TOKEN}` } }));
  const patient = patients.entry[0].resource.id;
  const source = await json(
    await fetch(`${host.base}/api/profiles/${profile}/sources`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ fhir_base_url: `${sandbox.base}/fhir`, patient_id: patient, access_token: TOKEN }),
    }),
  );
  const synced = await json(await fetch(`${host.base}/api/profiles/${profile}/sources/${source.id}/sync`, { method: "POST", headers: auth }));
  console.log(`profile of ${synced.stored} records`);

  const url = `${host.base}/profiles/${profile}/timeline`;
  const samples = [];
  const lead = [];
  mkdirSync(path.join(here, "out"), { recursive: true });
  for (let i = 0; i < RUNS + 1; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const signIn = await context.request.post(`${host.base}/api/auth/sign-in`, { data: { ...USER, use_cookies: true } });
    if (!signIn.ok()) throw new Error(`sign-in: ${signIn.status()}`);
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(url, { waitUntil: "commit" });
    await page.locator('[aria-label="Records by date"] [data-type]').first().waitFor({ timeout: 20_000 });
    const elapsed = Date.now() - started;
    const timing = await page.evaluate(() => {
      const entries = performance.getEntriesByType("resource");
      const data = entries.find((e) => e.name.includes("/timeline?limit=50"));
      const code = entries.find((e) => /\/assets\/index-.*\.js$/.test(e.name));
      return { data: data?.startTime ?? null, code: code ? code.responseEnd : null };
    });
    // The first run warms the host's caches (and the OS's): it is not counted.
    if (i > 0) {
      samples.push(elapsed);
      if (timing.data !== null && timing.code !== null) lead.push(timing.code - timing.data);
    }
    if (i === RUNS) await page.screenshot({ path: path.join(here, "out", "timeline-cold.png") });
    await context.close();
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.round((samples.length - 1) * q)];
  console.log(`timeline cold load to first record, ${samples.length} runs: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms (target ≤ 800 ms)`);
  if (lead.length)
    console.log(
      `data request started ${Math.round(lead.reduce((a, b) => a + b, 0) / lead.length)} ms before the app's code finished downloading (mean)`,
    );
} finally {
  await browser.close();
  await host.stop();
  await sandbox.stop();
}
