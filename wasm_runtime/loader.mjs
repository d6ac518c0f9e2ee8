// The page side of pyshell: starts the Python worker, applies its DOM writes as they
// arrive, answers its reads, delegates events to it and shows app errors.
// The page's own HTML and CSS are already painted when this module runs.
import { beforeSrc, lazyImagesIn } from "./lazy.mjs";
import { morph } from "./morph.mjs";
import * as msg from "./protocol.mjs";
import { Resume } from "./resume.mjs";
import { watchVisible } from "./visibility.mjs";
import { hub, RelayPort } from "./windows.mjs";

const root = document.documentElement;
const tokenMeta = document.querySelector('meta[name="pyshell-token"]');
const token = tokenMeta?.content ?? "";
tokenMeta?.remove(); // the worker keeps it; nothing else in the page needs to see it
/** @type {import("./protocol.mjs").BootConfig} */
const config = JSON.parse(document.querySelector('meta[name="pyshell-config"]').content);
const handles = new Map();   // handle number -> element created by Python, until it drops it
const listeners = new Map(); // handler id -> {type, selector, keys, prevent, timing, held}
const attachedTypes = new Set();
// Python is busy while events sent to it are not handled yet, while a timer runs, and while
// a debounced or throttled event is held back here: whatever must not cut Python short
// (a test, a restart) waits for 0.
let busy = 0;
let whenIdle = []; // what waits for Python to be idle (a close)

function countBusy(change) {
  busy += change;
  if (busy > 0) {
    root.dataset.pyshellBusy = String(busy);
    return;
  }
  delete root.dataset.pyshellBusy;
  const waiting = whenIdle;
  whenIdle = [];
  for (const then of waiting) then();
}

root.dataset.pyshell = "booting";
// Assistive technology waits while Python starts; the page's own text says it is starting.
document.body.setAttribute("aria-busy", "true");
const started = () => document.body.removeAttribute("aria-busy");
performance.mark("pyshell:loader");
// The page of a window the app opened has no worker of its own: the main page's worker
// drives it through the host's relay (windows.mjs), the same messages either way.
const worker = config.window
  ? new RelayPort(config.windowSocket, token, config.window)
  : new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
// The main page relays between the worker and the other windows' pages.
const toWindow = config.windowSocket && !config.window
  ? hub(config.windowSocket, token, fromWindow) : null;
const FROM_WINDOWS = [msg.EVENT, msg.REPLY, msg.HOST_EVENT, msg.MENU];

/** What another window's page sent: to the worker, as from that window (and nothing else). */
function fromWindow(window, message) {
  if (!FROM_WINDOWS.includes(message.type)) return;
  if (message.type === msg.HOST_EVENT) message.event = { ...message.event, window };
  worker.postMessage({ ...message, window });
}

// ---- input during start-up ----------------------------------------------------------
// The page can be used before the app's main() has returned: what the user does then is
// kept here, in order, and handed to the app's handlers once main() is done (registered by
// then, and drawn on a page main() has finished).
// Typed text stays in its field by itself; a render keeps it (morph.mjs).
const EARLY_TYPES = ["click", "dblclick", "auxclick", "keydown", "input", "change", "submit"];
let early = []; // null once main() has returned
const asSeen = new WeakMap(); // a kept event -> the state of its target when it happened

function keepEarly(e) {
  if (!e.isTrusted) return;
  // A submit would reload the page; a handler registered already may ask for no default.
  const prevent = [...listeners.values()].some((l) => l.prevent && matching(l, e));
  if (e.type === "submit" || prevent) e.preventDefault();
  const last = early.at(-1);
  if (e.type === "input" && last?.type === "input" && last.target === e.target) early.pop();
  if (e.type === "input" || e.type === "change") resume.touch(e.target);
  early.push(e);
  asSeen.set(e, formState(e, e.target)); // the handler gets the values of that moment
}
for (const type of EARLY_TYPES) document.addEventListener(type, keepEarly, { capture: true });

