// The module worker that hosts Pyodide: boots it, unpacks pyshell's API and the app's
// packages, runs the entry point and dispatches page events to Python. Python never runs
// on the page's thread, so the UI stays responsive while it boots or computes.
import * as msg from "./protocol.mjs";
import { createGrantFS, patchSyscalls } from "./fs.mjs";
import { sharedTransport, xhrTransport } from "./fs-transport.mjs";
import * as media from "./media.mjs";

const APP_DIR = "/home/pyodide/app"; // where the bundle goes (pyshell.bootstrap.APP_ROOT)
let pyodide;
let bootstrap;
let grantFS = null;
let fileTransport = null;
let fileTransportReady = null; // made on first need: apps without grants never pay for it
const grants = []; // public descriptions of what is mounted: {id, mount, writable, file}
const browserStores = []; // web build: OPFS-backed mounts to flush after each handler
let token = "";
/** @type {import("./protocol.mjs").BootConfig} */
let config;
let interrupt = null; // Int32Array over shared memory: the page taps Python through it
let snapshotURL = null;
const pending = new Map(); // query id -> {resolve, reject}
let nextQuery = 1;
const timers = new Map(); // Python timer id -> setTimeout id, while its next run waits

// Boot phases as wall-clock times; the page turns them into performance marks, so a boot
// can be read in the engine's profiler and by benchmarks (scripts/bench/startup.py).
const phases = { worker: performance.timeOrigin + performance.now() };
const phase = (name) => { phases[name] = performance.timeOrigin + performance.now(); };

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
  // `window`: a window the app opened (pyshell.windows), whose page the main page relays to.
  send(opsJson, window) {
    postMessage({ type: msg.DOM, ops: JSON.parse(opsJson), window });
  },
  request(opJson, window) {
    const id = nextQuery++;
    postMessage({ type: msg.QUERY, id, op: JSON.parse(opJson), window });
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  },
  error(text) {
    postMessage({ type: msg.ERROR, text }); // an empty text clears the error panel
  },
  timer(id, ms) {
    timers.set(id, setTimeout(() => runTimer(id), ms));
  },
  cancelTimer(id) {
    clearTimeout(timers.get(id));
    timers.delete(id);
  },
  dialog: (requestJson) => openDialog(requestJson),
  download(name, data) {
    const bytes = data.toJs(); // a copy: the proxy of the Python bytes ends with this call
    postMessage({ type: msg.DOWNLOAD, name, bytes }, [bytes.buffer]);
  },
  openUrl: (url) => openUrl(url),
  notify: (requestJson) => notify(requestJson),
  menu: (requestJson) => sendMenu(requestJson),
  clipboard: (requestJson) => useClipboard(requestJson),
  windows: (requestJson) => useWindows(requestJson),
  tray: (requestJson) => useTray(requestJson),
  updateStatus: () => updateRequest("GET", ""),
  updateRestart: () => updateRequest("POST", "/restart"),
  updateCheck: () => updateCheck(),
  grants: () => JSON.stringify(grants),
  refused: () => JSON.stringify(config.refused),
  fileUrl: (g, p) => fileRequest("url", { g, p }),
  revokeFileUrls: (urls) => fileRequest("revoke-url", { urls: JSON.parse(urls) }),
  objectUrl: (data, mime) => media.objectUrl(data, mime),
  revokeObjectUrl: (url) => URL.revokeObjectURL(url),
  fetchBytes: (url) => media.fetchBytes(url),
  thumbnail: (url, maxPx) => media.thumbnail(url, maxPx, token),
  keptThumbnails: (wanted) => media.keptThumbnails(fileTransport, wanted),
  thumbnailOf: (data, mime, maxPx) => media.thumbnailOf(data, mime, maxPx),
};

/** One file operation outside the file system (file URLs): JSON {ok} or {error}. */
function fileRequest(op, args) {
  if (!fileTransport) return JSON.stringify({ error: "EACCES" });
  const reply = fileTransport(op, args);
  return JSON.stringify(reply.error ? { error: reply.error } : { ok: reply.ok });
}

