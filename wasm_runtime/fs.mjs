// An Emscripten filesystem that puts each grant at its mount point, so the app's ordinary
// Python file code (open, pathlib, os, shutil, sqlite3) works on host folders the app was
// granted. Every operation is a synchronous request to the app server, which alone decides
// what is allowed; nothing here is trusted for security.
//
// The contract is the local disk's (docs/guides/security.md, "Files behave as on a local disk"): a file exists once open()
// created it; every write reaches the host file before it returns, so nothing is lost when
// the window closes; fsync/fdatasync call the host's; every descriptor of the app sees
// the others' writes at once; unlinked or renamed files stay usable through open
// descriptors; times keep their microseconds; st_ino is the same number everywhere.
// Attributes, listings and small read-only files of folders the host watches are kept
// in memory (fs-cache.mjs) and forgotten when the host reports a change there, or when
// the app makes one; elsewhere every stat, listing and open asks the host. Known names
// resolve paths (Emscripten's name cache); one the host reports as changed is checked
// again at its next use, and a stale one is dropped as soon as the host says it is gone.

import { FileCache } from "./fs-cache.mjs";

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const O_ACCMODE = 3;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const WRITE_PIECE = 8 << 20; // one request carries at most this much of a write
const READ_AHEAD = 8 << 20;  // a read of a large read-only file fetches at least this much
const MAX_IDS = 250_000; // host files whose inode numbers are remembered
const UTIME_NOW = 0x3fffffff;
const UTIME_OMIT = 0x3ffffffe;

// ---- system calls Pyodide's JS layer gets wrong for a host filesystem ----------------------
// Shared by the patched imports and the grant filesystem (one Pyodide per worker).
const sys = { module: null, gfs: null, exact: null, times: null, dataOnly: false };
const F_GETLK = 12, F_SETLK = 13, F_SETLKW = 14; // wasm32 musl (64-bit offsets)
const LOCK_COMMANDS = { [F_GETLK]: "get", [F_SETLK]: "set", [F_SETLKW]: "wait" };

/**
 * Patch the wasm imports before instantiation: fdatasync (a no-op in Pyodide, and the call
 * SQLite commits with) becomes fsync's path with a data-only flag; stat keeps the host's
 * microseconds (Emscripten rounds every time to milliseconds through a JS Date);
 * utimensat passes its exact times, UTIME_NOW and UTIME_OMIT through; fcntl's record
 * locks (what SQLite guards its files with, a no-op in Pyodide) on a grant's file become
 * the host's, so another program using the same database waits for the app's transaction.
 */
export function patchSyscalls(env) {
  const replace = (name, make) => {
    const original = env[name];
    if (typeof original !== "function") return;
    env[name] = Object.assign(make(original), { sig: original.sig });
  };
  const fdSync = env.fd_sync;
  replace("__syscall_fdatasync", () => (fd) => {
    sys.dataOnly = true;
    try {
      const errno = fdSync(fd);
      return errno ? -errno : 0;
    } finally {
      sys.dataOnly = false;
    }
  });
  for (const [name, bufArg] of [["__syscall_stat64", 1], ["__syscall_lstat64", 1],
                                ["__syscall_fstat64", 1], ["__syscall_newfstatat", 2]]) {
    replace(name, (original) => (...args) => {
      sys.exact = null;
      const rc = original(...args);
      if (rc === 0 && sys.exact) writeExactTimes(args[bufArg] >>> 0, sys.exact);
      sys.exact = null;
      return rc;
    });
  }
  replace("__syscall_fcntl64", (original) => (fd, cmd, varargs) => {
    const file = LOCK_COMMANDS[cmd] && sys.gfs?.fileOf(fd);
    return file ? lockOn(file, fd, cmd, varargs >>> 0) : original(fd, cmd, varargs);
  });
  replace("__syscall_utimensat", (original) => (dirfd, path, times, flags) => {
    sys.times = sys.module ? readTimes(times >>> 0) : null;
    try {
      return original(dirfd, path, times, flags);
    } finally {
      sys.times = null;
    }
  });
}