/** main() has returned (``ok``) or failed: hand over, or drop, what the user did meanwhile. */
function endEarly(ok) {
  if (early === null) return;
  const kept = early;
  early = null;
  for (const type of EARLY_TYPES) document.removeEventListener(type, keepEarly, { capture: true });
  if (ok) for (const e of kept) onDomEvent(e);
}

// ---- element references -------------------------------------------------------------
function resolve(ref) {
  if (typeof ref === "string") return [document.createTextNode(ref)];
  if (ref.html !== undefined) return parseHTML(ref.html);
  if (ref.h !== undefined) return handles.has(ref.h) ? [handles.get(ref.h)] : [];
  if (ref.id !== undefined) return [document.getElementById(ref.id)].filter(Boolean);
  if (ref.all !== undefined) return [...document.querySelectorAll(ref.all)];
  return [document.querySelector(ref.sel)].filter(Boolean);
}

/** Markup from Python (a child given as HTML), parsed inert: nothing in it runs or loads
 *  until it is put in the page. */
function parseHTML(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  lazyImagesIn(template.content);
  return [...template.content.childNodes];
}

// ---- DOM writes -------------------------------------------------------------------------
const OPS = {
  create(ref, tag) { handles.set(ref.h, document.createElement(tag)); },
  set(ref, prop, value) {
    // `el.html = ...` morphs: focus, selection, scroll and typed values survive a re-render.
    for (const el of resolve(ref)) {
      if (prop === "innerHTML") {
        morph(el, String(value), lazyImagesIn);
      } else {
        beforeSrc(el, prop, value);
        el[prop] = value;
      }
    }
  },
  attr(ref, name, value) {
    for (const el of resolve(ref)) {
      if (value === null) {
        el.removeAttribute(name);
      } else {
        beforeSrc(el, name, value);
        el.setAttribute(name, value);
      }
    }
  },
  class(ref, names, on) {
    for (const el of resolve(ref)) {
      for (const name of names) on === null ? el.classList.toggle(name) : el.classList.toggle(name, on);
    }
  },
  style(ref, name, value) {
    for (const el of resolve(ref)) value === null ? el.style.removeProperty(name) : el.style.setProperty(name, value);
  },
  append(ref, children) { for (const el of resolve(ref)) el.append(...children.flatMap(resolve)); },
  prepend(ref, children) { for (const el of resolve(ref)) el.prepend(...children.flatMap(resolve)); },
  remove(ref) { for (const el of resolve(ref)) el.remove(); }, // Python may put it back
  focus(ref, select) { const [el] = resolve(ref); el?.focus(); if (select) el?.select?.(); },
  blur(ref) { for (const el of resolve(ref)) el.blur(); },
  scroll(ref) { resolve(ref)[0]?.scrollIntoView({ block: "nearest" }); },
  release(numbers) { for (const h of numbers) handles.delete(h); }, // Python dropped them
  listen(id, type, selector, keys, prevent, timing) {
    const held = listeners.get(id)?.held ?? new Map(); // a changed listener keeps what it holds
    listeners.set(id, { type, selector, keys: keys.map(parseKey), prevent, timing, held });
    if (type === "visible") watchVisible(selector); // not a DOM event of its own
    if (!attachedTypes.has(type)) {
      attachedTypes.add(type);
      document.addEventListener(type, onDomEvent, { capture: true });
    }
  },
  unlisten(id) {
    const l = listeners.get(id);
    listeners.delete(id);
    for (const slot of l?.held.values() ?? []) {
      clearTimeout(slot.timer);
      if (slot.event) countBusy(-1); // held back, and now never sent
    }
  },
};

// For tests and diagnostics: how many elements Python holds handles to (read-only).
Object.defineProperty(globalThis, "pyshellHandles", { get: () => handles.size });

function applyBatch(ops) {
  for (const [name, ...args] of ops) {
    try {
      OPS[name](...args);
    } catch (err) {
      console.error(`pyshell: DOM op ${name} failed`, err);
    }
  }
  resume.keepSoon();
}

// ---- resume paint (resume.mjs) --------------------------------------------------------
const resume = new Resume({ url: config.resume, token, apply: applyBatch,
                            ready: () => root.dataset.pyshell === "ready" });
