// The module worker that hosts Pyodide: boots it, unpacks pyshell's API and the app's
// packages, runs the entry point and dispatches page events to Python. Python never runs
// on the page's thread, so the UI stays responsive while it boots or computes.
import * as msg from "./protocol.mjs";
import { createGrantFS, sharedTransport, xhrTransport } from "./fs.mjs";

const APP_DIR = "/home/pyodide/app";
let pyodide;
let bootstrap;
let grantFS = null;
let fileTransport = null;
let fileTransportReady = null; // made on first need: apps without grants never pay for it
const grants = []; // public descriptions of what is mounted: {id, mount, writable, file}
const browserStores = []; // web build: OPFS-backed mounts to flush after each handler
let token = "";
let config = {};
const pending = new Map(); // query id -> {resolve, reject}
let nextQuery = 1;

const logBuffer = { stdout: [], stderr: [] };
let logTimer = null;

function log(stream, line) {
  logBuffer[stream].push(line);
  logTimer ??= setTimeout(flushLog, 30);
}

function flushLog() {
  logTimer = null;
  for (const stream of ["stdout", "stderr"]) {
    if (!logBuffer[stream].length) continue;
    const text = logBuffer[stream].join("\n");
    logBuffer[stream] = [];
    (stream === "stderr" ? console.error : console.log)(text);
    if (config.log) {
      fetch(config.log, {
        method: "POST",
        headers: { "x-pyshell-token": token, "content-type": "application/json" },
        body: JSON.stringify({ stream, text }),
      }).catch(() => {});
    }
  }
}

const bridge = {
  send(opsJson) {
    postMessage({ type: msg.DOM, ops: JSON.parse(opsJson) });
  },
  request(opJson) {
    const id = nextQuery++;
    postMessage({ type: msg.QUERY, id, op: JSON.parse(opJson) });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  },
  error(text) {
    postMessage({ type: msg.ERROR, text }); // an empty text clears the error panel
  },
  dialog: (requestJson) => openDialog(requestJson),
  grants: () => JSON.stringify(grants),
  refused: () => JSON.stringify(config.refused ?? []),
};

/** Web build: an {appdata} grant lives in the origin-private file system, same mount. */
async function mountBrowserGrant(grant) {
  const root = await navigator.storage.getDirectory();
  const folder = await root.getDirectoryHandle(`pyshell${grant.mount.replaceAll("/", "-")}`,
                                               { create: true });
  browserStores.push(await pyodide.mountNativeFS(grant.mount, folder));
  grants.push({ id: `browser${grant.mount}`, mount: grant.mount, writable: grant.writable,
                file: null, storage: "browser" });
}

async function flushBrowserStores() {
  for (const store of browserStores) await store.syncfs();
}

/** Shared memory + WebSocket where the engine allows it, synchronous XHR everywhere else. */
async function chooseFileTransport() {
  const xhr = xhrTransport(config.fs, token);
  const canShare = self.crossOriginIsolated && typeof SharedArrayBuffer === "function";
  const fast = config.fsFastPath && canShare
    ? await sharedTransport(config.fsSocket, token, xhr).catch(() => null) : null;
  self.pyshellFileTransport = fast ? "shared-memory" : "xhr"; // for diagnostics and tests
  return fast ?? xhr;
}

function needFileTransport() {
  return (fileTransportReady ??= chooseFileTransport().then((t) => (fileTransport = t)));
}

function mountGrant(grant) {
  grantFS ??= createGrantFS(pyodide, fileTransport);
  grantFS.mountGrant(grant);
  grants.push(grant);
}

async function openDialog(requestJson) {
  if (!config.dialog) return JSON.stringify({ error: "no file dialogs in the web build" });
  const response = await fetch(config.dialog, {
    method: "POST",
    headers: { "x-pyshell-token": token, "content-type": "application/json" },
    body: requestJson,
  });
  if (!response.ok) return JSON.stringify({ error: `dialog request failed: HTTP ${response.status}` });
  const answer = await response.json();
  if (answer.picked) {
    await needFileTransport();
    mountGrant(answer.picked.grant);
  }
  return JSON.stringify(answer);
}

async function fetchOk(url) {
  const response = await fetch(url, { headers: { "x-pyshell-token": token } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

async function boot() {
  postMessage({ type: msg.STATUS, text: "Starting Python…" });
  const bundle = fetchOk(config.bundle).then((r) => r.arrayBuffer());
  const transport = config.grants?.length ? needFileTransport() : null;
  const { loadPyodide } = await import(new URL("pyodide.mjs", new URL(config.runtime, location.href)));
  const packages = config.packages;
  pyodide = await loadPyodide({
    indexURL: new URL(config.runtime, location.href).href,
    stdout: (line) => log("stdout", line),
    stderr: (line) => log("stderr", line),
    ...(packages && { lockFileURL: new URL(packages.lock, location.href).href }),
  });
  // The app's locked wheels, installed before the app imports anything (integrity-checked).
  if (packages) {
    await pyodide.loadPackage(packages.names, {
      messageCallback: () => {},
      errorCallback: (text) => log("stderr", text),
      checkIntegrity: true,
    });
  }
  pyodide.unpackArchive(await bundle, "zip", { extractDir: APP_DIR });
  await transport;
  for (const grant of config.grants ?? []) mountGrant(grant);
  for (const grant of config.browserGrants ?? []) await mountBrowserGrant(grant);
  pyodide.registerJsModule("_pyshell_js", bridge);
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(APP_DIR)})`);
  bootstrap = pyodide.pyimport("pyshell.bootstrap");
  postMessage({ type: msg.STATUS, text: "" });
  const ok = await bootstrap.start(config.entry);
  await flushBrowserStores();
  postMessage({ type: msg.READY, ok });
}

async function onEvent(handler, event) {
  const raw = pyodide.toPy(event);
  try {
    await bootstrap.dispatch(handler, raw);
  } finally {
    raw.destroy();
    await flushBrowserStores();
  }
}

self.onmessage = async ({ data }) => {
  switch (data.type) {
    case msg.INIT:
      token = data.token;
      config = data.config;
      try {
        await boot();
      } catch (err) {
        flushLog();
        postMessage({ type: msg.FATAL, text: String(err?.stack || err) });
      }
      break;
    case msg.RELOAD: {
      const t0 = performance.now();
      for (const [path, text] of Object.entries(data.files)) {
        pyodide.FS.writeFile(`${APP_DIR}/${path}`, text);
      }
      const modules = pyodide.toPy(data.modules);
      const result = await bootstrap.reload(modules);
      modules.destroy();
      postMessage({ type: msg.RELOADED, ok: result !== false, restart: result === "restart",
                    ms: performance.now() - t0 });
      break;
    }
    case msg.EVENT:
      if (bootstrap) await onEvent(data.handler, data.event);
      break;
    case msg.REPLY: {
      const waiter = pending.get(data.id);
      pending.delete(data.id);
      if (!waiter) break;
      if ("error" in data) waiter.reject(new Error(data.error));
      else waiter.resolve(JSON.stringify(data.value ?? null));
      break;
    }
  }
};