const heap = () => new DataView(sys.module.HEAP8.buffer);

/** struct flock (wasm32): i16 type, i16 whence, i64 start at 8, i64 len at 16, i32 pid at 24. */
function lockOn(file, fd, cmd, varargs) {
  const view = heap();
  const at = view.getUint32(varargs, true);
  const whence = view.getInt16(at + 2, true);
  let start = Number(view.getBigInt64(at + 8, true));
  if (whence === 1) start += sys.gfs.FS.getStream(fd).position;
  else if (whence === 2) start += file.current().size;
  const length = Number(view.getBigInt64(at + 16, true));
  try {
    const held = file.lock(LOCK_COMMANDS[cmd], view.getInt16(at, true), start, length);
    if (cmd === F_GETLK) {
      view.setInt16(at, held.type, true);
      view.setInt16(at + 2, 0, true);
      view.setBigInt64(at + 8, BigInt(held.start), true);
      view.setBigInt64(at + 16, BigInt(held.length), true);
      view.setInt32(at + 24, held.type === 2 ? 0 : -1, true); // another process: no pid of ours
    }
    return 0;
  } catch (err) {
    if (err?.name !== "ErrnoError") throw err;
    return -err.errno;
  }
}

/** struct stat (wasm32): atime, mtime, ctime as {i64 sec, u32 nsec} at 40, 56, 72. */
function writeExactTimes(buf, times) {
  const view = heap();
  times.forEach(([seconds, nanos], i) => {
    view.setBigInt64(buf + 40 + 16 * i, BigInt(seconds), true);
    view.setUint32(buf + 48 + 16 * i, nanos, true);
  });
}

/** Two struct timespec {i64 sec, i32 nsec, pad}: [sec, nsec] (UTIME_NOW: the app's clock) or
 * null (omit). */
function readTimes(times) {
  // "Now" is the app's clock at the call, as Python's time.time() reads it: the host's
  // clock when the request arrives would be later by the trip (80 ms seen under load).
  const now = pairOf(Date.now());
  if (!times) return { atime: now, mtime: now };
  const view = heap();
  const one = (at) => {
    const nanos = view.getInt32(at + 8, true);
    if (nanos === UTIME_NOW) return now;
    if (nanos === UTIME_OMIT) return null;
    return [Number(view.getBigInt64(at, true)), nanos];
  };
  return { atime: one(times), mtime: one(times + 16) };
}

const toMicros = ([seconds, nanos]) => [seconds, nanos - (nanos % 1000)];
const msOf = ([seconds, nanos]) => seconds * 1000 + Math.floor(nanos / 1e6);
const pairOf = (ms) => {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
};

// ---- the filesystem -----------------------------------------------------------------------
export function createGrantFS(pyodide, transport) {
  return new GrantFS(pyodide, transport);
}

/** One filesystem instance serves every grant, declared or picked in a dialog. */
class GrantFS {
  constructor(pyodide, transport) {
    this.FS = pyodide.FS;
    this.ERRNO = pyodide.ERRNO_CODES;
    this.transport = transport;
    sys.module = pyodide._module;
    sys.gfs = this;
    this.opening = null; // {flags, mode} while FS.open runs: it hides both from filesystems
    this.created = null; // the node a running FS.open created
    this.ids = new Map(); // "grant:dev:ino" -> the inode number the app sees
    this.versions = new Map(); // inode number -> count of changes made through the app
    this.files = new Map(); // inode number -> Set of OpenFile
    this.devices = new Map(); // grant id -> st_dev the app sees (one per grant, as mounts)
    this.roots = new Map(); // grant id -> its root node
    const changes = transport.changes;
    this.cache = new FileCache(changes ? changes.log : null,
                               changes ? changes.live : () => false,
                               (grant, path) => this.suspect(grant, path),
                               () => this.askForChanges());
    this.node_ops = nodeOps(this);
    this.stream_ops = streamOps(this);
    this.watchOpens();
    this.watchLookups();
  }