document.addEventListener("input", () => resume.keepSoon());

// A batch is applied the moment it arrives: the engine renders at most once a frame anyway,
// so waiting for an animation frame would only add up to 16 ms to every click.

// ---- DOM reads ------------------------------------------------------------------------
const QUERIES = {
  get(ref, prop) { const [el] = resolve(ref); return el === undefined ? null : el[prop]; },
  exists(ref) { return resolve(ref).length > 0; },
  count(ref) { return resolve(ref).length; },
  // pyshell.dialogs: the engine's own message boxes (native in Qt and GTK windows).
  ask(kind, text, value) {
    if (kind === "confirm") return confirm(text);
    if (kind === "prompt") return prompt(text, value);
    alert(text);
    return null;
  },
};

function answer(id, [name, ...args]) {
  try {
    worker.postMessage({ type: msg.REPLY, id, value: QUERIES[name](...args) });
  } catch (err) {
    worker.postMessage({ type: msg.REPLY, id, error: String(err) });
  }
}

// ---- events -----------------------------------------------------------------------------
function parseKey(spec) {
  const parts = spec.split("+");
  const key = parts.length > 1 && parts.at(-1) === "" ? "+" : parts.pop();
  const mods = new Set(parts.map((p) => p.toLowerCase()));
  return { key: key.toLowerCase(), mod: mods.has("mod"), ctrl: mods.has("ctrl"),
           alt: mods.has("alt"), shift: mods.has("shift"), meta: mods.has("meta") };
}

function keyMatches(e, k) {
  if (e.key.toLowerCase() !== k.key) return false;
  const mod = e.ctrlKey || e.metaKey;
  if (k.mod) return mod && e.altKey === k.alt;
  return e.ctrlKey === k.ctrl && e.metaKey === k.meta && e.altKey === k.alt &&
    (k.shift ? e.shiftKey : true);
}