/**
 * Web build: an {appdata} grant lives in the browser's own storage, at the same mount: the
 * origin-private file system where the engine has one, else IndexedDB (Emscripten's IDBFS;
 * WebKit without `navigator.storage`), else memory for this visit only, said in the page.
 * A missing store never stops the boot.
 */
async function mountBrowserGrant(grant) {
  let storage = "browser";
  let store = await mountOriginPrivate(grant.mount).catch(() => null);
  store ??= await mountIndexedDB(grant.mount).catch(() => null);
  if (!store) {
    storage = "memory";
    pyodide.FS.mkdirTree(grant.mount);
    postMessage({ type: msg.WARNING, text: `This browser keeps no storage for this app: ` +
      `what it saves in ${grant.mount} is lost when the page closes.` });
  } else {
    browserStores.push(store);
  }
  grants.push({ id: `browser${grant.mount}`, mount: grant.mount, writable: grant.writable,
                file: null, storage });
}

async function mountOriginPrivate(mount) {
  const root = await navigator.storage.getDirectory();
  const folder = await root.getDirectoryHandle(`pyshell${mount.replaceAll("/", "-")}`,
                                               { create: true });
  return await pyodide.mountNativeFS(mount, folder);
}

async function mountIndexedDB(mount) {
  const FS = pyodide.FS;
  const sync = (populate) => new Promise((resolve, reject) => {
    FS.syncfs(populate, (err) => (err ? reject(err) : resolve()));
  });
  if (typeof indexedDB === "undefined") throw new Error("no IndexedDB");
  FS.mkdirTree(mount);
  FS.mount(FS.filesystems.IDBFS, {}, mount);
  try {
    await sync(true); // what earlier visits saved
  } catch (err) {
    FS.unmount(mount);
    throw err;
  }
  return { syncfs: () => sync(false) };
}

async function flushBrowserStores() {
  for (const store of browserStores) await store.syncfs();
}