  /**
   * A name the host reports as created, removed or moved is checked at its next use; with
   * no reports (no watcher, or the XHR transport) every known name is checked before the
   * app creates one, so a file deleted on the host can be made again with O_EXCL.
   */
  watchLookups() {
    const FS = this.FS;
    const original = FS.lookupNode;
    const self = this;
    const mkdir = FS.mkdir;
    FS.mkdir = function (path, ...rest) {
      self.checkBeforeCreating(path);
      return mkdir.call(this, path, ...rest);
    };
    FS.lookupNode = function (parent, name) {
      if (self.cache.due) self.cache.update(); // names the host changed are marked first
      const node = original.call(this, parent, name);
      if (!node.suspect) return node;
      node.suspect = false;
      let attrs;
      try {
        attrs = self.hostAttrs(parent, name);
      } catch (err) {
        FS.hashRemoveNode(node);
        throw err;
      }
      return self.childFromAttrs(parent, name, attrs);
    };
  }

  /** The open grant file behind descriptor ``fd``, if it is one. */
  fileOf(fd) {
    const stream = this.FS.streams[fd];
    return stream?.node?.node_ops === this.node_ops ? stream.file ?? null : null;
  }

  /**
   * Before creating ``path`` with no change reports to rely on: if its name is known, it
   * is checked against the host at its lookup (one request, only for a known name).
   */
  checkBeforeCreating(path) {
    if (this.cache.enabled || typeof path !== "string") return;
    const name = path.split("/").filter(Boolean).pop();
    let parent;
    try {
      parent = this.FS.lookupPath(path, { parent: true }).node;
    } catch {
      return; // the create itself reports what is wrong with the path
    }
    const node = name && this.cached(parent, name);
    if (node && node.node_ops === this.node_ops) node.suspect = true;
  }

  suspect(grant, path) {
    let node = this.roots.get(grant);
    for (const name of path ? path.split("/") : []) {
      node = node && this.cached(node, name);
    }
    if (node && node.parent !== node) node.suspect = true;
  }

  /** The host's attributes of ``name`` in ``node`` (or of ``node``), from the cache when
   * the host watches its folder. */
  hostAttrs(node, name) {
    const { g, p } = this.target(node, name);
    const known = this.cache.attrs(g, p);
    if (known === null) throw new this.FS.ErrnoError(this.ERRNO.ENOENT);
    if (known) return known;
    let attrs;
    try {
      attrs = this.call("stat", { g, p }).ok;
    } catch (err) {
      // A missing name in a watched folder: kept as missing until the host reports it.
      if (err.watched) this.cache.keepAttrs(g, p, null, this.cache.update());
      throw err;
    }
    this.cache.keepAttrs(g, p, attrs, !attrs.w || this.cache.update());
    return attrs;
  }

  hostListing(node) {
    const { g, p } = this.target(node);
    const known = this.cache.listing(g, p);
    if (known) return known;
    const reply = this.call("listdir", { g, p }).ok;
    this.cache.keepListing(g, p, reply.entries, !reply.w || this.cache.update());
    return reply.entries;
  }

  /** Open a small read-only file from the cache, or from the host (keeping it). */
  openInline(node, args) {
    const known = this.cache.content(args.g, args.p);
    if (known) return { ok: { handle: null, attrs: known.attrs }, data: known.data.buffer };
    const reply = this.call("open", args);
    if (reply.ok.handle === null) {
      this.cache.keepContent(args.g, args.p, reply.ok.attrs, reply.data,
                             !reply.ok.w || this.cache.update());
    }
    return reply;
  }

  /** The app changed the content or attributes of ``node``. */
  touched(node) {
    const { g, p } = this.target(node);
    this.cache.forget(g, p);
  }

  /** The app created, removed or renamed ``name`` in ``parent``. */
  renamed(parent, name) {
    const { g, p } = this.target(parent, name);
    this.cache.forgetName(g, p);
  }