function isEditable(el) {
  return el instanceof Element && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

/** What a handler is told of the element an event came from and of the form it submitted. */
function formState(e, matched) {
  const target = e.target instanceof Element ? e.target : matched;
  return {
    value: "value" in target && typeof target.value === "string" ? target.value : null,
    checked: "checked" in target && typeof target.checked === "boolean" ? target.checked : null,
    form: e.type === "submit" && matched instanceof HTMLFormElement
      ? Object.fromEntries([...new FormData(matched)].map(([k, v]) => [k, String(v)])) : {},
  };
}

function describe(e, matched) {
  const { value, checked, form } = asSeen.get(e) ?? formState(e, matched);
  return {
    type: e.type,
    target_id: matched.id || "",
    target_tag: matched.tagName ? matched.tagName.toLowerCase() : "",
    value, checked,
    key: e.key ?? null,
    code: e.code ?? null,
    ctrl: !!e.ctrlKey, shift: !!e.shiftKey, alt: !!e.altKey, meta: !!e.metaKey,
    data: { ...(matched.dataset ?? {}) },
    form,
  };
}

/** The element through which listener ``l`` hears event ``e``, or null. */
function matching(l, e) {
  if (l.type !== e.type) return null;
  const matched = l.selector ? e.target.closest?.(l.selector) : (e.target instanceof Element ? e.target : root);
  if (!matched) return null;
  if (l.keys.length) {
    if (!l.keys.some((k) => keyMatches(e, k))) return null;
    // A bare shortcut like "/" anywhere on the page must not steal typing in a field.
    if (!l.selector && isEditable(e.target) && !(e.ctrlKey || e.metaKey || e.altKey)) return null;
  }
  return matched;
}

function onDomEvent(e) {
  if (closing) return; // the app is closing: no new work for Python
  if (early !== null && EARLY_TYPES.includes(e.type)) return; // kept until main() is done
  for (const [id, l] of listeners) {
    const matched = matching(l, e);
    if (!matched) continue;
    if (l.prevent) e.preventDefault();
    const event = describe(e, matched);
    if (l.timing) pace(id, l, matched, event);
    else sendEvent(id, event);
  }
}

function sendEvent(id, event) {
  worker.postMessage({ type: msg.EVENT, handler: id, event });
  countBusy(+1);
  running += 1;
}

/**
 * debounce: an element's event is sent once its events have paused for the time given, and
 * only the last. throttle: the first at once, then at most one per interval, the last
 * always (held until the interval ends). Per listener and matched element; what is skipped
 * never reaches the worker. A held event counts as busy.
 */
function pace(id, l, element, event) {
  let slot = l.held.get(element);
  if (!slot) l.held.set(element, (slot = { timer: 0, event: null }));
  if (l.timing.debounce !== undefined) {
    clearTimeout(slot.timer);
    if (!slot.event) countBusy(+1);
    slot.event = event;
    slot.timer = setTimeout(() => {
      l.held.delete(element);
      countBusy(-1);
      sendEvent(id, slot.event);
    }, l.timing.debounce);
    return;
  }
  if (slot.timer) { // within the interval: hold the latest
    if (!slot.event) countBusy(+1);
    slot.event = event;
    return;
  }
  sendEvent(id, event);
  const tick = () => {
    if (!slot.event) {
      l.held.delete(element);
      return;
    }
    const held = slot.event;
    slot.event = null;
    countBusy(-1);
    sendEvent(id, held);
    slot.timer = setTimeout(tick, l.timing.throttle);
  };
  slot.timer = setTimeout(tick, l.timing.throttle);
}

// ---- a busy Python -----------------------------------------------------------------------
// Python runs on one thread: a long handler or a loop in main() holds up whatever else it
// would do. After a second of that the page says so and offers a restart, and (where memory
// can be shared) taps Python through Pyodide's interrupt buffer to send the page the writes
// it has queued: SIGUSR1's handler (bootstrap.py) flushes them, between two bytecodes.
const BUSY_AFTER_MS = 1000;
const FLUSH_SIGNAL = 10; // SIGUSR1
const nudge = typeof SharedArrayBuffer === "function" && globalThis.crossOriginIsolated
  ? new Int32Array(new SharedArrayBuffer(4)) : null; // WebKitGTK may have it switched off
let running = 0; // main(), handlers, timer runs and close handlers under way in Python
let stuckSince = null; // when Python became busy; non-null once the page says so
let busySince = null;

setInterval(() => {
  const now = performance.now();
  if (running <= 0) {
    busySince = null;
    if (stuckSince !== null) showStuck(false);
    return;
  }
  busySince ??= now;
  if (now - busySince < BUSY_AFTER_MS) return;
  if (nudge) Atomics.store(nudge, 0, FLUSH_SIGNAL);
  if (stuckSince === null) showStuck(true);
}, 250);

function showStuck(stuck) {
  stuckSince = stuck ? busySince : null;
  let bar = document.getElementById("pyshell-busy");
  if (!stuck) {
    bar?.remove();
    delete root.dataset.pyshellStuck;
    return;
  }
  root.dataset.pyshellStuck = "";
  if (bar) return;
  bar = document.createElement("div");
  bar.id = "pyshell-busy";
  bar.setAttribute("role", "status");
  bar.style.cssText = "position:fixed;right:12px;top:12px;z-index:2147483646;display:flex;gap:10px;" +
    "align-items:center;background:#313244;color:#cdd6f4;border-radius:8px;padding:6px 8px 6px 12px;" +
    "font:13px/1.4 system-ui,sans-serif;box-shadow:0 4px 16px rgba(0,0,0,.3)";
  const text = document.createElement("span");
  text.textContent = "Python is busy…";
  const restart = document.createElement("button");
  restart.type = "button";
  restart.textContent = "Restart";
  restart.title = "Start the app's Python afresh (what it has not saved is lost)";
  restart.style.cssText = "background:#45475a;color:#cdd6f4;border:0;border-radius:4px;padding:3px 10px;cursor:pointer";
  restart.addEventListener("click", () => location.reload());
  bar.append(text, restart);
  document.body.append(bar);
}

// ---- errors --------------------------------------------------------------------------
// The error panel (also the dev overlay): an alert dialog that takes focus when it appears,
// closes with Dismiss or Esc and gives focus back to where it was.
let focusBeforeError = null;

function showError(text, title = "Python error") {
  let panel = document.getElementById("pyshell-error");
  const opening = !panel;
  if (opening) {
    panel = document.createElement("div");
    panel.id = "pyshell-error";
    panel.setAttribute("role", "alertdialog");
    panel.setAttribute("aria-labelledby", "pyshell-error-title");
    panel.setAttribute("aria-describedby", "pyshell-error-text");
    panel.style.cssText = "position:fixed;left:12px;right:12px;bottom:12px;max-height:45vh;" +
      "overflow:auto;z-index:2147483647;background:#1e1e2e;color:#f5e0dc;border-left:4px solid #f38ba8;" +
      "border-radius:8px;padding:12px 16px;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.35);color-scheme:dark";
    const head = document.createElement("div");
    head.style.cssText = "display:flex;justify-content:space-between;align-items:center;margin-bottom:6px";
    const label = document.createElement("strong");
    label.id = "pyshell-error-title";
    label.style.color = "#f38ba8";
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Dismiss";
    close.title = "Dismiss (Esc)";
    close.style.cssText = "background:#313244;color:#cdd6f4;border:0;border-radius:4px;padding:4px 10px;cursor:pointer";
    close.addEventListener("click", closeError);
    panel.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      closeError();
    });
    const pre = document.createElement("pre");
    pre.id = "pyshell-error-text";
    pre.style.cssText = "margin:0;white-space:pre-wrap";
    head.append(label, close);
    panel.append(head, pre);
    document.body.append(panel);
    focusBeforeError = document.activeElement;
  }
  panel.querySelector("strong").textContent = title;
  panel.querySelector("pre").textContent = text;
  if (opening) panel.querySelector("button").focus();
}

