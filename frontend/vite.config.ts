import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The dev server forwards the API and the in-host sandbox to a running
// `hearth serve` (HEARTH_DEV_API, default the host's default address).
const api = process.env.HEARTH_DEV_API ?? "http://127.0.0.1:9090";

export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": api, "/sandbox": api },
  },
  build: {
    // The chart library (~500 kB) lands in the lazily loaded lab-test page's chunk.
    chunkSizeWarningLimit: 700,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test-setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