/** Shared memory + WebSocket where the engine allows it, synchronous XHR everywhere else. */
async function chooseFileTransport() {
  const canShare = self.crossOriginIsolated && typeof SharedArrayBuffer === "function";
  const fast = config.fsFastPath && canShare
    ? await sharedTransport(config.fsSocket, token, xhrTransport(config.fs, token))
      .catch(() => null)
    : null;
  self.pyshellFileTransport = fast ? "shared-memory" : "xhr"; // for diagnostics and tests
  return fast ?? xhrTransport(config.fs, token, true);
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

/**
 * One JSON request to a host route, its JSON answer as text for Python; a failed request
 * is an answer with an `error` (and `extra`'s keys), as is a route this host lacks.
 */
async function askHost(url, body, what, missing, extra = {}) {
  if (!url) return JSON.stringify({ error: missing, ...extra });
  const response = await fetch(url, {
    method: "POST",
    headers: { "x-pyshell-token": token, "content-type": "application/json" },
    body,
  });
  if (!response.ok) return JSON.stringify({ error: `${what} request failed: HTTP ${response.status}`, ...extra });
  return await response.text();
}

/** Ask the host to show a web address in the user's browser (it checks open-urls). */
const openUrl = (url) => askHost(config.openUrl, JSON.stringify({ url }), "open-url",
                                 "no browser to open links in here");

/** Ask the host to show a desktop notification (it checks the app declared them). */
const notify = (requestJson) => askHost(config.notify, requestJson, "notify",
                                        "no desktop notifications here", { unavailable: true });

/**
 * The app's menus to the host (`{model}`: build them; `{popup}`: show a context menu),
 * one request after the other so that the last model sent is the one shown. The web
 * build has no native menus: they are ignored, said once in the console.
 */
let menuRequests = Promise.resolve();
let menusIgnored = false;

function sendMenu(requestJson) {
  if (!config.menu) {
    const { model } = JSON.parse(requestJson);
    const declared = model && (model.bar.length || Object.keys(model.context).length);
    if (declared && !menusIgnored) {
      console.info("pyshell: native menus are only shown in the app's window");
      menusIgnored = true;
    }
    return;
  }
  menuRequests = menuRequests.then(async () => {
    try {
      const response = await fetch(config.menu, {
        method: "POST",
        headers: { "x-pyshell-token": token, "content-type": "application/json" },
        body: requestJson,
      });
      const answer = response.ok ? await response.json() : { error: `HTTP ${response.status}` };
      if (answer.error) log("stderr", `pyshell: menu refused: ${answer.error}`);
    } catch (err) {
      log("stderr", `pyshell: menu request failed (${firstLine(err)})`);
    }
  });
}

/** The system clipboard through the host, which checks the app's declaration. */
const useClipboard = (requestJson) => askHost(
  config.clipboard, requestJson, "clipboard",
  "the clipboard needs the app's window (not available in the web build)", { permission: false });

/** The app's other windows (pyshell.windows), opened and moved by the host. */
const useWindows = (requestJson) => askHost(
  config.windows, requestJson, "windows",
  "more windows need the desktop app (not the web build or `pyshell run --browser`)",
  { unavailable: true });

/** The app's tray icon, shown by the host (which checks the app declared it). */
const useTray = (requestJson) => askHost(
  config.tray, requestJson, "tray", "a tray icon needs the desktop app (not the web build)",
  { unavailable: true });

const UPDATES_OFF = JSON.stringify({ state: "off", reason: "no host to update this app here" });

/** The host's update status, or its answer to a restart: synchronous, like a file call. */
function updateRequest(method, path) {
  if (!config.updates) return UPDATES_OFF;
  const xhr = new XMLHttpRequest();
  xhr.open(method, config.updates + path, false);
  xhr.setRequestHeader("x-pyshell-token", token);
  xhr.send();
  if (xhr.status !== 200) return JSON.stringify({ error: `update request failed: HTTP ${xhr.status}` });
  return xhr.responseText;
}

/** Ask the host to check the update site now; its status once the check is done. */
async function updateCheck() {
  if (!config.updates) return UPDATES_OFF;
  const response = await fetch(config.updates + "/check", {
    method: "POST", headers: { "x-pyshell-token": token } });
  if (!response.ok) return JSON.stringify({ error: `update check failed: HTTP ${response.status}` });
  return await response.text();
}

async function fetchOk(url) {
  const response = await fetch(url, { headers: { "x-pyshell-token": token } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

async function boot() {
  postMessage({ type: msg.STATUS, text: "Starting Python…" });
  const bundle = fetchOk(config.bundle).then((r) => r.arrayBuffer());
  const transport = config.grants.length ? needFileTransport() : null;
  const indexURL = new URL(config.runtime, location.href).href;
  const early = startFetching(indexURL);
  const { loadPyodide } = await early.loader;
  phase("loader-imported");
  const packages = config.packages;
  const options = {
    indexURL,
    stdout: (line) => log("stdout", line),
    stderr: (line) => log("stderr", line),
    ...(packages && { lockFileURL: new URL(packages.lock, location.href).href }),
  };
  const started = await startPyodide(loadPyodide, options, early);
  pyodide = started.pyodide;
  if (interrupt) pyodide.setInterruptBuffer(interrupt); // the page's taps (loader.mjs)
  phase("python-started");
  pyodide.unpackArchive(await bundle, "zip", { extractDir: APP_DIR });
  bootstrap = importBootstrap();
  // The app's locked wheels, installed before the app imports anything (integrity-checked).
  // After a restore their modules are already imported, but their files are not there.
  const wheels = packages ? await unpackPureWheels(options.lockFileURL, packages.names) : null;
  phase("packages");
  bootstrap.prepare();
  // Compiled wheels load after the snapshot is taken, on every launch (see loadCompiled).
  const snapshot = started.makeSnapshot ? makeSnapshot(
    [...(packages ? packages.imports : []), ...config.snapshotImports]
      .filter((name) => !wheels?.needCompiled.has(name.split(".")[0])),
    wheels?.compiled.flatMap((entry) => entry.imports ?? []) ?? []) : null;
  if (wheels?.compiled.length) {
    await loadCompiled(wheels.compiled);
    bootstrap.prepare();
  }
  phase("bundle");
  await transport;
  for (const grant of config.grants) mountGrant(grant);
  for (const grant of config.browserGrants) await mountBrowserGrant(grant);
  pyodide.registerJsModule("_pyshell_js", bridge);
  phase("grants");
  postMessage({ type: msg.STATUS, text: "" });
  const ok = await bootstrap.start(config.entry);
  await flushBrowserStores();
  phase("entry");
  postMessage({ type: msg.READY, ok, boot: started.boot, phases });
  if (started.makeSnapshot) {
    postMessage({ type: msg.SNAPSHOT, saved: !!snapshot && await uploadSnapshot(snapshot) });
  }
}

/**
 * pyshell.bootstrap, from the unpacked bundle (a restored interpreter has it imported
 * already). Putting the bundle's folder on sys.path is the one step Python cannot take
 * for itself: nothing of pyshell is importable before it.
 */
function importBootstrap() {
  const sys = pyodide.pyimport("sys");
  const path = sys.path;
  if (!path.has(APP_DIR)) path.insert(0, APP_DIR);
  path.destroy();
  sys.destroy();
  return pyodide.pyimport("pyshell.bootstrap");
}

/**
 * Pure-Python wheels are unpacked here, after checking their sha256 against the lock.
 * Wheels with compiled code need Pyodide's loader for their shared libraries, which a
 * memory snapshot cannot hold (pyodide#5195: the loaded libraries live outside the
 * heap): they are left to `loadCompiled`, after the snapshot. Returns the lock entries of
 * the compiled ones and the import names that need them (directly or through a
 * dependency), which the snapshot must not import.
 */
async function unpackPureWheels(lockURL, names) {
  const lock = await (await fetchOk(lockURL)).json();
  const entries = names.map((name) => lock.packages[name]);
  const pure = entries.filter((e) => e.file_name.endsWith("-none-any.whl"));
  const site = bootstrap.wheel_folder();
  await Promise.all(pure.map(async (entry) => {
    const data = await (await fetchOk(new URL(entry.file_name, lockURL))).arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    if (hex !== entry.sha256) throw new Error(`${entry.file_name}: sha256 differs from the lock`);
    pyodide.unpackArchive(data, "zip", { extractDir: site });
  }));
  const compiled = entries.filter((e) => !pure.includes(e));
  return { compiled, needCompiled: importsNeeding(lock.packages, compiled) };
}

/** Import names of the packages that are, or depend on, one of ``compiled``: found by
 * walking the lock's dependencies backwards from them (cycles are harmless). */
function importsNeeding(packages, compiled) {
  const dependents = new Map(); // package name -> names of the packages that depend on it
  for (const [name, entry] of Object.entries(packages)) {
    for (const dep of entry.depends ?? []) dependents.set(dep, [...(dependents.get(dep) ?? []), name]);
  }
  const found = new Set(compiled.map((entry) => entry.name));
  for (const name of found) for (const user of dependents.get(name) ?? []) found.add(user);
  return new Set([...found].flatMap((name) => packages[name]?.imports ?? []));
}

/** Compiled wheels, through Pyodide's loader (integrity-checked against the lock). */
async function loadCompiled(entries) {
  await pyodide.loadPackage(entries.map((e) => e.name), {
    messageCallback: () => {},
    errorCallback: (text) => log("stderr", text),
    checkIntegrity: true,
  });
}

// ---- start-up snapshots (host side: snapshots.py) ---------------------------------------
// Python's start-up dominates a cold boot; a memory snapshot of a booted interpreter skips
// it. Snapshots are per engine (the user agent names it). The file system and registered
// JS modules are not in a snapshot, so the bundle, wheels' files, grants and the bridge are
// set up after either path; the hash seed and random state are, so both are renewed.
async function engineId() {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(navigator.userAgent));
  return [...new Uint8Array(digest).slice(0, 12)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Everything a boot fetches, started at once: the snapshot download, the wasm's streaming
 * compilation and the two runtime scripts overlap instead of following each other.
 */
function startFetching(indexURL) {
  const url = (name) => new URL(name, indexURL);
  const quiet = (promise) => promise.catch(() => null); // the boot falls back without it
  return {
    loader: import(url("pyodide.mjs")),
    factory: import(url("pyodide.asm.mjs")),
    wasm: quiet(WebAssembly.compileStreaming(fetch(url("pyodide.asm.wasm")))),
    snapshot: config.snapshot ? quiet(fetchSnapshot()) : Promise.resolve(null),
  };
}

/** This engine's snapshot, or null; refused if its length is not what the host stored. */
async function fetchSnapshot() {
  snapshotURL = new URL(config.snapshot + (await engineId()), location.href).href;
  const response = await fetch(snapshotURL, { headers: { "x-pyshell-token": token } });
  if (!response.ok) return null;
  try {
    const snapshot = new Uint8Array(await response.arrayBuffer());
    if (snapshot.length !== Number(response.headers.get("x-pyshell-size"))) {
      throw new Error("the file is incomplete");
    }
    return snapshot;
  } catch (err) {
    discardSnapshot(err);
    return null;
  } finally {
    phase("snapshot-fetched");
  }
}

/** An error in one line, for the terminal. */
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/**
 * Pyodide's internal errors name its internals ("Unexpected hiwire entry at index 6"),
 * which tell an app's author nothing. Such an error is said as what it means, in one
 * line with where to look (its own text goes to the engine's console only); null for any
 * other error.
 */
/** The message first, then where: Firefox's and WebKit's stacks carry no message. */
function describeError(err) {
  if (!(err instanceof Error)) return String(err);
  const head = `${err.name}: ${err.message}`;
  const stack = String(err.stack ?? "");
  return stack.includes(err.message) ? stack : `${head}\n${stack}`;
}

function explainInternal(err) {
  const text = String(err?.message ?? err);
  if (/hiwire|\bat index \d+/.test(text)) {
    // Pyodide's snapshot found a JS object referenced from Python ("Unexpected hiwire entry
    // at index 6", "Can't serialize object at index 12"; pyodide#5195).
    console.debug("pyshell: Pyodide said:", err);
    const where = "a module imported ahead (listed in [tool.pyshell] snapshot-imports, or a " +
      "locked package the app imports) keeps one; import it in the entry function instead. " +
      "The app boots cold until then";
    return `Python holds a JavaScript object, which a start-up snapshot cannot store: ${where} ` +
      "(docs: Start-up and snapshots, \"What a snapshot cannot hold\")";
  }
  if (err?.pyodide_fatal_error || /Pyodide (already fatally failed|has suffered a fatal error)/.test(text)) {
    console.error("pyshell: Pyodide said:", err);
    return "Python's runtime (Pyodide) failed internally and cannot go on; restart the app " +
      "(Pyodide's own report is in the engine's developer console)";
  }
  return null;
}

function discardSnapshot(err) {
  const why = explainInternal(err) ? "Pyodide could not restore it" : firstLine(err);
  log("stderr", `pyshell: start-up snapshot unusable (${why}); booting cold and making a new one`);
  fetch(snapshotURL, { method: "DELETE", headers: { "x-pyshell-token": token } }).catch(() => {});
}

async function startPyodide(loadPyodide, options, early) {
  const start = async (extra = {}) => {
    const restore = answerWasmFetch(new URL("pyodide.asm.wasm", options.indexURL).href, early.wasm);
    try {
      return await loadPyodide({ ...options, ...extra, createPyodideModule: moduleFactory(early) });
    } finally {
      restore();
    }
  };
  if (!config.snapshot) return { pyodide: await start(), boot: "cold" };
  const snapshot = await early.snapshot;
  early.snapshot = null; // Pyodide keeps its options, and so this, for good: 31 MB
  if (snapshot) {
    try {
      const restored = await start({ _loadSnapshot: snapshot });
      if (restored._api?.config) restored._api.config._loadSnapshot = null;
      return { pyodide: restored, boot: "snapshot" };
    } catch (err) {
      discardSnapshot(err);
    }
  }
  return { pyodide: await start({ _makeSnapshot: true }), boot: "cold", makeSnapshot: true };
}

/**
 * Pyodide's module factory, given the wasm compiled in advance. Restoring, Pyodide asks
 * for the snapshot's size as INITIAL_MEMORY and the module ignores it (pyodide#6254), so
 * the heap is grown to it here.
 */
/**
 * Pyodide starts a download of the wasm of its own as it sets up, which `withCompiled` then
 * drops: a second 9.6 MB request, cancelled half-way. While Pyodide sets up, its fetch of
 * that URL gets an empty response once ours has compiled, and the network only if ours
 * failed (Pyodide then instantiates from its own download).
 */
function answerWasmFetch(wasmURL, compiled) {
  const real = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    if (String(input) !== wasmURL) return real(input, init);
    globalThis.fetch = real;
    return compiled.then((module) => (module ? new Response(new Uint8Array(0)) : real(input, init)));
  };
  return () => { globalThis.fetch = real; };
}

function moduleFactory(early) {
  return async (settings) => {
    const factory = (await early.factory).default;
    const compiled = await early.wasm;
    phase("wasm-compiled");
    if (compiled) settings.instantiateWasm = withCompiled(settings.instantiateWasm, compiled);
    settings.instantiateWasm = withPatchedSyscalls(settings.instantiateWasm);
    const module = await factory(settings);
    phase("wasm-instantiated");
    const wanted = settings.INITIAL_MEMORY ?? 0;
    if (module.HEAP8.length < wanted) module.growMemory(wanted);
    return module;
  };
}

/**
 * Pyodide's instantiateWasm (pinned runtime: it adds two imports of its own, then calls
 * WebAssembly.instantiateStreaming on its own download) made to use our compiled module:
 * that one call is answered from it and Pyodide's download is dropped.
 */
function withCompiled(instantiateWasm, compiled) {
  return (imports, done) => {
    const streaming = WebAssembly.instantiateStreaming;
    WebAssembly.instantiateStreaming = async (source, withImports) => {
      WebAssembly.instantiateStreaming = streaming;
      Promise.resolve(source).then((r) => r.body?.cancel()).catch(() => {});
      return { module: compiled, instance: await WebAssembly.instantiate(compiled, withImports) };
    };
    return instantiateWasm(imports, (instance, module) => {
      WebAssembly.instantiateStreaming = streaming;
      done(instance, module);
    });
  };
}

/** Some of Pyodide's system calls, corrected for host files before the wasm binds them. */
function withPatchedSyscalls(instantiateWasm) {
  if (!instantiateWasm) throw new Error("this Pyodide has no instantiateWasm hook to patch");
  return (imports, done) => {
    patchSyscalls(imports.env);
    return instantiateWasm(imports, done);
  };
}

/**
 * The snapshot of this interpreter, taken before the app's entry point runs, with the
 * modules named imported and the app's code compiled ahead (pyshell.bootstrap.warm).
 */
function makeSnapshot(imports, deferred) {
  const names = pyodide.toPy(imports);
  const later = pyodide.toPy(deferred);
  try {
    bootstrap.warm(names, later);
    return pyodide.makeMemorySnapshot();
  } catch (err) {
    const explained = explainInternal(err);
    log("stderr", explained ? `pyshell: no start-up snapshot: ${explained}`
                            : `pyshell: no start-up snapshot this time (${firstLine(err)})`);
    return null;
  } finally {
    names.destroy();
    later.destroy();
  }
}

/**
 * Sent once the app is up, gzipped on the way: a raw 31 MB request body stalls the page
 * for seconds in Chromium, the 6 MB stream does not. The host serves it back with
 * Content-Encoding: gzip, so the engine's network stack inflates it.
 */
async function uploadSnapshot(snapshot) {
  try {
    const gzipped = new Blob([snapshot]).stream().pipeThrough(new CompressionStream("gzip"));
    const body = await new Response(gzipped).blob();
    const response = await fetch(snapshotURL, { method: "PUT", body,
                                                headers: { "x-pyshell-token": token } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return true;
  } catch (err) {
    log("stderr", `pyshell: start-up snapshot not stored (${firstLine(err)})`);
    return false;
  }
}

/** One run of the app's Python for the page: an event's handler or a timer's function. */
async function runApp(call) {
  grantFS?.settle(); // what the user changed on the host before this run is seen
  try {
    await call();
  } finally {
    await flushBrowserStores();
  }
}

async function onEvent(handler, event) {
  const raw = pyodide.toPy(event);
  try {
    await runApp(() => bootstrap.dispatch(handler, raw));
  } finally {
    raw.destroy();
  }
}

/** The host's news for the app: its grants mounted first (once), then Python hears it. */
async function onHostEvent(event) {
  const fresh = (event.grants ?? []).filter((g) => !grants.some((m) => m.id === g.id));
  if (fresh.length) {
    await needFileTransport();
    for (const grant of fresh) mountGrant(grant);
  }
  await runApp(() => bootstrap.host_event(JSON.stringify(event)));
}

/** A timer is due: the page counts the run as busy (`timer`) until it is `handled`, as
 *  for an event. Python schedules an `every` timer's next run itself. */
async function runTimer(id) {
  timers.delete(id);
  postMessage({ type: msg.TIMER });
  try {
    await runApp(() => bootstrap.run_timer(id));
  } finally {
    postMessage({ type: msg.HANDLED });
  }
}

self.onmessage = async ({ data }) => {
  switch (data.type) {
    case msg.INIT:
      token = data.token;
      config = data.config;
      interrupt = data.interrupt;
      try {
        await boot();
      } catch (err) {
        flushLog();
        postMessage({ type: msg.FATAL, text: explainInternal(err) ?? describeError(err) });
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
      if (result === "started") {
        // The fix completed a start that had failed: the page leaves its "error" state.
        // READY is not sent again, since `pyshell dev` counts it as a new page load.
        postMessage({ type: msg.DOM, ops: [["attr", { sel: "html" }, "data-pyshell", "ready"]] });
      }
      postMessage({ type: msg.RELOADED, ok: result !== false, restart: result === "restart",
                    ms: performance.now() - t0 });
      break;
    }
    case msg.EVENT: // from the page of `data.window` when it is set: the answer goes there
      try {
        if (bootstrap) await onEvent(data.handler, { ...data.event, window: data.window ?? "main" });
      } finally {
        postMessage({ type: msg.HANDLED, window: data.window });
      }
      break;
    case msg.HOST_EVENT:
      try {
        if (bootstrap) await onHostEvent(data.event);
      } finally {
        postMessage({ type: msg.HANDLED, window: data.window });
      }
      break;
    case msg.CLOSE: {
      // Sent once no handler or timer run is under way; the page sends no events until
      // it has the answer (and none at all unless an on_close handler vetoed).
      let ok = true;
      try {
        if (bootstrap) await runApp(async () => { ok = await bootstrap.close(); });
      } finally {
        flushLog();
        postMessage({ type: msg.CLOSED, ok });
      }
      break;
    }
    case msg.MENU:
      try {
        if (bootstrap) {
          await runApp(() => bootstrap.menu_click(data.item, data.checked, data.window ?? "main"));
        }
      } finally {
        postMessage({ type: msg.HANDLED, window: data.window });
      }
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