function closeError() {
  const panel = document.getElementById("pyshell-error");
  if (!panel) return;
  const hadFocus = panel.contains(document.activeElement);
  panel.remove();
  const back = focusBeforeError;
  focusBeforeError = null;
  if (hadFocus && back?.isConnected && back !== document.body) back.focus();
}

/** files.download() without a native dialog: the browser's own download. */
function saveDownload(name, bytes) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([bytes]));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

/** The worker's boot phases as `pyshell:NAME` marks on the page's performance timeline. */
function markPhases(phases) {
  for (const [name, at] of Object.entries(phases)) {
    performance.mark(`pyshell:${name}`, { startTime: Math.max(0, at - performance.timeOrigin) });
  }
}

// ---- worker messages ------------------------------------------------------------------
worker.onmessage = ({ data }) => {
  if (data.window && toWindow) return toWindow(data.window, data); // for another window's page
  if (resume.holding && data.type !== msg.DOM && data.type !== msg.STATUS) resume.handOver();
  switch (data.type) {
    case msg.DOM:
      if (resume.holding) resume.hold(data.ops);
      else applyBatch(data.ops);
      break;
    case msg.QUERY: answer(data.id, data.op); break;
    case msg.STATUS:
      root.dataset.pyshellStatus = data.text;
      if (!data.text) running += 1; // the status goes as the app's main() starts
      break;
    case msg.READY:
      root.dataset.pyshell = data.ok ? "ready" : "error";
      started();
      tellStarted(data.ok);
      running -= 1;
      endEarly(data.ok);
      root.dataset.pyshellBoot = data.boot; // "cold" or "snapshot", for tests and benchmarks
      markPhases(data.phases);
      pollHostEvents();
      resume.keepSoon();
      if (config.dev && !config.window) devReport({ kind: "boot", ok: data.ok, ms: performance.now() });
      break;
    case msg.TIMER: countBusy(+1); running += 1; break; // a timer's run started in Python
    case msg.HANDLED: countBusy(-1); running -= 1; break; // a handler's or a timer's run ended
    case msg.DOWNLOAD: saveDownload(data.name, data.bytes); break;
    case msg.SNAPSHOT: root.dataset.pyshellSnapshot = data.saved ? "saved" : "failed"; break;
    case msg.ERROR:
      if (data.text) showError(data.text);
      else closeError();
      break;
    case msg.RELOADED:
      if (data.restart) location.reload(); // the module asked for a fresh start
      else devReport({ kind: "python", ok: data.ok, ms: data.ms });
      break;
    case msg.CLOSED:
      countBusy(-1);
      running -= 1;
      if (!data.ok) closing = false; // an on_close handler kept the window open
      if (data.ok) resume.keep().then(() => answerClose(true)); // its last picture first
      else answerClose(false);
      break;
    case msg.WARNING: showError(data.text, "Note"); break;
    case msg.FATAL:
      root.dataset.pyshell = "error";
      started();
      endEarly(false);
      showError(data.text, "pyshell could not start the app");
      break;
  }
};
worker.onerror = (e) => {
  resume.handOver();
  root.dataset.pyshell = "error";
  started();
  endEarly(false);
  showError(e.message || "the Python worker failed to load", "pyshell could not start the app");
};
// Relative URLs in the config are the page's (the static web build uses them); the worker
// lives in another folder, so it gets them resolved.
for (const key of ["bundle", "runtime", "log", "fs", "dialog", "openUrl", "clipboard", "closed",
                   "hostEvents", "notify", "menu", "started", "updates", "windows", "tray",
                   "resume"]) {
  if (config[key]) config[key] = new URL(config[key], document.baseURI).href;
}
if (config.packages) config.packages.lock = new URL(config.packages.lock, document.baseURI).href;
worker.postMessage({ type: msg.INIT, token, config, interrupt: nudge });

