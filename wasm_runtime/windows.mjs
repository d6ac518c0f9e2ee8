// The app's other windows (pyshell.windows): one Python, in the main page's worker, for
// every window. A window's page has no worker; the host relays between it and the main
// page (routes/windows.py, docs/protocol.md "More windows"), so each side talks the
// protocol of protocol.mjs as if the other were next to it.
import * as msg from "./protocol.mjs";

/** A WebSocket to the relay that sends what it is given once it is open, in order. */
function relaySocket(url, token, window, onMessage) {
  const socket = new WebSocket(`${url}?window=${encodeURIComponent(window)}`);
  const unsent = [token];
  socket.onopen = () => {
    while (unsent.length) socket.send(unsent.shift());
  };
  socket.onmessage = ({ data }) => onMessage(JSON.parse(data));
  return (message) => {
    const text = JSON.stringify(message);
    if (socket.readyState === WebSocket.OPEN) socket.send(text);
    else unsent.push(text);
  };
}

/**
 * The main page's side (the hub): `send(id, message)` to a window's page; what its page
 * sends comes to `onMessage(id, message)`. Connected the first time it is used, or by
 * `connect()` once a window is there (what its page sends is held until then).
 */
export function hub(url, token, onMessage) {
  let send = null;
  const connect = () =>
    (send ??= relaySocket(url, token, "main", ({ from, message: m }) => onMessage(from, m)));
  const toWindow = (window, message) => connect()({ to: window, message });
  toWindow.connect = connect;
  return toWindow;
}

/**
 * A window's page: stands where the main page has its worker (`postMessage`, `onmessage`).
 * The relay's word that the page is connected makes it act as a worker whose app has
 * started; `init` has no one to go to (the app's Python runs already).
 */
export class RelayPort {
  constructor(url, token, window) {
    this.onmessage = null;
    this.onerror = null;
    this._started = false;
    this._send = relaySocket(url, token, window, (message) => this._received(message));
  }

  postMessage(message) {
    if (message.type !== msg.INIT) this._send(message);
  }

  _received(message) {
    if (message.type !== msg.WINDOW_CONNECTED) return this.onmessage?.({ data: message });
    if (this._started) return;
    this._started = true;
    this.onmessage?.({ data: { type: msg.STATUS, text: "" } });
    this.onmessage?.({ data: { type: msg.READY, ok: true, boot: "window", phases: {} } });
  }
}
