/**
 * Component tests under bun:test: compiles client .tsx with babel-preset-solid (DOM output), makes `solid-js` load its
 * browser build (Bun would pick the server build, where effects never run), and gives the test a happy-dom document.
 *
 * Usage, at the top of a component test, BEFORE importing any component (static imports are loaded before the
 * plugin exists, so components are imported dynamically):
 *   const dom = await setUpSolidDom();
 *   const { PeriodPicker } = await import("../src/components/period-picker.tsx");
 *   afterAll(() => dom.tearDown());
 *
 * happy-dom replaces fetch, Response, WebSocket... globally, which breaks Bun.serve in later test files of the same
 * run: Bun's own are put back right after registering (component tests do not need the network), and the DOM globals
 * are removed again in tearDown().
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { transformAsync } from "@babel/core";
import typescriptSyntax from "@babel/plugin-syntax-typescript";
import { GlobalRegistrator } from "@happy-dom/global-registrator";
import solidPreset from "babel-preset-solid";

const clientDir = path.resolve(import.meta.dirname, "..");
let pluginInstalled = false;

function installSolidPlugin() {
  if (pluginInstalled) return;
  pluginInstalled = true;
  Bun.plugin({
    name: "solid-dom-tests",
    setup(build) {
      // Solid's packages ship dist/server.js for Bun/Node: serve their browser build under the same path instead.
      build.onLoad(
        { filter: /[\\/]node_modules[\\/]solid-js[\\/](dist|web[\\/]dist|store[\\/]dist)[\\/]server\.js$/ },
        (args) => {
          const browserFile = args.path.replace(
            /server\.js$/,
            args.path.includes(`${path.sep}web${path.sep}`)
              ? "web.js"
              : args.path.includes(`${path.sep}store${path.sep}`)
                ? "store.js"
                : "solid.js",
          );
          return { contents: readFileSync(browserFile, "utf8"), loader: "js" };
        },
      );
      build.onLoad({ filter: /\.tsx$/ }, async (args) => {
        if (!args.path.startsWith(clientDir)) return { contents: readFileSync(args.path, "utf8"), loader: "tsx" };
        const source = readFileSync(args.path, "utf8");
        const result = await transformAsync(source, {
          filename: args.path,
          babelrc: false,
          configFile: false,
          presets: [[solidPreset, { generate: "dom", hydratable: false }]],
          plugins: [[typescriptSyntax, { isTSX: true }]],
        });
        if (!result?.code) throw new Error(`babel produced no code for ${args.path}`);
        return { contents: result.code, loader: "ts" };
      });
    },
  });
}

const BUN_GLOBALS = [
  "fetch",
  "Request",
  "Response",
  "Headers",
  "WebSocket",
  "FormData",
  "Blob",
  "URL",
  "URLSearchParams",
  "AbortController",
  "AbortSignal",
  "TextEncoder",
  "TextDecoder",
  "ReadableStream",
  "crypto",
] as const;

export async function setUpSolidDom(): Promise<{ tearDown: () => Promise<void> }> {
  installSolidPlugin();
  const saved = new Map<string, unknown>();
  for (const name of BUN_GLOBALS) saved.set(name, (globalThis as Record<string, unknown>)[name]);
  GlobalRegistrator.register({ url: "http://localhost:3000/", width: 1280, height: 800 });
  for (const [name, value] of saved) (globalThis as Record<string, unknown>)[name] = value;

  const web = await import("solid-js/web");
  if (web.isServer) {
    throw new Error(
      "solid-js was already loaded with its server build before setUpSolidDom(): import components dynamically, after it",
    );
  }
  return {
    tearDown: async () => {
      document.body.innerHTML = "";
      await GlobalRegistrator.unregister();
    },
  };
}

/** Renders a component into a fresh container; returns the container and the disposer. */
export async function renderComponent<P extends object>(component: (props: P) => unknown, props: P) {
  const { render, createComponent } = await import("solid-js/web");
  const container = document.createElement("div");
  document.body.appendChild(container);
  const dispose = render(() => createComponent(component as (props: P) => never, props), container);
  return {
    container,
    dispose: () => {
      dispose();
      container.remove();
    },
  };
}
