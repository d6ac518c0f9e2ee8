// What the grant filesystem may answer without asking the host: attributes, listings and
// small read-only files of folders the host watches (shell/pyshell/changes.py). The host
// marks each answer it covers with a watch; every change it then hears of in those folders
// reaches this worker as a record in a shared buffer (written by fs-io.mjs, read here
// before every use of the cache), and the app's own changes are forgotten as they are made.
// An answer whose request overlapped a record is not kept: it may predate the change.

const LIMIT = 100_000;         // entries; past it everything is forgotten (and refilled)
const CONTENT_LIMIT = 64 << 20; // bytes of small files held

/** The reader of the change log in `notes` (layout in fs-io.mjs). */
export class ChangeLog {
  constructor(notes) {
    this.state = new Int32Array(notes, 0, 2);
    this.bytes = new Uint8Array(notes, 8);
    this.generation = Atomics.load(this.state, 0);
    this.at = Atomics.load(this.state, 1);
    this.decoder = new TextDecoder();
  }

  /** Records written since the last call, or null when the log was reset (forget all). */
  take() {
    const generation = Atomics.load(this.state, 0);
    if (generation !== this.generation) return this.restart(generation);
    const used = Atomics.load(this.state, 1);
    if (used === this.at) return [];
    const chunk = this.bytes.slice(this.at, used);
    if (Atomics.load(this.state, 0) !== generation) return this.restart(generation + 1);
    this.at = used;
    const view = new DataView(chunk.buffer);
    const records = [];
    for (let at = 0; at < chunk.length;) {
      const length = view.getUint32(at, true);
      records.push(...JSON.parse(this.decoder.decode(chunk.subarray(at + 4, at + 4 + length))));
      at += 4 + length;
    }
    return records;
  }

  restart(generation) {
    this.generation = Atomics.load(this.state, 0);
    this.at = 0; // records of the new generation are read again next time: harmless
    return null;
  }
}

class Entry {
  constructor() {
    this.attrs = undefined; // host attributes, null (no such name), or undefined (unknown)
    this.listing = undefined; // [[name, attrs]] of a folder
    this.content = undefined; // Uint8Array of a small file
    this.kids = null; // Map name -> Entry
  }

  kid(name, make) {
    let kid = this.kids?.get(name);
    if (!kid && make) {
      this.kids ??= new Map();
      kid = new Entry();
      this.kids.set(name, kid);
    }
    return kid;
  }
}

export class FileCache {
  /**
   * ``log``: the ChangeLog, or null where the host pushes no changes (nothing is cached).
   * ``live()``: false once the socket that carries the records broke (nothing is cached).
   * ``renamed(grant, path)``: a name came, went or moved on the host.
   * ``settle()``: asks the host to send every change it has heard of (a request).
   */
  constructor(log, live, renamed, settle) {
    this.log = log;
    this.live = live;
    this.renamed = renamed;
    this.settle = settle;
    this.due = false; // settle() before the next use of the cache
    this.roots = new Map(); // grant id -> Entry
    this.size = 0;
    this.bytes = 0;
  }

  get enabled() {
    return this.log !== null && this.live();
  }

  /**
   * Before Python acts on something the user did: every change the host made before it
   * must be in the cache's view when the cache is next used. The request is made then,
   * not now, so a handler that updates the page before it touches a file is not held up.
   */
  settleBeforeNextUse() {
    if (this.enabled && this.roots.size) this.due = true;
  }

  /** Apply the records heard so far; true if there were any (a request in flight then
   * overlapped a change, and its answer is not kept). */
  update() {
    if (!this.log) return false;
    if (this.due) {
      this.due = false;
      this.settle();
    }
    const records = this.enabled ? this.log.take() : null;
    if (records === null) {
      this.clear();
      return true;
    }
    for (const [kind, grant, path] of records) {
      if (kind === "*") this.roots.delete(grant);
      else if (kind === "n") this.forgetName(grant, path, true);
      else this.forget(grant, path);
    }
    return records.length > 0;
  }

  clear() {
    this.roots.clear();
    this.size = this.bytes = 0;
  }

  find(grant, path, make = false) {
    let entry = this.roots.get(grant);
    if (!entry) {
      if (!make) return undefined;
      entry = new Entry();
      this.roots.set(grant, entry);
    }
    if (path === "") return entry;
    for (const name of path.split("/")) {
      entry = entry.kid(name, make);
      if (!entry) return undefined;
    }
    return entry;
  }

  room(bytes = 0) {
    if (++this.size > LIMIT || (this.bytes += bytes) > CONTENT_LIMIT) this.clear();
  }

  // ---- reading ---------------------------------------------------------------------------
  attrs(grant, path) {
    this.update();
    return this.find(grant, path)?.attrs;
  }

  listing(grant, path) {
    this.update();
    return this.find(grant, path)?.listing;
  }

  content(grant, path) {
    this.update();
    const entry = this.find(grant, path);
    return entry?.content && entry.attrs ? { attrs: entry.attrs, data: entry.content } : undefined;
  }

  // ---- keeping answers -------------------------------------------------------------------
  // Each takes `overlapped`: the result of update() right after the request returned.
  keepAttrs(grant, path, attrs, overlapped) {
    if (overlapped || !this.enabled || !cacheable(attrs)) return;
    this.room();
    this.find(grant, path, true).attrs = attrs;
  }

  keepListing(grant, path, entries, overlapped) {
    if (overlapped || !this.enabled) return;
    this.room(0);
    const folder = this.find(grant, path, true);
    folder.listing = entries;
    for (const [name, attrs] of entries) {
      if (!attrs.w || !cacheable(attrs)) continue;
      this.room();
      folder.kid(name, true).attrs = attrs;
    }
  }

  keepContent(grant, path, attrs, data, overlapped) {
    if (overlapped || !this.enabled || !cacheable(attrs)) return;
    this.room(data.byteLength);
    const entry = this.find(grant, path, true);
    entry.attrs = attrs;
    entry.content = new Uint8Array(data);
  }

  // ---- forgetting ------------------------------------------------------------------------
  /** The content or attributes of ``path`` changed. */
  forget(grant, path) {
    const entry = this.find(grant, path);
    if (entry) entry.attrs = entry.content = undefined;
  }

  /** ``path`` was created, removed or renamed: it, all under it, and its folder's listing. */
  forgetName(grant, path, fromHost = false) {
    const cut = path.lastIndexOf("/");
    const folder = this.find(grant, cut < 0 ? "" : path.slice(0, cut));
    if (folder) {
      folder.attrs = folder.listing = undefined;
      folder.kids?.delete(path.slice(cut + 1));
    }
    if (path === "") this.roots.delete(grant);
    if (fromHost) this.renamed(grant, path);
  }
}

/** A hard-linked file changes under other names too, which no watch of this folder sees. */
function cacheable(attrs) {
  return attrs === null || (attrs.nlink ?? 1) <= 1 || (attrs.mode & 0o170000) === 0o040000;
}