  /** Before Python acts on something the user did: every change the host made before it
   * is in the cache's view at its next use (one request then, only while anything is
   * cached). */
  settle() {
    this.cache.settleBeforeNextUse();
  }

  askForChanges() {
    try {
      this.call("settle", {});
    } catch {
      this.cache.clear();
    }
  }

  watchOpens() {
    const FS = this.FS;
    const original = FS.open;
    const self = this;
    FS.open = function (path, flags, mode) {
      self.opening = { flags: typeof flags === "number" ? flags : 0, mode: mode ?? 0o666 };
      if (self.opening.flags & O_CREAT) self.checkBeforeCreating(path);
      try {
        return original.call(this, path, flags, mode);
      } finally {
        self.opening = null;
        self.forgetCreated();
      }
    };
  }

  forgetCreated() {
    const node = this.created;
    this.created = null;
    if (!node) return;
    node.keepMode = false;
    const unused = node.justOpened;
    node.justOpened = null;
    if (unused?.ok.handle != null) this.call("close", { h: unused.ok.handle });
  }

  mountGrant(grant) {
    this.FS.mkdirTree(grant.mount);
    this.FS.mount(this, { grant }, grant.mount);
  }

  mount(mount) {
    const writable = mount.opts.grant.writable;
    const root = this.makeNode(null, mount.mountpoint, S_IFDIR | (writable ? 0o777 : 0o555));
    this.roots.set(mount.opts.grant.id, root);
    return root;
  }

  call(op, args, body) {
    let reply;
    try {
      reply = this.transport(op, args, body);
    } catch (err) {
      // A broken connection must reach Python as OSError(EIO), never as a fatal JS error.
      console.error(`pyshell: file request ${op} failed`, err);
      throw new this.FS.ErrnoError(this.ERRNO.EIO);
    }
    if (reply.error) {
      const err = new this.FS.ErrnoError(this.ERRNO[reply.error] ?? this.ERRNO.EIO);
      err.watched = reply.w === true; // the host watches the folder of what it reported
      throw err;
    }
    return reply;
  }

  makeNode(parent, name, mode) {
    const node = this.FS.createNode(parent, name, mode, 0);
    node.node_ops = this.node_ops;
    node.stream_ops = this.stream_ops;
    return node;
  }

  grantOf(node) {
    return node.mount.opts.grant;
  }

  relPath(node, name) {
    const parts = name === undefined ? [] : [name];
    for (let n = node; n.parent !== n; n = n.parent) parts.push(n.name);
    return parts.reverse().join("/");
  }

  target(node, name) {
    return { g: this.grantOf(node).id, p: this.relPath(node, name) };
  }

  // The host mode, with write bits cleared in read-only grants so Emscripten refuses early.
  localMode(node, mode) {
    return this.grantOf(node).writable ? mode : mode & ~0o222;
  }

  hostKey(node, attrs) {
    return `${this.grantOf(node).id}:${attrs.dev}:${attrs.ino}`;
  }

  /**
   * The app's inode number for a host file: stable, and the same in stat, fstat and
   * listings (hard links share it). A folder keeps its node's own number: Emscripten finds
   * children by their parent's number, so two nodes may never share one (a folder renamed
   * on the host and one made under the old name would mix their children).
   */
  idOf(node, attrs) {
    if (!attrs.ino || (attrs.mode & S_IFMT) === S_IFDIR) return node.id;
    const key = this.hostKey(node, attrs);
    let id = this.ids.get(key);
    if (id === undefined) {
      // Bounded: past the limit the numbers of files seen long ago (and not open: an
      // open file keeps its own) are forgotten, and they get new ones if seen again.
      if (this.ids.size >= MAX_IDS) this.forgetIds();
      id = this.FS.nextInode++;
      this.ids.set(key, id);
    }
    return id;
  }

  forgetIds() {
    this.ids.clear();
    for (const [id, files] of this.files) {
      const file = files.values().next().value;
      this.ids.set(this.hostKey(file.node, file.attrs), id);
    }
  }

