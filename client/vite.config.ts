/**
 * Vite build of the dashboard. Paths are anchored on this file (import.meta.dirname), not the working directory, so
 * `scripts/build-client.ts` and `bunx vite` from anywhere produce the same client/dist.
 */
import path from "node:path";
import UnoCSS from "unocss/vite";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: "/",
  plugins: [UnoCSS({ configFile: path.join(root, "uno.config.ts") }), solid()],
  build: {
    outDir: path.join(root, "dist"),
    emptyOutDir: true,
    target: "es2022",
    // The server's CSP has no 'unsafe-inline' for scripts: keep every asset a file.
    assetsInlineLimit: 0,
    manifest: true,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      "/api": { target: "http://localhost:8000", ws: true },
      "/static": "http://localhost:8000",
    },
  },
});
