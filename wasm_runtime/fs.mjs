// An Emscripten filesystem that puts each grant at its mount point, so the app's ordinary
// Python file code (open, pathlib, os, shutil, sqlite3) works on host folders the app was
// granted. Every operation is a synchronous request to the app server, which alone decides
// what is allowed; nothing here is trusted for security.
//
// Consistency: listings and stat() always ask the host, so changes made outside the app
// show up at once. Known names are remembered only to resolve paths (Emscripten's name
// cache); a stale one is dropped as soon as the host says it is gone.

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const O_ACCMODE = 3;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const WRITE_BUFFER = 8 << 20; // sequential writes are sent in pieces this big
const READ_AHEAD = 8 << 20;   // a read of a large read-only file fetches at least this much
const BULK = 256 * 1024; // larger requests and answers skip the shared-memory path

/** A synchronous request over XMLHttpRequest (allowed in workers, works in every engine). */
export function xhrTransport(url, token) {
  return (op, args, body) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${url}?op=${op}`, false);
    xhr.responseType = "arraybuffer";
    xhr.setRequestHeader("x-pyshell-token", token);
    xhr.setRequestHeader("x-pyshell-fs", encodeURIComponent(JSON.stringify(args)));
    xhr.send(body ?? null);
    if (xhr.status !== 200) return { error: "EIO" };
    const header = xhr.getResponseHeader("x-pyshell-fs");
    if (header === null) return JSON.parse(new TextDecoder().decode(xhr.response));
    const meta = JSON.parse(header);
    meta.data = xhr.response;
    return meta;
  };
}

/** One filesystem instance serves every grant, declared or picked in a dialog. */
/**
 * The fast path where SharedArrayBuffer exists: requests go to fs-io.mjs, which owns a
 * WebSocket, and this worker blocks in Atomics.wait for the answer. Anything that does not
 * fit the shared buffer, or any failure of the socket, falls back to `slow` (XHR).
 */
export async function sharedTransport(socketUrl, token, slow, capacity = 1 << 20) {
  const buffer = new SharedArrayBuffer(8 + capacity);
  const state = new Int32Array(buffer, 0, 2);
  const bytes = new Uint8Array(buffer, 8);
  const io = new Worker(new URL("./fs-io.mjs", import.meta.url), { type: "module" });
  const ready = await new Promise((resolve) => {
    io.onmessage = ({ data }) => resolve(data.ready);
    io.onerror = () => resolve(false);
    setTimeout(() => resolve(false), 5000);
    io.postMessage({ init: { buffer, url: socketUrl, token } });
  });
  if (!ready) {
    io.terminate();
    return null;
  }
  let broken = false;
  io.onmessage = ({ data }) => { if (data.ready === false) broken = true; };
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  return (op, args, body) => {
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
      if (Atomics.load(state, 0) === 3) broken = true;
      return slow(op, args, body); // only reads and listings are ever too big: safe to repeat
    }
    const length = Atomics.load(state, 1);
    const view = new DataView(buffer, 8);
    const metaLength = view.getUint32(0, true);
    const reply = JSON.parse(decoder.decode(bytes.slice(4, 4 + metaLength)));
    reply.data = bytes.slice(4 + metaLength, length).buffer;
    return reply;
  };
}

export function createGrantFS(pyodide, transport) {
  return new GrantFS(pyodide, transport);
}

class GrantFS {
  constructor(pyodide, transport) {
    this.FS = pyodide.FS;
    this.ERRNO = pyodide.ERRNO_CODES;
    this.transport = transport;
    this.openFlags = 0;
    this.node_ops = nodeOps(this);
    this.stream_ops = streamOps(this);
    this.watchOpens();
  }

  // FS.open hides O_TRUNC and O_EXCL from filesystems; whole-file writes need to know.
  watchOpens() {
    const FS = this.FS;
    const original = FS.open;
    const self = this;
    FS.open = function (path, flags, mode) {
      self.openFlags = typeof flags === "number" ? flags : 0;
      try {
        return original.call(this, path, flags, mode);
      } finally {
        self.openFlags = 0;
      }
    };
  }

  mountGrant(grant) {
    this.FS.mkdirTree(grant.mount);
    this.FS.mount(this, { grant }, grant.mount);
  }

  mount(mount) {
    const root = this.makeNode(null, mount.mountpoint, S_IFDIR | (mount.opts.grant.writable ? 0o777 : 0o555));
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
    if (reply.error) throw new this.FS.ErrnoError(this.ERRNO[reply.error] ?? this.ERRNO.EIO);
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

  cached(parent, name) {
    for (let n = this.FS.nameTable[this.FS.hashName(parent.id, name)]; n; n = n.name_next) {
      if (n.parent.id === parent.id && n.name === name) return n;
    }
    return null;
  }

  childFromAttrs(parent, name, attrs) {
    const kind = attrs.mode & 0o170000;
    if (kind !== S_IFDIR && kind !== S_IFREG) throw new this.FS.ErrnoError(this.ERRNO.EACCES);
    let node = this.cached(parent, name);
    if (node && (node.mode & 0o170000) !== kind) {
      this.FS.hashRemoveNode(node);
      node = null;
    }
    node ??= this.makeNode(parent, name, 0);
    node.mode = this.localMode(parent, attrs.mode);
    node.attrs = attrs;
    return node;
  }

  toStat(node, attrs) {
    return {
      dev: 1, ino: attrs.ino ?? node.id, mode: this.localMode(node, attrs.mode),
      nlink: attrs.nlink ?? 1, uid: 0, gid: 0, rdev: 0, size: attrs.size,
      atime: new Date(attrs.atime), mtime: new Date(attrs.mtime), ctime: new Date(attrs.ctime),
      blksize: 4096, blocks: Math.ceil(attrs.size / 512),
    };
  }
}

function nodeOps(gfs) {
  const FS = gfs.FS;
  return {
    getattr(node) {
      if (node.pending) return gfs.toStat(node, node.pending.attrs());
      let reply;
      try {
        reply = gfs.call("stat", gfs.target(node));
      } catch (err) {
        if (err.errno === gfs.ERRNO.ENOENT && node.parent !== node) FS.hashRemoveNode(node);
        throw err;
      }
      node.mode = gfs.localMode(node, reply.ok.mode);
      return gfs.toStat(node, reply.ok);
    },
    setattr(node, attr) {
      if (attr.size !== undefined && attr.mode === undefined && attr.atime === undefined) {
        // open(..., "w") truncates first; the atomic write that follows starts empty anyway.
        if (attr.size === 0 && gfs.openFlags & O_TRUNC) return;
        if (node.pending) return node.pending.truncate(attr.size);
      }
      if (node.pending) return;
      if (attr.mode !== undefined && node.keepHostMode) {
        node.keepHostMode = false; // the chmod Emscripten does right after creating a file
        return;
      }
      const args = gfs.target(node);
      if (attr.mode !== undefined) args.mode = attr.mode;
      if (attr.size !== undefined) args.size = attr.size;
      if (attr.atime !== undefined) args.atime = Number(attr.atime);
      if (attr.mtime !== undefined) args.mtime = Number(attr.mtime);
      if (Object.keys(args).length > 2) gfs.call("setattr", args);
    },
    lookup(parent, name) {
      const reply = gfs.call("stat", gfs.target(parent, name));
      return gfs.childFromAttrs(parent, name, reply.ok);
    },
    mknod(parent, name, mode) {
      if (FS.isDir(mode)) {
        const reply = gfs.call("mkdir", { ...gfs.target(parent, name), mode: mode & 0o777 });
        return gfs.childFromAttrs(parent, name, reply.ok);
      }
      if (!FS.isFile(mode)) throw new FS.ErrnoError(gfs.ERRNO.EPERM);
      if (!gfs.grantOf(parent).writable) throw new FS.ErrnoError(gfs.ERRNO.EACCES);
      const node = gfs.makeNode(parent, name, gfs.localMode(parent, S_IFREG | (mode & 0o777)));
      node.keepHostMode = true; // the host applied the umask, as native open() does
      // "w" and "x" on a new file: created by the atomic write at close. Otherwise
      // (append, sqlite, os.mknod) the file exists on the host at once, as in POSIX.
      node.createAtomically = (gfs.openFlags & (O_TRUNC | O_EXCL)) !== 0;
      if (!node.createAtomically) {
        const reply = gfs.call("open", { ...gfs.target(node), write: true, create: true });
        gfs.call("close", { h: reply.ok.handle });
      }
      return node;
    },
    rename(oldNode, newDir, newName) {
      const from = gfs.target(oldNode);
      const to = gfs.target(newDir, newName);
      gfs.call("rename", { ...from, g2: to.g, p2: to.p });
      const replaced = gfs.cached(newDir, newName);
      if (replaced && replaced !== oldNode) FS.hashRemoveNode(replaced);
      oldNode.name = newName;
    },
    unlink(parent, name) {
      gfs.call("unlink", gfs.target(parent, name));
    },
    rmdir(parent, name) {
      gfs.call("rmdir", gfs.target(parent, name));
    },
    readdir(node) {
      const reply = gfs.call("listdir", gfs.target(node));
      const names = [];
      for (const [name, attrs] of reply.ok) {
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

/** The state of one open file: a host handle, or the whole content of a small file. */
class OpenFile {
  constructor(gfs, reply, writable) {
    this.gfs = gfs;
    this.handle = reply.ok.handle;
    this.size = reply.ok.attrs.size;
    this.baseAttrs = reply.ok.attrs;
    this.writable = writable;
    this.content = this.handle === null ? new Uint8Array(reply.data) : null;
    this.pending = [];
    this.pendingAt = 0;
    this.pendingBytes = 0;
    this.ahead = null; // {at, bytes}: read-ahead of a read-only file
  }

  attrs() {
    return { ...this.baseAttrs, size: this.size, mtime: this.writable ? Date.now() : this.baseAttrs.mtime };
  }

  read(buffer, offset, length, position) {
    this.flush();
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
      const want = Math.max(length, READ_AHEAD);
      const reply = this.gfs.call("read", { h: this.handle, offset: position, length: want });
      this.ahead = { at: position, bytes: new Uint8Array(reply.data) };
    }
    const start = position - this.ahead.at;
    const chunk = this.ahead.bytes.subarray(start, Math.min(start + length, this.ahead.bytes.length));
    buffer.set(chunk, offset);
    return chunk.length;
  }

  write(buffer, offset, length, position) {
    if (this.pendingBytes && position !== this.pendingAt + this.pendingBytes) this.flush();
    if (!this.pendingBytes) this.pendingAt = position;
    this.pending.push(buffer.slice(offset, offset + length)); // a copy: the heap may move
    this.pendingBytes += length;
    this.size = Math.max(this.size, position + length);
    if (this.pendingBytes >= WRITE_BUFFER) this.flush();
    return length;
  }

  flush() {
    if (!this.pendingBytes) return;
    const body = new Uint8Array(this.pendingBytes);
    let at = 0;
    for (const chunk of this.pending) {
      body.set(chunk, at);
      at += chunk.length;
    }
    const offset = this.pendingAt;
    this.pending = [];
    this.pendingBytes = 0;
    this.gfs.call("write", { h: this.handle, offset }, body);
  }

  truncate(size) {
    this.flush();
    this.gfs.call("ftruncate", { h: this.handle, size });
    this.size = size;
  }

  fsync() {
    this.flush();
    this.gfs.call("fsync", { h: this.handle });
  }

  close() {
    try {
      this.flush();
    } finally {
      if (this.handle !== null) this.gfs.call("close", { h: this.handle });
    }
  }
}

function streamOps(gfs) {
  const FS = gfs.FS;
  return {
    open(stream) {
      const node = stream.node;
      if (FS.isDir(node.mode)) return;
      const writable = (stream.flags & O_ACCMODE) !== 0;
      const atomic = writable && (node.createAtomically || (gfs.openFlags & O_TRUNC) !== 0);
      const reply = gfs.call("open", { ...gfs.target(node), write: writable, atomic,
                                       create: !!node.createAtomically });
      stream.file = new OpenFile(gfs, reply, writable);
      if (atomic) node.pending = stream.file;
    },
    close(stream) {
      const file = stream.file;
      if (!file) return;
      stream.file = null;
      try {
        file.close();
      } finally {
        if (stream.node.pending === file) stream.node.pending = null;
        stream.node.createAtomically = false;
        stream.node.keepHostMode = false;
      }
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
      else if (whence === 2) position += stream.file ? stream.file.size : 0;
      if (position < 0) throw new FS.ErrnoError(gfs.ERRNO.EINVAL);
      return position;
    },
    getattr(stream) {
      // An open file answers fstat() from what its open() returned: Python's open() calls
      // fstat right away, and a second request would only repeat the first.
      if (stream.file) return gfs.toStat(stream.node, stream.file.attrs());
      return stream.node.node_ops.getattr(stream.node);
    },
    setattr(stream, attr) {
      if (stream.file?.writable && attr.size !== undefined) return stream.file.truncate(attr.size);
      return stream.node.node_ops.setattr(stream.node, attr);
    },
    fsync(stream) {
      if (stream.file?.writable) stream.file.fsync();
      return 0;
    },
  };
}
