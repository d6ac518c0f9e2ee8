// How the grant filesystem (fs.mjs) reaches the app server: one synchronous request per
// file operation. A transport is a function (op, args, body) -> reply, where a reply is
// {ok, data} or {error: "ENOENT"}.

const BULK = 4 << 20; // larger requests and answers skip the shared-memory path
const QUESTIONS = new Set(["stat", "listdir", "read", "fstat"]); // change nothing on the host

/**
 * A synchronous request over XMLHttpRequest (allowed in workers, works in every engine).
 * One XMLHttpRequest serves every request: a worker busy in a long Python loop never
 * returns to its event loop, where the engine frees request objects, and a new one per
 * operation grew Chromium's renderer by about 16 KB each (1 GB over 40,000 operations).
 */
export function xhrTransport(url, token) {
  const xhr = new XMLHttpRequest();
  const decoder = new TextDecoder();
  return (op, args, body) => {
    xhr.open("POST", `${url}?op=${op}`, false);
    xhr.responseType = "arraybuffer";
    xhr.setRequestHeader("x-pyshell-token", token);
    xhr.setRequestHeader("x-pyshell-fs", encodeURIComponent(JSON.stringify(args)));
    xhr.send(body ?? null);
    if (xhr.status !== 200) return { error: "EIO" };
    const header = xhr.getResponseHeader("x-pyshell-fs");
    if (header === null) return JSON.parse(decoder.decode(xhr.response));
    const meta = JSON.parse(header);
    meta.data = xhr.response;
    return meta;
  };
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
      return slow(op, args, body);
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
  transport.changes = { notes, live: () => !broken };
  return transport;
}