// ---- the app started --------------------------------------------------------------------
// The host hears whether the app's entry point returned: an installed app that updated
// itself keeps the new version once it got this far (else it goes back to the old one).
function tellStarted(ok) {
  if (!config.started) return;
  fetch(config.started, {
    method: "POST",
    headers: { "x-pyshell-token": token, "content-type": "application/json" },
    body: JSON.stringify({ ok }),
  }).catch(() => {});
}

// ---- closing the window -----------------------------------------------------------------
// The host never closes the window under running Python: it dispatches `pyshell:close` and
// waits (within the app's quit budget) for the answer on the `closed` route. No new events
// go to Python from now on; once the ones under way are handled and no timer runs, the
// worker runs the app's on_close handlers (which may keep the window open) and on_quit.
let closing = false;

function answerClose(close) {
  if (!config.closed) return;
  fetch(config.closed, {
    method: "POST",
    headers: { "x-pyshell-token": token, "content-type": "application/json" },
    body: JSON.stringify({ close }),
  }).catch(() => {});
}

document.addEventListener("pyshell:close", () => {
  if (closing) return;
  closing = true;
  if (root.dataset.pyshell !== "ready") return answerClose(true); // no app to ask
  const ask = () => {
    countBusy(+1); // the close handlers run: busy until `closed`
    running += 1;
    worker.postMessage({ type: msg.CLOSE });
  };
  if (busy > 0) whenIdle.push(ask);
  else ask();
});

// ---- the host's events -------------------------------------------------------------------
// Files and URLs another launch handed over, clicks on the app's notifications: one long
// poll at a time, each event to the worker like a DOM event (busy until `handled`).
let pollingHost = false;

