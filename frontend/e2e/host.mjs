// Start a real Hearth host (with its in-host sandbox provider) for the browser tests.
import { spawn } from "node:child_process";
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

/** Start `hearth serve` on a fresh data folder; resolves once /api/health answers. */
export async function startHost({ bin, pluginsDir, webDir, sandboxUrl, log }) {
  const port = await freePort();
  const data = mkdtempSync(path.join(tmpdir(), "hearth-e2e-"));
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ["serve"], {
    env: {
      ...cleanEnv(),
      HEARTH_DATA_DIR: data,
      HEARTH_LISTEN: `127.0.0.1:${port}`,
      HEARTH_PLUGINS_DIR: pluginsDir,
      HEARTH_WEB_DIR: webDir,
      HEARTH_LOG: "info",
      ...(sandboxUrl ? { HEARTH_SANDBOX_URL: sandboxUrl } : {}),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => log?.(d));
  child.stderr.on("data", (d) => log?.(d));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hearth exited with ${child.exitCode} before answering`);
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error("hearth did not answer /api/health within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Start `hearth sandbox` (the SMART test provider) with slow answers; resolves once it answers. */
export async function startSandbox({ bin, delayMs = 0, log }) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ["sandbox", "--listen", `127.0.0.1:${port}`, "--patients", "2", "--resources", "1200", "--delay-ms", String(delayMs)], {
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => log?.(d));
  child.stderr.on("data", (d) => log?.(d));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hearth sandbox exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/fhir/metadata`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error("the sandbox did not answer within 60 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
