// The contract between the host, the page (loader.mjs) and the worker (worker.mjs): the
// boot config and every message type. Python defines both once (shell/pyshell/contract.py)
// and docs/protocol.md describes them; tests/test_contract.py fails when the three differ.

/** page -> worker */
export const INIT = "init";     // {type, token, config, interrupt} (interrupt: see loader.mjs, "a busy Python")
export const EVENT = "event";   // {type, handler, event, window}  window: set when it came from another window's page
export const REPLY = "reply";   // {type, id, value} | {type, id, error}
export const RELOAD = "reload"; // {type, modules, files}   dev mode: re-run changed modules
export const CLOSE = "close";   // {type}                the window is asked to close: on_close, then on_quit
export const HOST_EVENT = "host-event"; // {type, event, window}  the host's news for the app: opened files/URLs, notification clicks, windows
export const MENU = "menu";     // {type, item, checked, window}  a native menu item was clicked: run its Python handler

/** worker -> page */
export const STATUS = "status"; // {type, text}          boot progress for the loading state
export const READY = "ready";   // {type, ok, boot, phases}  the entry point has run
export const DOM = "dom";       // {type, ops, window}   one batch of DOM writes (window: for another window's page)
export const QUERY = "query";   // {type, id, op, window}  a read of the live DOM
export const ERROR = "error";   // {type, text}          an app traceback to show
export const WARNING = "warning"; // {type, text}        a one-line notice for the user (the app still runs)
export const FATAL = "fatal";   // {type, text}          pyshell could not start the app
export const RELOADED = "reloaded"; // {type, ok, restart, ms}  dev mode: a reload was applied
export const SNAPSHOT = "snapshot"; // {type, saved}      first launch: the start-up snapshot was stored
export const HANDLED = "handled";   // {type, window}     one EVENT's handler (or TIMER's run) has finished (writes flushed)
export const TIMER = "timer";       // {type}             a timer's run started in Python; a HANDLED follows
export const CLOSED = "closed";     // {type, ok}         CLOSE's handlers ran; ok false: one vetoed
export const DOWNLOAD = "download"; // {type, name, bytes} a file for the user, saved as a browser download

/** host -> page over the dev WebSocket (dev mode only) */
export const DEV_CONNECTED = "connected";     // {type}
export const CSS_UPDATE = "css-update";       // {type, paths}
export const PYTHON_UPDATE = "python-update"; // {type, modules, files}
export const FULL_RELOAD = "full-reload";     // {type, reason}

/** host -> the page of a window the app opened, over the window relay */
export const WINDOW_CONNECTED = "window-connected"; // {type}  the token was accepted: the page is the app's

/** page -> host over the dev WebSocket */
export const DEV_RELOADED = "reloaded";       // {type, kind, ok, ms}  an update was applied

/**
 * What the page needs to start the app: the JSON in `<meta name="pyshell-config">`.
 * Every key is always present; `null` means the host has none of it (the web build has
 * no log, file service, dialogs or dev channel). URLs may be relative to the page.
 * @typedef {object} BootConfig
 * @property {string} entry
 * @property {string} bundle
 * @property {string} runtime
 * @property {?string} log
 * @property {?string} fs
 * @property {?string} fsSocket
 * @property {boolean} fsFastPath
 * @property {?string} dialog
 * @property {?string} openUrl
 * @property {?string} clipboard
 * @property {?string} closed
 * @property {?string} hostEvents
 * @property {?string} notify
 * @property {?string} menu
 * @property {?string} started
 * @property {?string} updates
 * @property {?string} dev
 * @property {?string} windows
 * @property {?string} windowSocket
 * @property {?string} window
 * @property {?string} tray
 * @property {?string} resume
 * @property {?string} snapshot
 * @property {string[]} snapshotImports
 * @property {Grant[]} grants
 * @property {BrowserGrant[]} browserGrants
 * @property {RefusedGrant[]} refused
 * @property {?PackageSet} packages
 */

/**
 * A host folder (or one file) mounted in the worker through the file service.
 * @typedef {object} Grant
 * @property {string} id
 * @property {string} mount
 * @property {boolean} writable
 * @property {?string} file
 * @property {string} hostPath
 */

/**
 * Web build: an {appdata} grant kept in the browser's own storage.
 * @typedef {object} BrowserGrant
 * @property {string} mount
 * @property {boolean} writable
 */

/**
 * A declared grant this host cannot mount, and why.
 * @typedef {object} RefusedGrant
 * @property {string} mount
 * @property {string} reason
 */

/**
 * The app's locked wheels.
 * @typedef {object} PackageSet
 * @property {string} lock
 * @property {string[]} names
 * @property {string[]} imports
 */
