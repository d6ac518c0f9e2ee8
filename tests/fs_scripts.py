"""File-operation scripts run twice by the differential test: natively and in Pyodide.

Each script gets ``base`` (an empty folder: a temp folder natively, a granted folder in
Pyodide) and ``rec`` (records one comparable result). Results must not depend on where
``base`` is: paths are recorded relative to it, errors as (type, errno name).
"""

PRELUDE = r'''
import errno, hashlib, os, pathlib, shutil, sqlite3, stat

def attempt(fn, *args, **kwargs):
    try:
        return ["ok", fn(*args, **kwargs)]
    except OSError as exc:
        return ["err", type(exc).__name__, errno.errorcode.get(exc.errno, str(exc.errno))]

def rel(paths):
    return sorted(str(pathlib.Path(p).relative_to(base)) for p in paths)

def kind(path):
    st = os.stat(path)
    return "dir" if stat.S_ISDIR(st.st_mode) else "file" if stat.S_ISREG(st.st_mode) else "?"
'''

SCRIPTS = {
    "text_and_bytes": r'''
p = pathlib.Path(base, "notes.txt")
rec(p.write_text("héllo\nwörld\n", encoding="utf-8"))
rec(p.read_text(encoding="utf-8").splitlines())
rec(pathlib.Path(base, "blob.bin").write_bytes(bytes(range(256)) * 10))
rec(len(pathlib.Path(base, "blob.bin").read_bytes()), os.path.getsize(os.path.join(base, "blob.bin")))
with open(os.path.join(base, "notes.txt"), encoding="utf-8") as f:
    rec(f.readline(), f.read())
rec(p.exists(), p.is_file(), p.is_dir(), pathlib.Path(base, "nope").exists())
''',
    "listing": r'''
for name in ("b.txt", "a.txt", "ünï.txt", "sp ace.txt"):
    pathlib.Path(base, name).write_text(name)
os.mkdir(os.path.join(base, "sub"))
rec(sorted(os.listdir(base)))
rec(sorted((e.name, e.is_dir(), e.is_file()) for e in os.scandir(base)))
rec(rel(pathlib.Path(base).iterdir()))
rec(rel(pathlib.Path(base).glob("*.txt")))
''',
    "dirs_and_errors": r'''
rec(attempt(os.mkdir, os.path.join(base, "d")))
rec(attempt(os.mkdir, os.path.join(base, "d")))
rec(attempt(os.makedirs, os.path.join(base, "d", "e", "f")))
rec(attempt(os.makedirs, os.path.join(base, "d", "e"), exist_ok=True))
pathlib.Path(base, "d", "file").write_text("x")
rec(attempt(os.rmdir, os.path.join(base, "d")))
rec(attempt(os.rmdir, os.path.join(base, "d", "file")))
rec(attempt(os.remove, os.path.join(base, "d", "e")))
rec(attempt(open, os.path.join(base, "missing.txt")))
rec(attempt(lambda: open(os.path.join(base, "d")).read()))
rec(attempt(open, os.path.join(base, "d", "file", "child")))
rec(attempt(os.listdir, os.path.join(base, "d", "file")))
rec(attempt(os.listdir, os.path.join(base, "nowhere")))
rec(attempt(lambda: open(os.path.join(base, "d", "file"), "x")))
rec(attempt(os.rmdir, os.path.join(base, "d", "e", "f")))
rec(kind(os.path.join(base, "d")), kind(os.path.join(base, "d", "file")))
''',
    "rename_and_replace": r'''
a, b, c = (os.path.join(base, n) for n in ("a.txt", "b.txt", "c.txt"))
pathlib.Path(a).write_text("A")
pathlib.Path(b).write_text("B")
rec(attempt(os.rename, a, c))
rec(attempt(os.replace, c, b))
rec(sorted(os.listdir(base)), pathlib.Path(b).read_text())
os.mkdir(os.path.join(base, "dir"))
rec(attempt(os.rename, b, os.path.join(base, "dir", "moved.txt")))
rec(attempt(os.rename, os.path.join(base, "dir"), os.path.join(base, "dir2")))
rec(rel(pathlib.Path(base).rglob("*")))
rec(attempt(os.rename, os.path.join(base, "nope"), os.path.join(base, "x")))
rec(attempt(lambda: pathlib.Path(base, "dir2", "moved.txt").rename(pathlib.Path(base, "back.txt")).name))
rec(pathlib.Path(base, "back.txt").read_text())
''',
    "walk_and_shutil": r'''
tree = pathlib.Path(base, "src")
(tree / "x" / "y").mkdir(parents=True)
(tree / "top.txt").write_text("top")
(tree / "x" / "mid.txt").write_text("mid")
(tree / "x" / "y" / "deep.txt").write_text("deep" * 1000)
rec([(str(pathlib.Path(d).relative_to(base)), sorted(ds), sorted(fs)) for d, ds, fs in sorted(os.walk(tree))])
rec(str(pathlib.Path(shutil.copy(tree / "top.txt", pathlib.Path(base, "copy.txt"))).relative_to(base)))
rec(str(pathlib.Path(shutil.copytree(tree, pathlib.Path(base, "dst"))).relative_to(base)))
rec(rel(pathlib.Path(base, "dst").rglob("*")))
rec(pathlib.Path(base, "dst", "x", "y", "deep.txt").read_text() == "deep" * 1000)
shutil.move(str(pathlib.Path(base, "copy.txt")), str(pathlib.Path(base, "dst", "moved.txt")))
shutil.rmtree(tree)
rec(sorted(os.listdir(base)), rel(pathlib.Path(base).rglob("*.txt")))
''',
    "append_seek_truncate": r'''
p = os.path.join(base, "log.txt")
with open(p, "a") as f:
    f.write("one\n")
with open(p, "a") as f:
    f.write("two\n")
rec(pathlib.Path(p).read_text())
with open(p, "r+") as f:
    f.seek(4)
    f.write("TWO")
    f.seek(0, 2)
    rec(f.tell())
rec(pathlib.Path(p).read_text())
os.truncate(p, 3)
rec(pathlib.Path(p).read_text())
with open(p, "rb+") as f:
    f.truncate(1)
    rec(f.read())
with open(p, "wb") as f:
    f.write(b"abc")
    f.seek(10)
    f.write(b"z")
rec(pathlib.Path(p).read_bytes())
''',
    "stat_and_times": r'''
p = pathlib.Path(base, "f.txt")
p.write_text("12345")
st = p.stat()
rec(st.st_size, stat.S_ISREG(st.st_mode), stat.S_ISDIR(os.stat(base).st_mode))
os.utime(p, (1_000_000_000, 1_500_000_000))
rec(int(p.stat().st_mtime))
os.chmod(p, 0o600)
rec(oct(stat.S_IMODE(p.stat().st_mode)))
os.chmod(p, 0o644)
rec(oct(stat.S_IMODE(p.stat().st_mode)))
rec(attempt(os.stat, os.path.join(base, "missing")))
with open(p, "a") as f:
    f.write("678")
    f.flush()
    rec(os.fstat(f.fileno()).st_size)
rec(p.stat().st_size)
''',
    "sqlite": r'''
path = os.path.join(base, "app.db")
db = sqlite3.connect(path)
db.execute("create table notes (id integer primary key, body text)")
db.executemany("insert into notes (body) values (?)", [(f"note {i}",) for i in range(200)])
db.commit()
db.close()
db = sqlite3.connect(path)
rec(db.execute("select count(*), max(id) from notes").fetchone())
db.execute("delete from notes where id % 2 = 0")
db.commit()
rec(db.execute("select count(*) from notes").fetchone())
db.close()
rec(sorted(os.listdir(base)))
''',
    "streaming": r'''
p = os.path.join(base, "big.bin")
digest = hashlib.sha256()
with open(p, "wb") as f:
    for i in range(48):
        chunk = bytes([i]) * 65536
        digest.update(chunk)
        f.write(chunk)
rec(os.path.getsize(p), digest.hexdigest())
check = hashlib.sha256()
with open(p, "rb") as f:
    while chunk := f.read(100_000):
        check.update(chunk)
rec(check.hexdigest())
with open(p, "rb") as f:
    f.seek(65536 * 47 + 5)
    rec(f.read(3))
''',
}
