// Messages between the page (loader.mjs) and the worker (worker.mjs).
// The table in docs/protocol.md describes each; keep the two in step.

/** page -> worker */
export const INIT = "init";     // {type, token, config}
export const EVENT = "event";   // {type, handler, event}
export const REPLY = "reply";   // {type, id, value} | {type, id, error}
export const RELOAD = "reload"; // {type, modules, files}   dev mode: re-run changed modules

/** worker -> page */
export const STATUS = "status"; // {type, text}          boot progress for the loading state
export const READY = "ready";   // {type, ok}            the entry point has run
export const DOM = "dom";       // {type, ops}           one batch of DOM writes
export const QUERY = "query";   // {type, id, op}        a read of the live DOM
export const ERROR = "error";   // {type, text}          an app traceback to show
export const FATAL = "fatal";   // {type, text}          pyshell could not start the app
export const RELOADED = "reloaded"; // {type, ok, ms}     dev mode: a reload was applied
export const SNAPSHOT = "snapshot"; // {type, saved}      first launch: the start-up snapshot was stored
export const HANDLED = "handled";   // {type}             one EVENT's handler has finished (writes flushed)

/** host -> page over the dev WebSocket (dev mode only) */
export const DEV_CONNECTED = "connected";
export const CSS_UPDATE = "css-update";       // {paths}
export const PYTHON_UPDATE = "python-update"; // {modules, files}
export const FULL_RELOAD = "full-reload";     // {reason}