  cached(parent, name) {
    for (let n = this.FS.nameTable[this.FS.hashName(parent.id, name)]; n; n = n.name_next) {
      if (n.parent.id === parent.id && n.name === name) return n;
    }
    return null;
  }

  /** The node of ``name`` in ``parent`` for these host attributes (a new one if replaced). */
  childFromAttrs(parent, name, attrs) {
    const kind = attrs.mode & S_IFMT;
    if (kind !== S_IFDIR && kind !== S_IFREG) throw new this.FS.ErrnoError(this.ERRNO.EACCES);
    const key = this.hostKey(parent, attrs);
    let node = this.cached(parent, name);
    if (node && node.hostKey !== key) { // replaced on the host since it was seen
      this.FS.hashRemoveNode(node);
      node = null;
    }
    if (!node) {
      node = this.makeNode(parent, name, kind);
      node.hostKey = key;
      if (kind === S_IFREG) node.id = this.idOf(parent, attrs);
    }
    node.mode = this.localMode(parent, attrs.mode);
    return node;
  }

  toStat(node, attrs) {
    const grant = this.grantOf(node);
    if (!this.devices.has(grant.id)) this.devices.set(grant.id, 0x70 + this.devices.size);
    const own = node.parent === node || (attrs.mode & S_IFMT) === S_IFDIR;
    // Microseconds: the precision this Python sets times with (it has no utimensat), so
    // stat -> utime -> stat round-trips and a copy's times never come out earlier.
    sys.exact = attrs.ino ? [attrs.atime, attrs.mtime, attrs.ctime].map(toMicros) : null;
    return {
      dev: this.devices.get(grant.id), ino: own ? node.id : this.idOf(node, attrs),
      mode: this.localMode(node, attrs.mode), nlink: attrs.nlink ?? 1, uid: 0, gid: 0,
      rdev: 0, size: attrs.size, atime: new Date(msOf(attrs.atime)),
      mtime: new Date(msOf(attrs.mtime)), ctime: new Date(msOf(attrs.ctime)),
      blksize: 4096, blocks: Math.ceil(attrs.size / 512),
    };
  }

  /** Times for setattr: exact from utimensat when it is the caller, else from JS numbers. */
  timesOf(attr) {
    if (sys.times) return sys.times;
    const one = (ms) => (ms === undefined || ms === null ? null : pairOf(Number(ms)));
    return { atime: one(attr.atime), mtime: one(attr.mtime) };
  }

  // ---- coherence between the app's own descriptors -------------------------------------
  version(id) {
    return this.versions.get(id) ?? 0;
  }

  track(file) {
    if (!this.files.has(file.id)) this.files.set(file.id, new Set());
    this.files.get(file.id).add(file);
  }

  untrack(file) {
    const set = this.files.get(file.id);
    set?.delete(file);
    if (set && !set.size) {
      this.files.delete(file.id);
      this.versions.delete(file.id); // only open descriptors compare versions
    }
  }

  hasWriter(id) {
    for (const file of this.files.get(id) ?? []) if (file.writable) return true;
    return false;
  }

  /**
   * The content of ``id`` is about to change through the app: other descriptors drop what
   * they read ahead, and those that hold a small file's bytes get a host handle instead.
   */
  changed(id, by) {
    this.versions.set(id, this.version(id) + 1);
    for (const file of this.files.get(id) ?? []) if (file !== by) file.invalidate();
  }

  openArgs(node, flags, extra = {}) {
    const access = flags & O_ACCMODE;
    return {
      ...this.target(node), read: access !== O_WRONLY, write: access !== 0,
      append: !!(flags & O_APPEND),
      inline: access === 0 && !this.hasWriter(node.id), ...extra,
    };
  }
}

