// The file service's fast path, on its own thread: holds one WebSocket to the app server
// and answers the Python worker through a SharedArrayBuffer. The Python worker posts a
// request here and blocks in Atomics.wait; the answer is copied into the shared buffer and
// the worker is woken with Atomics.notify. No request here ever blocks.
//
// Shared buffer layout: Int32 [0] state (0 waiting, 1 answered, 2 too big, 3 broken),
// Int32 [1] answer length, then the answer bytes.
const WAITING = 0, ANSWERED = 1, TOO_BIG = 2, BROKEN = 3;
let state, bytes, socket;

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
    socket = new WebSocket(data.init.url);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      socket.send(data.init.token);
      postMessage({ ready: true });
    };
    socket.onmessage = ({ data: frame }) => {
      const payload = new Uint8Array(frame);
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
