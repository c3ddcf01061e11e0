// Start a real Hearth host, and a separate sandbox provider, for the browser tests.
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** A free loopback port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The environment without HEARTH_* settings (the host refuses ones it does not know). */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HEARTH_")));
}

/**
 * Run `hearth args…` until `ready` answers 200; resolves to a handle whose
 * `stop()` ends the process (SIGTERM, then SIGKILL after 5 s) and runs `cleanup`.
 */
async function run({ bin, args, env, ready, what, log, cleanup = () => {} }) {
  const child = spawn(bin, args, { env: { ...cleanEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d) => log?.(d));
  child.stderr.on("data", (d) => log?.(d));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before answering`);
    try {
      if ((await fetch(ready)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${ready} within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      cleanup();
    },
  };
}

/** Start `hearth serve` on a fresh data folder; resolves once /api/health answers. */
export async function startHost({ bin, pluginsDir, webDir, sandboxUrl, log }) {
  const port = await freePort();
  const data = mkdtempSync(path.join(tmpdir(), "hearth-e2e-"));
  const base = `http://127.0.0.1:${port}`;
  const env = {
    HEARTH_DATA_DIR: data,
    HEARTH_LISTEN: `127.0.0.1:${port}`,
    HEARTH_PLUGINS_DIR: pluginsDir,
    HEARTH_WEB_DIR: webDir,
    HEARTH_LOG: "info",
    ...(sandboxUrl ? { HEARTH_SANDBOX_URL: sandboxUrl } : {}),
  };
  const cleanup = () => rmSync(data, { recursive: true, force: true });
  const handle = await run({ bin, args: ["serve"], env, ready: `${base}/api/health`, what: "hearth serve", log, cleanup });
  return { base, stop: handle.stop };
}

/** Start `hearth sandbox` (the SMART test provider) with slow answers; resolves once it answers. */
export async function startSandbox({ bin, delayMs = 0, log, patients = 2, resources = 1200, seed = 1, token }) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [
    "sandbox",
    "--listen",
    `127.0.0.1:${port}`,
    "--patients",
    String(patients),
    "--resources",
    String(resources),
    "--delay-ms",
    String(delayMs),
    "--seed",
    String(seed),
  ];
  if (token) args.push("--token", token);
  const handle = await run({ bin, args, env: {}, ready: `${base}/fhir/metadata`, what: "hearth sandbox", log });
  return { base, stop: handle.stop };
}

/** Debian's Chromium, headless, with the flags it needs here (no sandbox, GPU or background traffic). */
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
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
}