function nodeOps(gfs) {
  const FS = gfs.FS;
  return {
    getattr(node) {
      let attrs;
      try {
        attrs = gfs.hostAttrs(node);
      } catch (err) {
        if (err.errno === gfs.ERRNO.ENOENT && node.parent !== node) FS.hashRemoveNode(node);
        throw err;
      }
      node.mode = gfs.localMode(node, attrs.mode);
      return gfs.toStat(node, attrs);
    },
    setattr(node, attr) {
      if (attr.size === 0 && attr.mode === undefined && gfs.opening?.flags & O_TRUNC) {
        return; // open(..., O_TRUNC): the host open truncates, in the same request
      }
      if (attr.mode !== undefined && node.keepMode) {
        node.keepMode = false; // FS.open's chmod of a file it created: the host applied
        return;                // the creation mode under its umask, as native open() does
      }
      const args = gfs.target(node);
      if (attr.mode !== undefined) args.mode = attr.mode & 0o7777;
      if (attr.size !== undefined) args.size = attr.size;
      if (attr.atime !== undefined || attr.mtime !== undefined) Object.assign(args, gfs.timesOf(attr));
      if (Object.keys(args).length === 2) return;
      gfs.changed(node.id);
      const reply = gfs.call("setattr", args);
      gfs.touched(node);
      node.mode = gfs.localMode(node, reply.ok.mode);
    },
    lookup(parent, name) {
      return gfs.childFromAttrs(parent, name, gfs.hostAttrs(parent, name));
    },
    mknod(parent, name, mode) {
      if (FS.isDir(mode)) {
        const reply = gfs.call("mkdir", { ...gfs.target(parent, name), mode: mode & 0o777 });
        gfs.renamed(parent, name);
        return gfs.childFromAttrs(parent, name, reply.ok);
      }
      if (!FS.isFile(mode)) throw new FS.ErrnoError(gfs.ERRNO.EPERM);
      // Created on the host now, with the mode open() was given (FS.open passes 0o777 here
      // and chmods afterwards); inside FS.open the handle is kept for its stream.
      const opening = gfs.opening;
      const flags = opening ? opening.flags : O_WRONLY;
      const reply = gfs.call("open", {
        ...gfs.target(parent, name), ...gfs.openArgs(parent, flags, { inline: false }),
        p: gfs.relPath(parent, name), create: true, excl: !!(flags & O_EXCL),
        trunc: !!(flags & O_TRUNC), // another process may have made it meanwhile
        mode: (opening ? opening.mode : mode) & 0o777,
      });
      gfs.renamed(parent, name);
      const node = gfs.childFromAttrs(parent, name, reply.ok.attrs);
      if (opening) {
        node.justOpened = reply;
        node.keepMode = true;
        gfs.created = node;
      } else {
        gfs.call("close", { h: reply.ok.handle });
      }
      return node;
    },
    rename(oldNode, newDir, newName) {
      const from = gfs.target(oldNode);
      const to = gfs.target(newDir, newName);
      gfs.call("rename", { ...from, g2: to.g, p2: to.p });
      gfs.renamed(oldNode.parent, oldNode.name);
      gfs.renamed(newDir, newName);
      const replaced = gfs.cached(newDir, newName);
      if (replaced && replaced !== oldNode) FS.hashRemoveNode(replaced);
      oldNode.name = newName;
    },
    unlink(parent, name) {
      gfs.call("unlink", gfs.target(parent, name));
      gfs.renamed(parent, name);
    },
    rmdir(parent, name) {
      gfs.call("rmdir", gfs.target(parent, name));
      gfs.renamed(parent, name);
    },
    readdir(node) {
      const names = [];
      for (const [name, attrs] of gfs.hostListing(node)) {
        gfs.childFromAttrs(node, name, attrs); // scandir's is_dir() needs no further request
        names.push(name);
      }
      return [".", "..", ...names];
    },
    symlink() {
      throw new FS.ErrnoError(gfs.ERRNO.EPERM);
    },
    readlink() {
      throw new FS.ErrnoError(gfs.ERRNO.EINVAL);
    },
  };
}

