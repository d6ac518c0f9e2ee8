// The file service's fast path, on its own thread: holds one WebSocket to the app server
// and answers the Python worker through a SharedArrayBuffer. The Python worker posts a
// request here and blocks in Atomics.wait; the answer is copied into the shared buffer and
// the worker is woken with Atomics.notify. No request here ever blocks.
//
// Shared buffer layout: Int32 [0] state (0 waiting, 1 answered, 2 too big, 3 broken),
// Int32 [1] answer length, then the answer bytes.
//
// Between answers the host may push changes to watched folders (a frame whose first u32
// is 0xFFFFFFFF, then JSON records); they are appended to the change log, a second shared
// buffer the worker reads before it trusts its file cache (fs-cache.mjs): Int32 [0]
// generation (bumped when the log is full and starts again: the reader forgets all),
// Int32 [1] bytes used, then entries of [u32 length][JSON records].
const WAITING = 0, ANSWERED = 1, TOO_BIG = 2, BROKEN = 3;
const CHANGES = 0xffffffff;
let state, bytes, socket, log, logBytes;

function note(records) {
  let used = Atomics.load(log, 1);
  if (used + 4 + records.length > logBytes.length) {
    Atomics.store(log, 1, 0);
    Atomics.add(log, 0, 1); // a new generation: the worker forgets everything it holds
    used = 0;
    if (4 + records.length > logBytes.length) return;
  }
  new DataView(logBytes.buffer, logBytes.byteOffset).setUint32(used, records.length, true);
  logBytes.set(records, used + 4);
  Atomics.store(log, 1, used + 4 + records.length);
}

function answer(code, payload) {
  if (payload) bytes.set(payload);
  Atomics.store(state, 1, payload ? payload.length : 0);
  Atomics.store(state, 0, code);
  Atomics.notify(state, 0);
}

self.onmessage = ({ data }) => {
  if (data.init) {
    state = new Int32Array(data.init.buffer, 0, 2);
    bytes = new Uint8Array(data.init.buffer, 8);
    log = new Int32Array(data.init.notes, 0, 2);
    logBytes = new Uint8Array(data.init.notes, 8);
    socket = new WebSocket(data.init.url);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      socket.send(data.init.token);
      postMessage({ ready: true });
    };
    socket.onmessage = ({ data: frame }) => {
      const payload = new Uint8Array(frame);
      if (payload.length >= 4 && new DataView(frame).getUint32(0, true) === CHANGES) {
        note(payload.subarray(4));
        return;
      }
      if (payload.length > bytes.length) answer(TOO_BIG, null);
      else answer(ANSWERED, payload);
    };
    socket.onerror = socket.onclose = () => {
      postMessage({ ready: false });
      if (Atomics.load(state, 0) === WAITING) answer(BROKEN, null);
    };
    return;
  }
  if (socket.readyState !== WebSocket.OPEN) answer(BROKEN, null);
  else socket.send(data);
};
