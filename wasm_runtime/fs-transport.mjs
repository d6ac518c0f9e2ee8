// How the grant filesystem (fs.mjs) reaches the app server: one synchronous request per
// file operation. A transport is a function (op, args, body) -> reply, where a reply is
// {ok, data} or {error: "ENOENT"}.

import { ChangeLog } from "./fs-cache.mjs";

const BULK = 4 << 20; // larger requests and answers skip the shared-memory path
const QUESTIONS = new Set(["stat", "listdir", "read", "fstat"]); // change nothing on the host

/**
 * A synchronous request over XMLHttpRequest (allowed in workers, works in every engine).
 * One XMLHttpRequest serves every request: a worker busy in a long Python loop never
 * returns to its event loop, where the engine frees request objects, and a new one per
 * operation grew Chromium's renderer by about 16 KB each (1 GB over 40,000 operations).
 *
 * With ``follow``, the worker names itself to the host, which then returns the change
 * records heard since its previous request with every answer (``c``): the file cache
 * works without a socket. Records reach it only when it asks, so a cache used for more
 * than ``STALE_MS`` since the last answer asks first (``settle``).
 */
export function xhrTransport(url, token, follow = false) {
  const xhr = new XMLHttpRequest();
  const decoder = new TextDecoder();
  const client = follow ? crypto.randomUUID() : null;
  const log = new AnswerLog();
  const transport = (op, args, body) => {
    xhr.open("POST", `${url}?op=${op}`, false);
    xhr.responseType = "arraybuffer";
    xhr.setRequestHeader("x-pyshell-token", token);
    xhr.setRequestHeader("x-pyshell-fs", encodeURIComponent(JSON.stringify(args)));
    if (client) xhr.setRequestHeader("x-pyshell-client", client);
    xhr.send(body ?? null);
    if (xhr.status !== 200) return { error: "EIO" };
    const header = xhr.getResponseHeader("x-pyshell-fs");
    const reply = header === null ? JSON.parse(decoder.decode(xhr.response)) : JSON.parse(header);
    reply.data = header === null ? new ArrayBuffer(0) : xhr.response; // as sharedTransport
    if ("c" in reply) log.heard(reply.c);
    return reply;
  };
  if (client) {
    log.ask = () => transport("settle", {});
    transport.changes = { log, live: () => log.fed };
  }
  return transport;
}

const STALE_MS = 10;

/** The change records that came with answers, read as fs-cache.mjs reads a ChangeLog. */
class AnswerLog {
  constructor() {
    this.records = [];
    this.fed = false; // the host sends records at all (it has a change feed)
    this.at = 0; // when the last answer came
    this.ask = null;
  }

  heard(records) {
    this.fed = true;
    this.at = performance.now();
    if (records === null || this.records === null) this.records = null;
    else this.records.push(...records);
  }

  /** Records since the last call, or null: forget everything. */
  take() {
    if (this.fed && performance.now() - this.at > STALE_MS) this.ask();
    const records = this.records;
    this.records = [];
    return records;
  }
}

/**
 * The fast path where SharedArrayBuffer exists: requests go to fs-io.mjs, which owns a
 * WebSocket, and this worker blocks in Atomics.wait for the answer. Anything that does not
 * fit the shared buffer, or any failure of the socket, falls back to `slow` (XHR).
 */
export async function sharedTransport(socketUrl, token, slow, capacity = 9 << 20) {
  const buffer = new SharedArrayBuffer(8 + capacity);
  const notes = new SharedArrayBuffer(8 + (1 << 20)); // the change log (fs-io.mjs)
  const state = new Int32Array(buffer, 0, 2);
  const bytes = new Uint8Array(buffer, 8);
  const io = new Worker(new URL("./fs-io.mjs", import.meta.url), { type: "module" });
  const ready = await new Promise((resolve) => {
    io.onmessage = ({ data }) => resolve(data.ready);
    io.onerror = () => resolve(false);
    setTimeout(() => resolve(false), 5000);
    io.postMessage({ init: { buffer, notes, url: socketUrl, token } });
  });
  if (!ready) {
    io.terminate();
    return null;
  }
  let broken = false;
  io.onmessage = ({ data }) => { if (data.ready === false) broken = true; };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const transport = (op, args, body) => {
    const head = encoder.encode(JSON.stringify({ op, ...args }));
    const size = 4 + head.length + (body ? body.length : 0);
    // Bulk data goes by XHR: there the per-request cost is amortised and no copy is shared.
    if (broken || size > BULK || (op === "read" && args.length > BULK)) {
      const reply = slow(op, args, body);
      // A change made over XHR has its records sent on the socket: one question there
      // (answered after them) puts them in the log before the cache is used again.
      if (!broken && !QUESTIONS.has(op)) transport("settle", {});
      return reply;
    }
    const frame = new Uint8Array(size);
    new DataView(frame.buffer).setUint32(0, head.length, true);
    frame.set(head, 4);
    if (body) frame.set(body, 4 + head.length);
    Atomics.store(state, 0, 0);
    io.postMessage(frame.buffer, [frame.buffer]);
    Atomics.wait(state, 0, 0);
    if (Atomics.load(state, 0) !== 1) {
      // An answer too big for the buffer (only reads and listings): safe to ask again. A
      // socket that broke mid-request may have done it: only questions are asked again.
      if (Atomics.load(state, 0) === 3) {
        broken = true;
        if (!QUESTIONS.has(op)) return { error: "EIO" };
      }
      return slow(op, args, body);
    }
    const length = Atomics.load(state, 1);
    const view = new DataView(buffer, 8);
    const metaLength = view.getUint32(0, true);
    const reply = JSON.parse(decoder.decode(bytes.slice(4, 4 + metaLength)));
    reply.data = bytes.slice(4 + metaLength, length).buffer;
    return reply;
  };
  // What the file cache needs: the host's change log, and whether it is still arriving.
  transport.changes = { log: new ChangeLog(notes), live: () => !broken };
  return transport;
}