/**
 * One open file description: a host handle (or the whole content of a small read-only
 * file), shared by dup()ed descriptors and closed on the host when the last one closes.
 */
class OpenFile {
  constructor(gfs, node, reply, flags) {
    this.gfs = gfs;
    this.node = node;
    this.id = gfs.idOf(node, reply.ok.attrs);
    this.handle = reply.ok.handle;
    this.content = this.handle === null ? new Uint8Array(reply.data) : null;
    this.writable = (flags & O_ACCMODE) !== 0;
    this.refs = 1;
    this.ahead = null; // {at, bytes}: read-ahead of a read-only file
    gfs.track(this);
    // Other descriptors of the file look again (this opening may have truncated it); this
    // one has the host's attributes of the moment, so Python's fstat right after open()
    // costs no request.
    if (this.writable) gfs.changed(this.id, this);
    this.remember(reply.ok.attrs);
  }

  remember(attrs) {
    this.attrs = attrs;
    this.seen = this.gfs.version(this.id);
  }

  /** Attributes as the host has them now, if the app changed the file since they came. */
  current() {
    if (this.seen !== this.gfs.version(this.id) && this.handle !== null) {
      this.remember(this.gfs.call("fstat", { h: this.handle }).ok);
    }
    return this.attrs;
  }

  invalidate() {
    this.ahead = null;
    if (this.content !== null) this.reopen();
  }

  /** A small file's reader gets a host handle (to see writes, or to lock). */
  reopen() {
    try {
      const reply = this.gfs.call("open", { ...this.gfs.target(this.node), read: true });
      if (reply.ok.attrs.ino === this.attrs.ino && reply.ok.attrs.dev === this.attrs.dev) {
        this.handle = reply.ok.handle;
        this.content = null;
      } else {
        this.gfs.call("close", { h: reply.ok.handle }); // another file has its name now
      }
    } catch {
      // gone from its path: nothing in the app can change it any more
    }
  }

  read(buffer, offset, length, position) {
    if (this.content) {
      const chunk = this.content.subarray(position, Math.min(position + length, this.content.length));
      buffer.set(chunk, offset);
      return chunk.length;
    }
    if (!this.writable) return this.readAhead(buffer, offset, length, position);
    const reply = this.gfs.call("read", { h: this.handle, offset: position, length });
    const data = new Uint8Array(reply.data);
    buffer.set(data, offset);
    return data.length;
  }

  // Sequential reads of a big file cost one request per READ_AHEAD bytes, not per read().
  readAhead(buffer, offset, length, position) {
    const a = this.ahead;
    if (!a || position < a.at || position + Math.min(length, 1) > a.at + a.bytes.length) {
      // No further than the file's end: a small file's read then fits the fast path.
      const rest = Math.max(0, this.attrs.size - position);
      const want = Math.max(length, Math.min(READ_AHEAD, rest));
      const reply = this.gfs.call("read", { h: this.handle, offset: position, length: want });
      this.ahead = { at: position, bytes: new Uint8Array(reply.data) };
    }
    const start = position - this.ahead.at;
    const chunk = this.ahead.bytes.subarray(start, Math.min(start + length, this.ahead.bytes.length));
    buffer.set(chunk, offset);
    return chunk.length;
  }

  /** Straight to the host: when write() returns, the bytes are in the host file. */
  write(buffer, offset, length, position) {
    this.gfs.changed(this.id, this);
    for (let done = 0; done < length;) {
      const size = Math.min(length - done, WRITE_PIECE);
      const body = buffer.subarray(offset + done, offset + done + size);
      this.remember(this.gfs.call("write", { h: this.handle, offset: position + done }, body).ok);
      done += size;
    }
    this.gfs.touched(this.node);
    return length;
  }

  truncate(size) {
    this.gfs.changed(this.id, this);
    this.remember(this.gfs.call("ftruncate", { h: this.handle, size }).ok);
    this.gfs.touched(this.node);
  }