async function pollHostEvents() {
  if (!config.hostEvents || pollingHost) return;
  pollingHost = true;
  while (!closing) {
    let events;
    try {
      const response = await fetch(config.hostEvents, { headers: { "x-pyshell-token": token } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      events = await response.json();
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the host may be stopping
      continue;
    }
    for (const event of events) {
      if (closing) break;
      // A window's page may send (a menu click) before Python has written to it.
      if (event.kind === "window" && toWindow) toWindow.connect();
      countBusy(+1);
      running += 1;
      worker.postMessage({ type: msg.HOST_EVENT, event });
    }
  }
  pollingHost = false;
}

// ---- the window's focus -------------------------------------------------------------------
// pyshell.windows' "focused": the page knows it first (the engines tell the host nothing).
// Engines may say "focus" twice for one activation; Python hears it once until a "blur".
let hasFocus = false;
addEventListener("blur", () => { hasFocus = false; });
addEventListener("focus", () => {
  if (hasFocus || closing || root.dataset.pyshell !== "ready") return;
  hasFocus = true;
  countBusy(+1);
  running += 1;
  worker.postMessage({ type: msg.HOST_EVENT, event: { kind: "window", window: "main", event: "focused" } });
});

// ---- native menus --------------------------------------------------------------------------
// The host builds the menus the app's Python declares; a click on one of its items (or its
// accelerator) comes back as a `pyshell:menu` DOM event, and goes to the worker like a DOM
// event: counted busy until handled, and not at all once the app is closing.
document.addEventListener("pyshell:menu", (e) => {
  if (closing || root.dataset.pyshell !== "ready" || typeof e.detail?.item !== "string") return;
  worker.postMessage({ type: msg.MENU, item: e.detail.item, checked: !!e.detail.checked });
  countBusy(+1);
  running += 1;
});

// ---- links off the app -------------------------------------------------------------------
// The window never leaves the app's origin: a clicked link to another origin is handed to
// the host, which opens it in the user's browser if the app declared it
// ([tool.pyshell.permissions] open-urls) and otherwise says so in one terminal line. The
// engine itself refuses every other way off the origin (meta refresh, scripts).
function onLinkClick(e) {
  const link = e.target instanceof Element ? e.target.closest("a[href], area[href]") : null;
  if (!link || e.defaultPrevented) return;
  const url = new URL(link.href, document.baseURI);
  if (url.origin === location.origin || url.protocol === "javascript:") return;
  e.preventDefault();
  fetch(config.openUrl, {
    method: "POST",
    headers: { "x-pyshell-token": token, "content-type": "application/json" },
    body: JSON.stringify({ url: url.href, clicked: true }),
  }).catch(() => {});
}

if (config.openUrl) {
  for (const type of ["click", "auxclick"]) document.addEventListener(type, onLinkClick);
}

// ---- dev mode: follow the files as they are saved ---------------------------------------
let devSocket = null;
const unsentReports = [];

function devReport(report) {
  if (report) unsentReports.push(JSON.stringify({ type: msg.DEV_RELOADED, ...report }));
  if (devSocket?.readyState === WebSocket.OPEN) {
    while (unsentReports.length) devSocket.send(unsentReports.shift());
  }
}

function swapStylesheets(paths) {
  const t0 = performance.now();
  const links = [...document.querySelectorAll('link[rel="stylesheet"]')].filter((link) => {
    const path = new URL(link.href).pathname.replace(/^\//, "");
    return paths.includes(path);
  });
  if (!links.length) return location.reload();
  let waiting = links.length;
  for (const old of links) {
    const fresh = old.cloneNode();
    const url = new URL(old.href);
    url.searchParams.set("t", String(Date.now()));
    fresh.href = url.href;
    // The old sheet stays until the new one has loaded: no unstyled flash.
    fresh.onload = fresh.onerror = () => {
      old.remove();
      if (--waiting === 0) devReport({ kind: "css", ok: true, ms: performance.now() - t0 });
    };
    old.after(fresh);
  }
}

function connectDev() {
  devSocket = new WebSocket(config.dev);
  devSocket.onopen = () => {
    devSocket.send(token);
    devReport(null); // anything said before the socket was open
  };
  devSocket.onmessage = ({ data }) => {
    const message = JSON.parse(data);
    if (message.type === msg.CSS_UPDATE) swapStylesheets(message.paths);
    else if (message.type === msg.FULL_RELOAD) location.reload();
    else if (message.type === msg.PYTHON_UPDATE) {
      // Python stuck in a loop would never take the new code: start afresh with it.
      if (stuckSince !== null) location.reload();
      else worker.postMessage({ type: msg.RELOAD, modules: message.modules, files: message.files });
    }
  };
  devSocket.onclose = () => setTimeout(connectDev, 1000); // the server may come back
}

if (config.dev) connectDev();