  setattr(args) {
    this.gfs.changed(this.id, this);
    this.remember(this.gfs.call("fsetattr", { h: this.handle, ...args }).ok);
    this.gfs.touched(this.node);
    return this.attrs;
  }

  /** fcntl record lock: ``how`` get/set/wait, ``type`` 0 read, 1 write, 2 unlock. */
  lock(how, type, start, length) {
    if (this.handle === null) this.reopen();
    if (this.handle === null) throw new this.gfs.FS.ErrnoError(this.gfs.ERRNO.ENOLCK);
    return this.gfs.call("lock", { h: this.handle, how, type, start, length }).ok;
  }

  fsync() {
    if (this.handle !== null) this.gfs.call("fsync", { h: this.handle, data: sys.dataOnly });
  }

  close() {
    if (--this.refs > 0) return;
    this.gfs.untrack(this);
    if (this.handle !== null) this.gfs.call("close", { h: this.handle });
  }
}

function streamOps(gfs) {
  const FS = gfs.FS;
  const opened = (stream) => {
    const node = stream.node;
    if (FS.isDir(node.mode)) return;
    const flags = gfs.opening?.flags ?? stream.flags;
    let reply = node.justOpened;
    node.justOpened = null;
    if (!reply) {
      const trunc = !!(flags & O_TRUNC);
      if (trunc) gfs.changed(node.id);
      const create = !!(flags & O_CREAT); // the host file may be gone since it was seen
      const args = gfs.openArgs(node, flags, { trunc, create, mode: gfs.opening?.mode ?? 0o666 });
      if (trunc || create) {
        reply = gfs.call("open", args);
        gfs.renamed(node.parent, node.name);
      } else {
        reply = args.inline ? gfs.openInline(node, args) : gfs.call("open", args);
      }
    }
    stream.file = new OpenFile(gfs, node, reply, flags);
  };
  return {
    open(stream) {
      try {
        opened(stream);
      } catch (err) {
        FS.closeStream(stream.fd); // FS.open made the descriptor before asking: do not leak it
        throw err;
      }
    },
    dup(stream) {
      if (stream.file) stream.file.refs++;
    },
    close(stream) {
      const file = stream.file;
      stream.file = null;
      file?.close();
    },
    read(stream, buffer, offset, length, position) {
      if (!stream.file) throw new FS.ErrnoError(gfs.ERRNO.EISDIR);
      return stream.file.read(buffer, offset, length, position);
    },
    write(stream, buffer, offset, length, position) {
      if (!stream.file?.writable) throw new FS.ErrnoError(gfs.ERRNO.EBADF);
      return stream.file.write(buffer, offset, length, position);
    },
    llseek(stream, offset, whence) {
      let position = offset;
      if (whence === 1) position += stream.position;
      else if (whence === 2) position += stream.file ? stream.file.current().size : 0;
      if (position < 0) throw new FS.ErrnoError(gfs.ERRNO.EINVAL);
      return position;
    },
    getattr(stream) {
      if (!stream.file) return stream.node.node_ops.getattr(stream.node);
      return gfs.toStat(stream.node, stream.file.current());
    },
    setattr(stream, attr) {
      const file = stream.file;
      if (!file || file.handle === null) return stream.node.node_ops.setattr(stream.node, attr);
      if (attr.size !== undefined) {
        if (!file.writable) throw new FS.ErrnoError(gfs.ERRNO.EINVAL);
        file.truncate(attr.size);
      }
      const args = {};
      if (attr.mode !== undefined) args.mode = attr.mode & 0o7777;
      if (attr.atime !== undefined || attr.mtime !== undefined) Object.assign(args, gfs.timesOf(attr));
      if (Object.keys(args).length) {
        stream.node.mode = gfs.localMode(stream.node, file.setattr(args).mode);
      }
    },
    fsync(stream) {
      if (stream.file) stream.file.fsync();
      else if (FS.isDir(stream.node.mode)) gfs.call("fsyncdir", gfs.target(stream.node));
      return 0;
    },
  };
}
