#!/bin/sh
# influxguard host collector (schema influxguard.collector/2).
#
# Runs on an InfluxDB host through SSM Run Command (as root) and prints ONE
# JSON document on stdout: the running influxd / influxd-meta / `influxdb3 serve` processes, what
# their configuration is (the config file influxd reads, its INFLUXDB_* /
# INFLUXD_* variables and flags: the scanner applies influxd's precedence and
# defaults), their version, listening TCP sockets, certificate and key file
# permissions, and InfluxDB variables from systemd environment files.
#
# Host evidence is read, never run (docs/CHECKS.md, "Rules that apply to every
# check"; docs/host-evidence.md):
#  - It executes nothing a monitored process, its user or its container can
#    name or replace: never `influxd` or `influxdb3`, nothing under a process's root or working
#    directory. The programs it runs are the host's own python3 (below: root-owned, nobody else can change it), and
#    `ss`, `openssl`, `rpm` from /usr/sbin:/usr/bin:/sbin:/bin when root owns
#    them and nobody else can change them.
#  - The version comes from data: the package database (dpkg, rpm) when the
#    running executable's digest is the package's, else the Go build
#    information and symbol table read from the executable as bytes (InfluxDB 3,
#    a Rust binary: the version strings influxdb3_process keeps side by side).
#  - InfluxDB 3's admin token is told from its local-file catalog, read as data
#    by the reader child (docs/host-evidence.md, "InfluxDB 3").
#  - Paths named by or reached through a process (config file, certificates)
#    are resolved inside that process's root, one component at a time (an
#    absolute link restarts at its root, `..` stops there), and opened by a
#    child that has dropped to the process's own uid, gid and groups. Key files
#    are stat'ed, never read. Only regular files are read, size-capped.
#  - A process named influxd is trusted only when its user, as this host sees
#    it, is root or the influxdb service account; one in the host's own mount
#    namespace also needs a root-owned executable nobody else can change.
#    A process in another mount or user namespace (a container) is judged from
#    what can be read safely; ownership inside its namespace proves nothing.
#    Any other process named influxd is listed under "ignored" with the reason.
#  - Output budgets nobody else can spend: SSM keeps 24,000 characters of
#    stdout. Ignored processes share at most 2,000 of them (summarised beyond),
#    listeners 6,000 (at most 80, non-loopback first), files 3,000; trusted processes share the rest, each its
#    fair part measured after JSON escaping. What is cut is said, per section.
#
# Needs python3 (every major distribution ships it; cloud-init uses it). Without
# it the document says so and the scanner reports host evidence NOT_AVAILABLE.
#
# Test hooks (never set by influxguard on a real host):
#   INFLUXGUARD_PIDS  space-separated pids to consider instead of every process
#   INFLUXGUARD_ROOT  prefix for systemd unit and environment-file paths (a fixture directory)
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
# What the dynamic loader and the C library would load from the environment this shell was given (glibc's unsecure
# variables): none of it reaches a program this script starts (python3 then runs under env -i, its tools with PATH alone).
unset LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT LD_DEBUG LD_DEBUG_OUTPUT LD_PROFILE LD_PROFILE_OUTPUT LD_ORIGIN_PATH LD_DYNAMIC_WEAK \
  LD_HWCAP_MASK LD_BIND_NOT LD_USE_LOAD_BIAS GCONV_PATH GETCONF_DIR HOSTALIASES LOCALDOMAIN LOCPATH MALLOC_TRACE NIS_PATH \
  NLSPATH RESOLV_HOST_CONF RES_OPTIONS TMPDIR TZDIR
# An interpreter root owns and nobody else can change: the file it resolves to, and every directory above it, root's
# and not writable by group or others (a directory may be when sticky, as /tmp), as for the tools the program runs.
set -f
trusted() {
  p=$(readlink -f "$1" 2>/dev/null) && [ -f "$p" ] && [ -x "$p" ] || return 1
  file=$p
  while :; do
    set -- $(ls -ldn "$p" 2>/dev/null)
    [ "${3:-}" = 0 ] || return 1
    case ${1:-} in
      ?????w*|????????w*)
        [ "$p" != "$file" ] || return 1
        case ${1#?????????} in [tT]*) ;; *) return 1 ;; esac ;;
    esac
    [ "$p" = / ] && return 0
    p=$(dirname "$p")
  done
}
py=""
for c in /usr/bin/python3 /usr/libexec/platform-python /usr/local/bin/python3 /usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11 /usr/bin/python3.9 /usr/bin/python3.8; do
  if trusted "$c"; then py=$(readlink -f "$c"); break; fi
done
if [ -z "$py" ]; then
  printf '{"schema":"influxguard.collector/2","collectedAt":"%s","hostname":"","tools":{"ss":false,"openssl":false,"influxd":false,"python3":false},"version":null,"processes":[],"ignored":[],"listeners":[],"listenerSource":"none","files":[],"systemd":{"environmentFiles":[],"env":{}},"errors":["python3 is missing on this host (or not root-owned): the collector needs it to read host evidence safely"],"unavailable":"python3 is missing on this host (or not root-owned)"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  exit 0
fi
# -I: isolated (no PYTHON* variables, no user site, not the script's directory); -S: no site-packages; -B: no .pyc written.
# An environment of PATH (and the test hooks) alone: a reader child can read its own /proc/self/environ, and what SSM's
# agent passes (a proxy's credentials, ...) is no business of the document.
exec env -i PATH="$PATH" ${INFLUXGUARD_PIDS+"INFLUXGUARD_PIDS=$INFLUXGUARD_PIDS"} ${INFLUXGUARD_ROOT+"INFLUXGUARD_ROOT=$INFLUXGUARD_ROOT"} \
  "$py" -I -S -B - <<'PYTHON'
import errno, hashlib, json, mmap, os, re, select, signal, socket, stat, struct, subprocess, sys, time

SCHEMA = 'influxguard.collector/2'
OUT_MAX = 23500          # SSM keeps the first 24,000 characters of stdout
IGNORED_BUDGET = 2000
LISTENER_BUDGET = 6000
MAX_LISTENERS = 80
FILE_BUDGET = 3000
MAXSTR = 300
MAXFILE = 262144
# A process's command line and environment are read whole (a variable or flag past a cut would be missed: a PASS the
# process does not bear out). The kernel caps both together at 6 MiB (3/4 of _STK_LIM); a longer read is not believed.
ARGS_MAX = 8 << 20
MAX_PROCS = 8
NAMES = ('influxd', 'influxd-meta', 'influxdb3')
SERVICE_USER = 'influxdb'
SERVICE_USER3 = 'influxdb3'  # the account InfluxDB 3's packages create; trusted for influxdb3 processes only
SAFE_DIRS = ('/usr/sbin', '/usr/bin', '/sbin', '/bin')
CHILD_SECONDS = 10       # one reader child (it runs as the process's user, who may stop it)
DEADLINE = time.time() + 40  # SSM's executionTimeout is 60 s: no reader starts after this, the document still goes out
O_PATH = getattr(os, 'O_PATH', 0o10000000)
ROOT = os.environ.get('INFLUXGUARD_ROOT', '')

# Keys the checks read, as section.key (top-level keys have no section).
# test/host/hostile.test.ts checks that every key the checks use is here.
WANTED = ('bind-address http.bind-address http.auth-enabled http.https-enabled http.https-certificate http.https-private-key '
          'http.shared-secret http.pprof-enabled http.pprof-auth-enabled http.ping-auth-enabled http.flux-enabled tls.min-version '
          'tls.max-version meta.bind-address meta.http-bind-address meta.auth-enabled meta.https-enabled meta.https-certificate '
          'meta.https-private-key meta.internal-shared-secret meta.pprof-enabled meta.meta-auth-enabled meta.meta-tls-enabled '
          'meta.meta-internal-shared-secret cluster.https-enabled').split()
# InfluxDB 2.x: the options the checks read (flags, INFLUXD_<OPTION> variables, config-file keys).
WANTED2 = ('http-bind-address tls-cert tls-key tls-min-version tls-strict-ciphers pprof-disabled metrics-disabled session-length '
           'session-renew-disabled hardening-enabled vault-token').split()
# 2.x boolean flags (cmd/influxd/launcher/cmd.go): they take no separate value on the command line.
BOOL2 = set(('flux-log-enabled e2e-testing testing-always-allow-setup reporting-disabled overwrite-pid-file session-renew-disabled '
             'tls-strict-ciphers no-tasks pprof-disabled metrics-disabled ui-disabled hardening-enabled template-file-urls-disabled '
             'strong-passwords vault-skip-verify storage-wal-flush-on-shutdown storage-validate-keys storage-no-validate-field-size '
             'storage-tsm-use-madv-willneed').split())
# InfluxDB 3 (`influxdb3 serve`): the options the checks read and their variables (clap: flag > variable > default).
# lib/host-evidence.ts V3_OPTIONS lists the same. None of them holds a secret: credentials on the command line are
# reported by name only (secret_flags).
WANTED3 = {'node-id': 'INFLUXDB3_NODE_IDENTIFIER_PREFIX', 'object-store': 'INFLUXDB3_OBJECT_STORE', 'data-dir': 'INFLUXDB3_DB_DIR',
           'bucket': 'INFLUXDB3_BUCKET', 'http-bind': 'INFLUXDB3_HTTP_BIND_ADDR', 'tls-key': 'INFLUXDB3_TLS_KEY',
           'tls-cert': 'INFLUXDB3_TLS_CERT', 'tls-minimum-version': 'INFLUXDB3_TLS_MINIMUM_VERSION',
           'without-auth': 'INFLUXDB3_START_WITHOUT_AUTH', 'disable-authz': 'INFLUXDB3_DISABLE_AUTHZ',
           'admin-token-recovery-http-bind': 'INFLUXDB3_ADMIN_TOKEN_RECOVERY_HTTP_BIND_ADDR',
           'admin-token-file': 'INFLUXDB3_ADMIN_TOKEN_FILE', 'plugin-dir': 'INFLUXDB3_PLUGIN_DIR',
           'disable-telemetry-upload': 'INFLUXDB3_TELEMETRY_DISABLE_UPLOAD', 'telemetry-endpoint': 'INFLUXDB3_TELEMETRY_ENDPOINT',
           'package-manager': 'INFLUXDB3_PACKAGE_MANAGER'}
# influxdb3 3.6 boolean flags (`serve --help-all`, and the hidden --disable-telemetry-upload): they take no separate value.
BOOL3 = set(('without-auth disable-telemetry-upload aws-allow-http aws-skip-signature azure-allow-http object-store-http2-only '
             'object-store-tls-allow-insecure disable-parquet-mem-cache help help-all verbose').split())
# A flag whose value is optional: given without one, the server uses this address (CHECKS.md).
OPTIONAL3 = {'admin-token-recovery-http-bind': ''}
# A command-line flag that may carry a credential (any flavour): reported by name, with set/empty, never its value.
SECRET_FLAG = re.compile(r'(token|secret|passw|access-key|storage-key|private-key)', re.I)
NOT_SECRET_FLAG = re.compile(r'(-file|-path|-dir|-id|-recovery-http-bind|^tls-key|-key-id)$', re.I)
# The variables that override them: the only ones printed. RENAMED3: newer names of two of WANTED3's variables
# (influxdb#4237; lib/host-evidence.ts V3_RENAMED), printed too: the scanner decides which one a release reads.
RENAMED3 = ['INFLUXDB3_WITHOUT_AUTH', 'INFLUXDB3_DISABLE_TELEMETRY_UPLOAD']
ENV_ALLOW = set(['INFLUXDB_' + re.sub('[.-]', '_', k).upper() for k in WANTED] +
                ['INFLUXD_' + k.replace('-', '_').upper() for k in WANTED2 + ['config-path']] + list(WANTED3.values()) + RENAMED3)
KEY_ROLES = ('http.https-private-key', 'meta.https-private-key', 'tls-key')

errors = []
def err(msg):
    if len(errors) < 20:
        errors.append(clip(msg, 200))
    elif len(errors) == 20:
        errors.append('more errors not listed')

def text(b):
    return b.decode('utf-8', 'replace') if isinstance(b, bytes) else str(b)

def clip(s, n=MAXSTR):
    """A string for the document: URL user-info masked, capped (json.dumps escapes every control character)."""
    s = re.sub(r'://[^ \t]*@', '://***@', text(s))
    return s[:n]

def masked(k, v):
    u = k.upper()
    if u in ('INFLUXD_TLS_KEY', 'TLS-KEY') or k in WANTED3.values() or k in RENAMED3:  # InfluxDB 3's options read here hold no secret
        return v
    if re.search(r'SECRET|PASSWORD|TOKEN|_KEY$|-KEY-DATA$', u):
        return 'empty' if v == '' else 'set'
    return v

def size(x):
    return len(json.dumps(x, ensure_ascii=True, separators=(',', ':')))

def read_proc(pid, name, limit=65536):
    try:
        with open('/proc/%d/%s' % (pid, name), 'rb') as f:
            return f.read(limit)
    except OSError:
        return None

def users():
    by_uid = {}
    try:
        with open('/etc/passwd', 'rb') as f:
            for line in f.read(1 << 20).split(b'\n'):
                p = line.split(b':')
                if len(p) > 3 and p[2].isdigit():
                    by_uid.setdefault(int(p[2]), text(p[0]))
    except OSError:
        pass
    return by_uid
UID_NAMES = users()
SERVICE_UID = next((u for u, n in UID_NAMES.items() if n == SERVICE_USER), None)
SERVICE_UID3 = next((u for u, n in UID_NAMES.items() if n == SERVICE_USER3), None)
def user_of(uid):
    return UID_NAMES.get(uid, str(uid))

def safe_tool(name):
    """A host program root owns and nobody else can change (nor any directory above it), or None."""
    for d in SAFE_DIRS:
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK) and not untrusted_path(os.path.realpath(p)):
            return os.path.realpath(p)
    return None

def untrusted_path(path):
    """Why root cannot rely on a host file (None when it can): not a regular file, or someone else can change it or a directory above it."""
    try:
        st = os.stat(path)
    except OSError:
        return 'cannot stat %s' % path
    if not stat.S_ISREG(st.st_mode):
        return '%s is not a regular file' % path
    p = path
    while True:
        try:
            st = os.stat(p or '/')
        except OSError:
            return 'cannot stat %s' % (p or '/')
        if st.st_uid != 0:
            return '%s is owned by uid %d, not root' % (p or '/', st.st_uid)
        # Group/other-writable: only a sticky directory is safe (nobody else may rename a root file in it).
        if st.st_mode & 0o022 and (p == path or not st.st_mode & stat.S_ISVTX):
            return '%s is writable by group or others' % (p or '/')
        if not p:
            return None
        p = p.rsplit('/', 1)[0]

def run_tool(argv, data=None, seconds=10):
    try:
        r = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=seconds,
                           env={'PATH': ':'.join(SAFE_DIRS), 'LC_ALL': 'C'}, cwd='/')
        return r.stdout[:65536] if r.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None

# ─────────────── reading inside a process's root, as its user ───────────────

def resolve(rootfd, startfd, path, parent=False):
    """An O_PATH descriptor of `path` resolved inside the root: `..` never climbs above it, an absolute link restarts at it.
    With parent=True: (that descriptor, its directory's descriptor, its name in it), or (descriptor, None, None) for a root."""
    root_id = (os.fstat(rootfd).st_dev, os.fstat(rootfd).st_ino)
    todo = [c for c in path.split('/') if c not in ('', '.')]
    todo.reverse()
    cur = os.dup(rootfd if path.startswith('/') else startfd)
    links = 0
    try:
        while todo:
            c = todo.pop()
            if c == '..':
                st = os.fstat(cur)
                if (st.st_dev, st.st_ino) != root_id:
                    nxt = os.open('..', O_PATH | os.O_DIRECTORY, dir_fd=cur)
                    os.close(cur)
                    cur = nxt
                continue
            fd = os.open(c, O_PATH | os.O_NOFOLLOW, dir_fd=cur)
            st = os.fstat(fd)
            if stat.S_ISLNK(st.st_mode):
                os.close(fd)
                links += 1
                if links > 40:
                    raise OSError(errno.ELOOP, 'too many links')
                target = os.readlink(c, dir_fd=cur)
                todo.extend(reversed([x for x in target.split('/') if x not in ('', '.')]))
                if target.startswith('/'):
                    os.close(cur)
                    cur = os.dup(rootfd)
                continue
            if todo and not stat.S_ISDIR(st.st_mode):
                os.close(fd)
                raise OSError(errno.ENOTDIR, 'not a directory')
            if parent and not todo:
                return fd, cur, c
            os.close(cur)
            cur = fd
        return (cur, None, None) if parent else cur
    except BaseException:
        os.close(cur)
        raise

def reason_of(e):
    return {errno.ENOENT: 'not found', errno.EACCES: 'permission denied', errno.EPERM: 'permission denied',
            errno.ELOOP: 'too many links', errno.ENOTDIR: 'not found'}.get(e.errno, 'could not be read (%s)' % (e.strerror or e.errno))

def in_root_stat(rootfd, cwdfd, path):
    fd = resolve(rootfd, cwdfd, path)
    try:
        return os.fstat(fd)
    finally:
        os.close(fd)

def in_root_read(rootfd, cwdfd, path, limit):
    """A regular file's bytes (at most `limit`), or an OSError / ValueError saying why not."""
    fd, parent, name = resolve(rootfd, cwdfd, path, parent=True)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError('not a regular file')
        if st.st_size > limit:
            raise ValueError('larger than %d bytes' % limit)
        # Root's reader (a root process's) reopens the very inode checked, through its descriptor: a name could meanwhile
        # be another file, a device node whose open acts (a watchdog, a tape) that root may open. Another user's reader
        # opens it by its name in the directory just resolved, never through a link, and only reads it if it is still
        # the inode resolved (/proc/self/fd needs that reader dumpable, see as_user; what it may open is that user's).
        if os.geteuid() == 0:
            rfd = os.open('/proc/self/fd/%d' % fd, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        else:
            rfd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW, dir_fd=parent)
        try:
            r = os.fstat(rfd)
            if (r.st_dev, r.st_ino) != (st.st_dev, st.st_ino):
                raise ValueError('changed while read')
            chunks, n = [], 0
            while n <= limit:
                b = os.read(rfd, 65536)
                if not b:
                    break
                chunks.append(b)
                n += len(b)
            data = b''.join(chunks)
            if len(data) > limit:
                raise ValueError('larger than %d bytes' % limit)
            return data
        finally:
            os.close(rfd)
    finally:
        os.close(fd)
        if parent is not None:
            os.close(parent)

def as_user(pid, started, ids, work):
    """work(rootfd, cwdfd) in a child that has dropped to the process's uid, gid and groups; its JSON answer, or {'error': why}.
    Its root and working directory are the process's own: opened, then checked that the pid is still the process found
    (one that ended leaves its pid to another, whose root would be read with the ended one's ids)."""
    seconds = min(CHILD_SECONDS, DEADLINE - time.time())
    if seconds <= 0:
        return {'error': "the collector's time ran out (40 s)"}
    try:
        rootfd = os.open('/proc/%d/root' % pid, O_PATH | os.O_DIRECTORY)
    except OSError as e:
        return {'error': 'its root cannot be opened: %s' % reason_of(e)}
    try:
        cwdfd = os.open('/proc/%d/cwd' % pid, O_PATH | os.O_DIRECTORY)
    except OSError:
        cwdfd = os.dup(rootfd)
    if not same(pid, started):
        os.close(rootfd)
        os.close(cwdfd)
        return {'error': ENDED}
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(r)
            # Nothing of root's stays with a child that the process's user may signal: its standard streams (SSM's
            # output) become /dev/null and every other descriptor is closed. It stays non-dumpable (as the kernel
            # leaves it after the change of credentials), so that user can neither trace it nor copy its descriptors.
            null = os.open('/dev/null', os.O_RDWR)
            for n in (0, 1, 2):
                os.dup2(null, n)
            keep = sorted(set((rootfd, cwdfd, w)))
            for lo, hi in zip([3] + [k + 1 for k in keep], keep + [os.sysconf('SC_OPEN_MAX')]):
                os.closerange(lo, hi)
            uid, gid, groups = ids
            os.setgroups(groups)
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            out = json.dumps(work(rootfd, cwdfd)).encode()
        except BaseException as e:
            out = json.dumps({'error': 'could not be read as uid %d (%s)' % (ids[0], type(e).__name__)}).encode()
        try:
            os.write(w, out)
        finally:
            os._exit(0)
    os.close(w)
    os.close(rootfd)
    os.close(cwdfd)
    chunks, deadline = [], time.time() + seconds
    try:
        while True:
            left = deadline - time.time()
            if left <= 0 or not select.select([r], [], [], left)[0]:
                os.kill(child, signal.SIGKILL)
                return {'error': 'reading took longer than %d s' % seconds}
            b = os.read(r, 1 << 20)
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(r)
        try:
            os.waitpid(child, 0)
        except OSError:
            pass
    try:
        return json.loads(b''.join(chunks).decode())
    except ValueError:
        return {'error': 'no answer from the reader'}

# ─────────────── the version, from data ───────────────

def elf_layout(data):
    """(little, is64, PT_LOAD segments [(vaddr, offset, filesz)], sections [(name, type, addr, offset, size, link, entsize)]) or None."""
    if data[:4] != b'\x7fELF':
        return None
    is64, little = data[4] == 2, data[5] == 1
    e = '<' if little else '>'
    if is64:
        phoff, shoff = struct.unpack_from(e + 'QQ', data, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(e + 'HHHHH', data, 54)
    else:
        phoff, shoff = struct.unpack_from(e + 'II', data, 28)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(e + 'HHHHH', data, 42)
    segs = []
    for i in range(min(phnum, 64)):
        o = phoff + i * phentsize
        if is64:
            ptype, _, poff, vaddr, _, filesz = struct.unpack_from(e + 'IIQQQQ', data, o)
        else:
            ptype, poff, vaddr, _, filesz = struct.unpack_from(e + 'IIIII', data, o)
        if ptype == 1:
            segs.append((vaddr, poff, filesz))
    secs = []
    for i in range(min(shnum, 512)):
        o = shoff + i * shentsize
        if is64:
            name, stype, _, addr, off, sz, link, _, _, ent = struct.unpack_from(e + 'IIQQQQIIQQ', data, o)
        else:
            name, stype, _, addr, off, sz, link, _, _, ent = struct.unpack_from(e + 'IIIIIIIIII', data, o)
        secs.append([name, stype, addr, off, sz, link, ent])
    if 0 <= shstrndx < len(secs):
        base = secs[shstrndx][3]
        for s in secs:
            end = data.find(b'\0', base + s[0], base + s[0] + 256)
            s[0] = bytes(data[base + s[0]:end]).decode('ascii', 'replace') if end >= 0 else ''
    return little, is64, segs, secs

def at_vaddr(segs, vaddr):
    for v, off, sz in segs:
        if v <= vaddr < v + sz:
            return off + vaddr - v
    return None

def go_string(data, layout, addr):
    """The Go string whose header (pointer, length) is at virtual address `addr`."""
    little, is64, segs, _ = layout
    o = at_vaddr(segs, addr)
    if o is None:
        return None
    ptr, n = struct.unpack_from(('<' if little else '>') + ('QQ' if is64 else 'II'), data, o)
    p = at_vaddr(segs, ptr)
    if p is None or not 0 < n <= 4096:
        return None
    return bytes(data[p:p + n]).decode('utf-8', 'replace')

def varint(data, p):
    n = shift = 0
    while True:
        b = data[p]
        p += 1
        n |= (b & 0x7f) << shift
        shift += 7
        if b < 0x80 or shift > 35:
            return n, p

def go_buildinfo(data, layout):
    """The module information Go embeds (`go version -m`): {'path':…, 'mod': version, 'ldflags': …} or {}."""
    at = 0
    while True:
        i = data.find(b'\xff Go buildinf:', at)
        if i < 0:
            return {}
        at = i + 1
        if i % 16:
            continue
        ptrsize, flags = data[i + 14], data[i + 15]
        mod = None
        try:
            if flags & 2:  # Go 1.18+: inline strings
                n, p = varint(data, i + 32)
                n, p = varint(data, p + n)
                mod = bytes(data[p:p + min(n, 65536)]).decode('utf-8', 'replace')
            elif layout and ptrsize in (4, 8):
                little = not flags & 1
                addr = struct.unpack_from(('<' if little else '>') + ('Q' if ptrsize == 8 else 'I'), data, i + 16 + ptrsize)[0]
                mod = go_string(data, layout, addr)
        except (IndexError, struct.error):
            mod = None
        if not mod:
            continue
        if len(mod) >= 33 and mod[-17] == '\n':
            mod = mod[16:-16]
        info = {}
        for line in mod.split('\n'):
            f = line.split('\t')
            if f[0] == 'path' and len(f) > 1:
                info['path'] = f[1]
            elif f[0] == 'mod' and len(f) > 2:
                info['mod'] = f[2]
            elif f[0] == 'build' and len(f) > 1 and f[1].startswith('-ldflags='):
                info['ldflags'] = f[1][len('-ldflags='):]
        return info

def elf_symbol_version(data, layout):
    """main.version from the symbol table (a build with -X main.version=… that kept its symbols)."""
    little, is64, _, secs = layout
    e = '<' if little else '>'
    for s in secs:
        if s[1] != 2 or not s[6] or not 0 <= s[5] < len(secs):  # SHT_SYMTAB
            continue
        stroff = secs[s[5]][3]
        for k in range(s[3], s[3] + s[4] - s[6] + 1, s[6]):
            if is64:
                name, _, _, _, value, _ = struct.unpack_from(e + 'IBBHQQ', data, k)
            else:
                name, value = struct.unpack_from(e + 'II', data, k)
            if data[stroff + name:stroff + name + 13] == b'main.version\0':
                return go_string(data, layout, value)
    return None

def version_from_binary(fd):
    """(version, flavour, source) read from an executable's bytes."""
    try:
        data = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
    except (OSError, ValueError):
        return None, None, None
    try:
        try:
            layout = elf_layout(data)
        except (struct.error, IndexError):
            layout = None
        info = go_buildinfo(data, layout)
        path = info.get('path', '')
        flavour = 'influxdb-2' if '/influxdb/v2/' in path else 'influxdb-1' if path else None
        if flavour is None:
            flavour = 'influxdb-2' if data.find(b'github.com/influxdata/influxdb/v2/cmd/influxd') >= 0 else 'influxdb-1'
        m = re.search(r'-X[ =]main\.version=([^ "\']+)', info.get('ldflags', ''))
        if m:
            return m.group(1).lstrip('v'), flavour, 'go build information (-X main.version)'
        v = None
        if layout:
            try:
                v = elf_symbol_version(data, layout)
            except (struct.error, IndexError):
                v = None
        if v and re.match(r'^v?\d+\.\d+', v):
            return v.lstrip('v'), flavour, 'symbol main.version'
        mod = info.get('mod', '')
        if re.match(r'^v\d+\.\d+\.\d+', mod):
            return mod[1:], flavour, 'go build information (module version)'
        return None, flavour, None
    finally:
        data.close()

VERSION = re.compile(r'^\d+\.\d+[0-9A-Za-z.~+-]{0,30}$')
def checked_version(pid, v):
    """v when it reads as a version (what an executable's bytes say is the process's word, bounded here), else None."""
    if v is None or VERSION.match(v):
        return v
    err('%s: its executable names as its version text that is not a version: %s' % ('pid %d' % pid if pid else 'the installed influxd', clip(v, 60)))
    return None

def exe_facts(pid, started, rust=False):
    """Run in the reader child: the executable's digests and what its bytes say."""
    try:
        fd = os.open('/proc/%d/exe' % pid, os.O_RDONLY)
    except OSError as e:
        return {'exeError': reason_of(e)}
    try:
        if not same(pid, started):
            return {'exeError': ENDED}
        md5, sha = digests(fd)
        if rust:
            try:
                data = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
            except (OSError, ValueError):
                return {'md5': md5, 'sha256': sha, 'version': None, 'flavour': 'influxdb-3', 'versionSource': None}
            try:
                v = version3(data)
            finally:
                data.close()
            return {'md5': md5, 'sha256': sha, 'version': v, 'flavour': 'influxdb-3', 'versionSource': 'influxdb3 build strings' if v else None}
        v, flavour, source = version_from_binary(fd)
        return {'md5': md5, 'sha256': sha, 'version': v, 'flavour': flavour, 'versionSource': source}
    finally:
        os.close(fd)

def digests(fd):
    """An open file's MD5 and SHA-256 (what dpkg and rpm record), read in 1 MiB pieces."""
    md5, sha = hashlib.md5(), hashlib.sha256()
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            break
        md5.update(b)
        sha.update(b)
    return md5.hexdigest(), sha.hexdigest()

def dpkg_version(path, md5):
    """The upstream version of the Debian package whose recorded md5 of `path` is this executable's."""
    info = '/var/lib/dpkg/info'
    rel = path.lstrip('/')
    alts = {rel, rel[4:] if rel.startswith('usr/') else 'usr/' + rel}
    try:
        names = [n for n in os.listdir(info) if n.endswith('.md5sums')]
    except OSError:
        return None
    for n in names:
        try:
            with open(os.path.join(info, n), 'rb') as f:
                body = f.read(1 << 20).decode('utf-8', 'replace')
        except OSError:
            continue
        for line in body.split('\n'):
            parts = line.split(None, 1)
            if len(parts) == 2 and parts[1] in alts and parts[0] == md5:
                pkg = n[:-len('.md5sums')].split(':')[0]
                return dpkg_status_version(pkg)
    return None

def dpkg_status_version(pkg):
    try:
        with open('/var/lib/dpkg/status', 'rb') as f:
            body = f.read(64 << 20).decode('utf-8', 'replace')
    except OSError:
        return None
    for stanza in body.split('\n\n'):
        if re.search(r'^Package: %s$' % re.escape(pkg), stanza, re.M):
            m = re.search(r'^Version: (\S+)$', stanza, re.M)
            if m:
                v = m.group(1).split(':', 1)[-1]
                return v.rsplit('-', 1)[0] if '-' in v else v
    return None

def rpm_version(path, digests):
    rpm = safe_tool('rpm')
    if not rpm:
        return None
    out = run_tool([rpm, '-qf', '--qf', '%{NAME}\\t%{VERSION}\\n', path])
    if not out:
        return None
    name, _, version = text(out).split('\n')[0].partition('\t')
    files = run_tool([rpm, '-q', '--qf', '[%{FILEDIGESTS} %{FILENAMES}\\n]', name]) or b''
    for line in text(files).split('\n'):
        d, _, f = line.partition(' ')
        if f == path and d and d in digests:
            return version or None
    return None

# ─────────────── configuration text ───────────────

def toml_value(v):
    """The value of a TOML `key = value` line (the subset influxd's files use): strings unquoted, comments cut."""
    v = v.lstrip()
    if v[:1] == '"':
        out, i = [], 1
        while i < len(v) and v[i] != '"':
            if v[i] == '\\' and i + 1 < len(v):
                i += 1
                out.append({'n': '\n', 't': '\t', 'r': '\r'}.get(v[i], v[i]))
            else:
                out.append(v[i])
            i += 1
        return ''.join(out)
    if v[:1] == "'":
        end = v.find("'", 1)
        return v[1:end] if end > 0 else v[1:]
    return re.sub(r'\s+#.*$', '', v).strip()

BARE = r'(?:[A-Za-z0-9_-]+|"[A-Za-z0-9_-]*"|\'[A-Za-z0-9_-]*\')'
DOTTED = re.compile(r'^%s(?:[ \t]*\.[ \t]*%s)*$' % (BARE, BARE))
def toml_name(raw):
    """A key or table name as influxd matches it (BurntSushi/toml: without regard to case), or None when it is not made of
    bare-key characters: a quoted name with a space, a dot or an escape is another name to influxd than it looks."""
    raw = raw.strip()
    if not DOTTED.match(raw):
        return None
    return '.'.join(p.strip().strip('"\'') for p in raw.split('.')).lower()

def depth_change(v):
    """Brackets a value opens minus those it closes, outside strings and comments (a multi-line array continues)."""
    d, q, i = 0, None, 0
    while i < len(v):
        c = v[i]
        if q:
            if c == '\\' and q == '"':
                i += 1
            elif c == q:
                q = None
        elif c in '"\'':
            q = c
        elif c == '#':
            break
        elif c in '[{':
            d += 1
        elif c in ']}':
            d -= 1
        i += 1
    return d

def toml_pairs(body):
    """({section.key: value} for the wanted keys, the [http.headers] table (at most 20), why not) where `why not` says
    what influxd may read otherwise than this (a multi-line string, an unusual name, a key given twice), else None."""
    config, headers, section, depth = {}, {}, '', 0
    for n, line in enumerate(body.split('\n'), 1):
        s = line.strip()
        if depth > 0:  # inside a multi-line array: its lines are values, whatever they look like
            depth += depth_change(s)
            continue
        if not s or s.startswith('#'):
            continue
        if '"""' in s or "'''" in s:
            return config, headers, 'it holds a multi-line string (line %d)' % n
        if s.startswith('[['):
            section = '#array'
            continue
        if s.startswith('['):
            m = re.match(r'^\[([^\]]*)\]\s*(#.*)?$', s)
            section = toml_name(m.group(1)) if m else None
            if section is None:
                return config, headers, 'a table name influxd may read otherwise (line %d)' % n
            continue
        k, eq, v = s.partition('=')
        if not eq:
            continue
        depth = max(0, depth_change(v))
        if section == '#array':
            continue
        name = toml_name(k)
        if name is None:
            return config, headers, 'a key influxd may read otherwise (line %d)' % n
        v = toml_value(v)
        if section == 'http.headers':
            if len(headers) < 20:
                headers[k.strip().strip('"\'')] = v
            continue
        full = name if not section else section + '.' + name
        if full in WANTED:
            if full in config:
                return config, headers, '%s is set twice (influxd matches names without regard to case: either may count)' % full
            config[full] = v
    return config, headers, None

SECRET_KEY = re.compile(r'["\']?[a-z0-9_.-]*(token|secret|passw)[a-z0-9_.-]*["\']?[ \t]*[:=][ \t]*', re.I)
def quoted_end(s, q):
    i = 1
    while i < len(s):
        if s[i] == '\\':
            i += 2
            continue
        if s[i] == q:
            return i + 1
        i += 1
    return 0

def mask2(body):
    """A 2.x config file (TOML, YAML or JSON) with every secret value replaced by "set"/"empty"; None when a
    secret cannot be delimited with certainty on its line (a value on the next lines, a block scalar, a flow value),
    or a name may hide from this reader: spelled with escapes (\\u0074oken), its value or indicator starting another
    line (JSON allows a line break before ':', YAML's explicit '? key'), or a value that is a YAML alias."""
    if re.search(r'\\[uUx]', body) or re.search(r'^[ \t]*(?:[?=]|:(?![0-9A-Za-z]))', body, re.M):
        return None
    out_lines = []
    for line in body.split('\n'):
        out = ''
        while True:
            m = SECRET_KEY.search(line)
            if not m:
                break
            out += line[:m.end()]
            line = line[m.end():]
            props = re.match(r'^([&!][^ \t]*[ \t]*)*', line).end()  # YAML anchors and tags
            rest = line[props:]
            c = rest[:1]
            if c in ('"', "'"):
                if rest[:3] == c * 3:
                    return None
                end = quoted_end(rest, c)
                if not end:
                    return None
                empty = end == 2 and props == 0
            elif c in ('', '#', '|', '>', '*'):
                return None
            else:
                v = rest
                h = re.search(r'[ \t]#', v)
                if h:
                    v = v[:h.start()]
                v = re.sub(r'[ \t,}\]]*$', '', v)
                if re.search(r'[,{}\[\]]', v):
                    return None
                end, empty = len(v), False
            out += '"empty"' if empty else '"set"'
            line = rest[end:]
        out_lines.append(out + line)
    return '\n'.join(out_lines)

def tls2_paths(body):
    """Candidate tls-cert / tls-key paths written in a 2.x file (for their permissions; the scanner decides which counts)."""
    found = []
    for m in re.finditer(r'tls-(cert|key)["\']?[ \t]*[:=][ \t]*("[^"\n]*"|\'[^\'\n]*\'|[^,}#\t \n]+)', body):
        v = m.group(2).strip('"\'')
        if v:
            found.append(('tls-' + m.group(1), v))
    return found

# ─────────────── command lines ───────────────

def flags1(args):
    """influxd 1.x: Go's flag parsing, the subcommand then flags up to the first non-flag. (-config value, shown text)."""
    known = ('config', 'pidfile', 'cpuprofile', 'memprofile', 'hostname', 'join')
    val, shown, hidden, i = {}, [], 0, 1
    if i < len(args) and not args[i].startswith('-'):
        if re.match(r'^[a-z][a-z-]*$', args[i]) and len(args[i]) <= 16:
            shown.append(args[i])
            i += 1
        else:
            return '', '', len(args) - 1
    while i < len(args):
        a = args[i]
        if a in ('--', '-') or not a.startswith('-'):
            break
        f = re.sub(r'^--?', '', a)
        if '=' in f:
            f, v = f.split('=', 1)
            if f not in known:
                break
            val[f] = v
            shown.append('-%s=%s' % (f, v))
        elif f in known and i + 1 < len(args):
            val[f] = args[i + 1]
            shown.append('-%s %s' % (f, args[i + 1]))
            i += 1
        elif f == 'single-server':
            shown.append('-' + f)
        else:
            break
        i += 1
    hidden = len(args) - i
    return val.get('config', ''), ' '.join(shown), hidden

def flags2(args):
    """influxd 2.x (pflag): the wanted flags; a boolean flag takes no separate value."""
    out, i = {}, 1
    if i < len(args) and args[i] == 'run':
        i += 1
    while i < len(args):
        a = args[i]
        if a == '--' or not a.startswith('-'):
            break
        f = re.sub(r'^--?', '', a)
        if '=' in f:
            f, v = f.split('=', 1)
        elif f in BOOL2:
            v = 'true'
        else:
            v = args[i + 1] if i + 1 < len(args) else ''
            i += 1
        if f in WANTED2:
            out[f] = v
        i += 1
    return out

# ─────────────── one process ───────────────

def namespaces_differ(pid):
    for ns in ('mnt', 'user'):
        try:
            if os.readlink('/proc/%d/ns/%s' % (pid, ns)) != os.readlink('/proc/self/ns/%s' % ns):
                return True
        except OSError:
            return True
    try:
        a, b = os.stat('/proc/%d/root' % pid), os.stat('/')
        return (a.st_dev, a.st_ino) != (b.st_dev, b.st_ino)
    except OSError:
        return True

def start_time(pid):
    """When the process started (clock ticks after boot, /proc/PID/stat field 22); None when unreadable. With the pid,
    it names one process: a pid another process takes after its owner ended has another start time."""
    body = read_proc(pid, 'stat') or b''
    fields = body[body.rfind(b')') + 2:].split()
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None

def same(pid, started):
    """The process found as `pid` still holds it (so what was read since it was found is its own)."""
    return started is not None and start_time(pid) == started

def status_ids(pid):
    body = text(read_proc(pid, 'status') or b'')
    def field(name):
        m = re.search(r'^%s:\s*(.*)$' % name, body, re.M)
        return [int(x) for x in m.group(1).split() if x.isdigit()] if m else []
    uid, gid, groups = field('Uid'), field('Gid'), field('Groups')
    if len(uid) < 2 or len(gid) < 2:
        return None
    return uid, gid, groups

def config_candidates1(name, args, env):
    base, var = ('influxdb-meta.conf', 'INFLUXDB_META_CONFIG_PATH') if name == 'influxd-meta' else ('influxdb.conf', 'INFLUXDB_CONFIG_PATH')
    cfg, shown, hidden = flags1(args)
    if not cfg:
        cfg = env.get(var, '')
    if cfg:
        return [cfg], shown, hidden, True
    home = env.get('HOME', '')
    return ['%s/.influxdb/%s' % (home, base), '/etc/influxdb/' + base], shown, hidden, False

def config_candidates2(env):
    c = env.get('INFLUXD_CONFIG_PATH', '') or '.'
    if re.search(r'\.(json|toml|yaml|yml)$', c, re.I):
        return [c]
    return [c.rstrip('/') + '/config.' + e for e in ('json', 'toml', 'yaml', 'yml')]

def read_first(candidates, must):
    """Reader-side: the first candidate that exists, read; {'path', 'text'} or {'path', 'problem'} or {}."""
    def work(rootfd, cwdfd):
        for i, c in enumerate(candidates):
            try:
                in_root_stat(rootfd, cwdfd, c)
            except OSError as e:
                if must and i == len(candidates) - 1:
                    return {'path': c, 'problem': 'not found or not readable (%s)' % reason_of(e)}
                continue
            try:
                return {'path': c, 'text': in_root_read(rootfd, cwdfd, c, MAXFILE).decode('utf-8', 'replace')}
            except (OSError, ValueError) as e:
                return {'path': c, 'problem': reason_of(e) if isinstance(e, OSError) else str(e)}
        return {}
    return work

def file_facts(pid, entries):
    """Reader-side: certificate and key files. Keys: stat only. Certificates: read (to see a combined PEM) and dated with openssl."""
    openssl = safe_tool('openssl')
    def work(rootfd, cwdfd):
        out = []
        for role, path in entries:
            f = {'role': role, 'path': path}
            try:
                st = in_root_stat(rootfd, cwdfd, path)
            except OSError as e:
                f['exists'] = False
                if e.errno not in (errno.ENOENT, errno.ENOTDIR):
                    f['problem'] = reason_of(e)
                out.append(f)
                continue
            f.update({'exists': True, 'uid': st.st_uid, 'gid': st.st_gid, 'mode': '%o' % (st.st_mode & 0o7777)})
            if role in KEY_ROLES:
                out.append(f)
                continue
            try:
                pem = in_root_read(rootfd, cwdfd, path, 65536)
                f['containsPrivateKey'] = b'PRIVATE KEY' in pem
                if b'BEGIN CERTIFICATE' in pem and openssl:
                    x = text(run_tool([openssl, 'x509', '-noout', '-enddate', '-subject'], pem, 5) or b'')
                    m1, m2 = re.search(r'^notAfter=(.*)$', x, re.M), re.search(r'^subject=\s*(.*)$', x, re.M)
                    if m1:
                        f['notAfter'] = m1.group(1)[:60]
                    if m2:
                        f['subject'] = m2.group(1)[:200]
            except (OSError, ValueError) as e:
                f['containsPrivateKey'] = False
                f['problem'] = reason_of(e) if isinstance(e, OSError) else str(e)
            out.append(f)
        return out
    return work

def group_of(gid):
    try:
        with open('/etc/group', 'rb') as f:
            for line in f.read(1 << 20).split(b'\n'):
                p = line.split(b':')
                if len(p) > 2 and p[2] == str(gid).encode():
                    return text(p[0])
    except OSError:
        pass
    return str(gid)

def distrust(name, ids, exe, container):
    ruid, euid = ids[0][0], ids[0][1]
    service = (SERVICE_UID, SERVICE_UID3) if name == 'influxdb3' else (SERVICE_UID,)
    for u in (ruid, euid):
        if u != 0 and u not in service:
            return 'run by %s (uid %d), neither root nor %s' % (user_of(u), u, ' nor '.join([SERVICE_USER] + ([SERVICE_USER3] if name == 'influxdb3' else [])))
    if not exe:
        return 'its executable cannot be read'
    base = exe[:-len(' (deleted)')] if exe.endswith(' (deleted)') else exe
    if os.path.basename(base) != name and not (name != 'influxdb3' and os.path.basename(base) in NAMES[:2]):
        return 'its executable is not %s' % ('influxdb3' if name == 'influxdb3' else 'influxd')
    if container or exe.endswith(' (deleted)'):
        return None  # judged from what its bytes and files say; ownership inside a namespace proves nothing
    return untrusted_path(exe)

def proc_strings(pid, name):
    """/proc/PID/cmdline or environ as strings, and whether it was read whole."""
    b = read_proc(pid, name, ARGS_MAX + 1) or b''
    return [text(a) for a in b[:ARGS_MAX].split(b'\0')[:-1]], len(b) <= ARGS_MAX

def cmd_args(pid):
    return proc_strings(pid, 'cmdline')[0]

def serve_at(args):
    """Where `serve` is among an influxdb3 command line's words, or None (a client: `query`, `create token`, ...). Global
    options may come first (3.6.0 runs `influxdb3 --num-io-threads 2 serve ...`); each takes a value (`--opt v` or
    `--opt=v`; -h and -V exit), so the first word that is neither an option nor its value is the subcommand."""
    i = 1
    while i < len(args):
        a = args[i]
        if not a.startswith('-'):
            return i if a == 'serve' else None
        i += 1 if '=' in a else 2
    return None

def flags3(args):
    """influxdb3 serve (clap): the wanted options. A boolean flag takes no value; `--flag=value` or `--flag value`; a
    value never starts with '-' (clap refuses it), so an unknown flag followed by one is a flag without a value."""
    out, i = {}, (serve_at(args) or 1) + 1
    while i < len(args):
        a = args[i]
        if a == '--':
            break
        if not a.startswith('--'):
            i += 1
            continue
        f, eq, v = a[2:].partition('=')
        if not eq:
            nxt = args[i + 1] if i + 1 < len(args) else None
            if f in BOOL3:
                v = 'true'
            elif nxt is not None and not nxt.startswith('-'):
                v = nxt
                i += 1
            elif f in OPTIONAL3:
                v = OPTIONAL3[f]
            else:
                v = ''
        if f in WANTED3:
            out[f] = v
        i += 1
    return out

def secret_flags(args):
    """Flags on the command line whose name says they carry a credential: {name: 'set'|'empty'}, never the value."""
    out, i = {}, 1
    while i < len(args) and len(out) < 16:
        a = args[i]
        i += 1
        if not a.startswith('-') or a in ('-', '--'):
            continue
        f, eq, v = a.lstrip('-').partition('=')
        if not SECRET_FLAG.search(f) or NOT_SECRET_FLAG.search(f):
            continue
        if not eq:
            v = args[i] if i < len(args) and not args[i].startswith('-') else ''
        out[clip(f, 60)] = 'set' if v.strip() else 'empty'
    return out

V3_CATALOG_MAX_FILES = 2000
V3_CATALOG_MAX_NAMES = 200000
V3_CATALOG_MAX_BYTES = 16 << 20
def catalog3(data_dir, node_id):
    """Reader-side: whether the InfluxDB 3 catalog in a local-file object store (<data-dir>/<node-id>/catalog/v2: a
    `snapshot` and `logs/<sequence>.catalog`, each `idb3.004.` + type + 4 bytes + JSON, as 3.6.0 writes them) holds
    the admin token `_admin`: {'format', 'adminToken': true|false|null, 'reason'}. Read as data, never through the
    server. Measured on 3.6.0 (test/host/v3.test.ts, v3-catalog.test.ts): the snapshot is rewritten at every
    hundredth sequence number and the log files are all kept, so only those after the snapshot are read; its
    `tokens.repo` is a list of [id, token] pairs; `_admin` is created by CreateAdminToken, kept by
    RegenerateAdminToken (token id 0), and never deleted (the server refuses: 405), so deleting another token
    changes nothing here."""
    def work(rootfd, cwdfd):
        base = '%s/%s/catalog/v2' % (data_dir.rstrip('/') or '/', node_id)
        res = {'path': base, 'format': None, 'adminToken': None}
        try:
            dfd = resolve(rootfd, cwdfd, base + '/logs')
        except OSError as e:
            res['reason'] = 'catalog logs %s' % reason_of(e)
            return res
        try:
            lfd = os.open('.', os.O_RDONLY | os.O_DIRECTORY, dir_fd=dfd)
            try:
                names = os.listdir(lfd)
            finally:
                os.close(lfd)
        except OSError as e:
            res['reason'] = 'catalog logs %s' % reason_of(e)
            return res
        finally:
            os.close(dfd)
        logs = sorted(n for n in names if re.match(r'^\d{20}\.catalog$', n))
        if len(logs) != len(names) or len(names) > V3_CATALOG_MAX_NAMES:
            res['reason'] = 'the catalog holds files of another form, or more than %d' % V3_CATALOG_MAX_NAMES
            return res
        budget = [V3_CATALOG_MAX_BYTES]
        def load(path, kind):
            try:
                b = in_root_read(rootfd, cwdfd, path, min(budget[0], 4 << 20))
            except (OSError, ValueError) as e:
                raise ValueError('%s: %s' % (path.rsplit('/', 1)[-1], reason_of(e) if isinstance(e, OSError) else e))
            budget[0] -= len(b)
            if b[:9] != b'idb3.004.' or b[9:10] != kind:
                raise ValueError('%s is not in the catalog format of InfluxDB 3.6.0 (idb3.004)' % path.rsplit('/', 1)[-1])
            return json.loads(b[14:].decode('utf-8'))
        def token_name(entry):
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict)
                    and isinstance(entry[1].get('name'), str)):
                raise ValueError('the snapshot holds tokens in a form not known')
            return entry[1]['name']
        present, named, after = False, False, 0
        try:
            try:
                in_root_stat(rootfd, cwdfd, base + '/snapshot')
                snap = load(base + '/snapshot', b's')
            except OSError:
                snap = None
            if snap is not None:
                if not isinstance(snap, dict) or not isinstance(snap.get('sequence', 0), int):
                    raise ValueError('the snapshot has no sequence number')
                after = snap.get('sequence') or 0
                repo = (snap.get('tokens') or {}).get('repo')
                if not isinstance(repo, list):
                    raise ValueError('the snapshot has no token list')
                tokens = [token_name(e) for e in repo]
                present, named = '_admin' in tokens, bool(tokens)
            logs = [n for n in logs if int(n[:20]) > after]
            if len(logs) > V3_CATALOG_MAX_FILES:
                raise ValueError('more than %d catalog log files after the snapshot' % V3_CATALOG_MAX_FILES)
            for n in logs:
                batch = load(base + '/logs/' + n, b'l').get('catalog_batch')
                if not isinstance(batch, dict):
                    raise ValueError('%s has no catalog batch' % n)
                tok = batch.get('Token')
                if tok is None:
                    continue
                for op in (tok.get('ops') or []):
                    kind = next(iter(op), '') if isinstance(op, dict) else ''
                    body = op.get(kind) if kind else None
                    body = body if isinstance(body, dict) else {}
                    if kind == 'RegenerateAdminToken' or (kind == 'CreateAdminToken' and body.get('name') == '_admin'):
                        present = True
                    elif kind == 'CreateAdminToken':
                        named = True
                    elif kind == 'DeleteToken' and isinstance(body.get('token_name'), str) and body['token_name'] != '_admin':
                        continue
                    else:
                        raise ValueError('%s: a token operation not known here (%s)' % (n, clip(kind, 40)))
            if named and not present:
                raise ValueError('admin tokens other than _admin, and no _admin: not decided here')
        except (ValueError, AttributeError, TypeError) as e:
            res['reason'] = clip(str(e), 200)
            return res
        res.update({'format': 'idb3.004', 'adminToken': present, 'files': len(logs)})
        return res
    return work

def version3(data):
    """InfluxDB 3 (Rust) from its bytes: influxdb3_process keeps the package version, the "UNKNOWN" fallback, the git
    revision and its 10-character prefix side by side (3.6.0: `3.6.0UNKNOWN7e07b134…7e07b134f4`)."""
    at = 0
    while True:
        i = data.find(b'UNKNOWN', at)
        if i < 0:
            return None
        at = i + 1
        m = re.match(rb'([0-9a-f]{40})([0-9a-f]{7,12})', data[i + 7:i + 7 + 52])
        if not m or not m.group(1).startswith(m.group(2)[:7]):
            continue
        v = re.search(rb'(\d{1,3}\.\d{1,3}\.\d{1,3}(?:-[0-9a-z.]{1,20})?)$', data[max(0, i - 32):i])
        if v:
            return v.group(1).decode('ascii')

ENDED = 'the process ended while it was read'

def collect_process(pid, name, ids, exe, container, started):
    """(its entry, its files), or (None, []) when it ended while read: its pid may be another process's by then."""
    args, whole_args = proc_strings(pid, 'cmdline')
    environ, whole_env = proc_strings(pid, 'environ')
    if not same(pid, started):
        return None, []
    env = {}
    for kv in environ:
        k, sep, v = kv.partition('=')
        if sep and k not in env and (k == 'HOME' or k in ENV_ALLOW):  # the first of duplicates counts (Go's os.Getenv)
            env[k] = v
    uid = ids[0][1]
    def as_its_user(work):
        return as_user(pid, started, (uid, ids[1][1], ids[2]), work)
    facts = as_its_user(lambda rootfd, cwdfd: exe_facts(pid, started, name == 'influxdb3'))
    version, flavour, vsource = checked_version(pid, facts.get('version')), facts.get('flavour') or 'influxdb-1', facts.get('versionSource')
    vsource = vsource if version else None
    if not container and facts.get('md5') and not exe.endswith(' (deleted)'):
        pv = dpkg_version(exe, facts['md5']) or rpm_version(exe, (facts['md5'], facts['sha256']))
        if pv:
            version, vsource = pv, 'package database'
    if facts.get('error') or facts.get('exeError'):
        err('pid %d: its executable could not be read: %s' % (pid, facts.get('error') or facts.get('exeError')))
    shown_env = dict((k, clip(masked(k, v))) for k, v in env.items() if k in ENV_ALLOW)
    p = {'pid': pid, 'name': name, 'user': user_of(uid), 'env': shown_env, 'config': {}, 'headers': {},
         'flavour': flavour, 'container': container, 'version': version, 'versionSource': vsource}
    sf = secret_flags(args)
    if sf:
        p['secretFlags'] = sf
    entries = []
    if flavour == 'influxdb-3' or name == 'influxdb3':
        p['flavour'] = flavour = 'influxdb-3'
        f3 = flags3(args)
        p['flags'] = dict((k, clip(v)) for k, v in f3.items())
        p['cmdline'] = clip(exe + ' serve', 600)
        p['configPath'] = ''
        p['configSource'] = 'defaults'  # influxdb3 reads no configuration file: flags, variables, defaults
        def eff(k):
            return f3[k] if k in f3 else env.get(WANTED3[k]) or ''
        if eff('object-store') == 'file' and eff('data-dir') and eff('node-id'):
            p['catalog'] = as_its_user(catalog3(eff('data-dir'), eff('node-id')))
            if p['catalog'].get('error'):
                p['catalog'] = {'format': None, 'adminToken': None, 'reason': p['catalog']['error']}
            p['catalog'] = dict((k, clip(v, 300) if isinstance(v, str) else v) for k, v in p['catalog'].items())
        entries = [(k, eff(k)) for k in ('tls-cert', 'tls-key') if eff(k)]
    elif flavour == 'influxdb-2':
        p['flags'] = dict((k, clip(masked(k, v))) for k, v in flags2(args).items())
        p['cmdline'] = clip(exe, 600)
        r = as_its_user(read_first(config_candidates2(env), False))
        p['configPath'] = clip(r.get('path', ''), 400)
        p['configSource'] = 'defaults'
        if r.get('error') or r.get('problem'):
            p['configSource'] = 'none'
            err('pid %d: configuration %s %s' % (pid, r.get('path', ''), r.get('error') or r.get('problem')))
        elif 'text' in r:
            body = r['text']
            if len(body.encode()) > 8000:
                p['configSource'] = 'none'
                err('pid %d: configuration %s larger than 8000 bytes' % (pid, r['path']))
            else:
                m = mask2(body)
                if m is None:
                    p['configSource'] = 'none'
                    err('pid %d: configuration %s holds a secret value over several lines or not clearly delimited: not sent' % (pid, r['path']))
                elif len(m) > 8000:  # "set" is longer than a short secret: measured again once masked
                    p['configSource'] = 'none'
                    err('pid %d: configuration %s larger than 8000 characters once its secret values are masked' % (pid, r['path']))
                else:
                    fmt = r['path'].rsplit('.', 1)[-1].lower()
                    p['configSource'] = 'file'
                    p['configFile'] = {'format': 'yaml' if fmt == 'yml' else fmt, 'text': m}
                    entries += tls2_paths(body)
        entries = [(k, v) for k, v in flags2(args).items() if k in ('tls-cert', 'tls-key')] + \
                  [(k, env[n]) for k, n in (('tls-cert', 'INFLUXD_TLS_CERT'), ('tls-key', 'INFLUXD_TLS_KEY')) if n in env] + entries
    else:
        cands, shown, hidden, named = config_candidates1(name, args, env)
        p['cmdline'] = clip(exe + (' ' + shown if shown else '') + (' [%d other arguments not shown]' % hidden if hidden else ''), 600)
        if cands == ['/dev/null']:
            cands, named = [], False
        r = as_its_user(read_first(cands, named)) if cands else {}
        p['configPath'] = clip(r.get('path', cands[0] if named else ''), 400)
        if r.get('error') or r.get('problem'):
            p['configSource'] = 'none'
            err('pid %d: configuration %s %s' % (pid, r.get('path', ''), r.get('error') or r.get('problem')))
        elif 'text' in r:
            p['configSource'] = 'file'
            config, headers, why = toml_pairs(r['text'])
            if why:
                p['configSource'] = 'none'
                config, headers = {}, {}
                err('pid %d: configuration %s cannot be read as influxd reads it: %s' % (pid, r['path'], why))
            p['config'] = dict((k, clip(masked(k, v))) for k, v in config.items())
            p['headers'] = dict((clip(k, 80), clip('empty' if v == '' else 'set', 200) if re.search(r'AUTH|COOKIE|TOKEN|SECRET|KEY|PASS', k.upper()) else clip(v, 200))
                                for k, v in headers.items())
        else:
            p['configSource'] = 'defaults'
        for k in ('http.https-certificate', 'http.https-private-key', 'meta.https-certificate', 'meta.https-private-key'):
            path = env.get('INFLUXDB_' + re.sub('[.-]', '_', k).upper()) or (config.get(k) if 'text' in r else None)
            if path:
                entries.append((k, path))
    seen, uniq = set(), []
    for role, path in entries:
        if path and path not in seen and len(uniq) < 4:
            seen.add(path)
            uniq.append((role, path))
    files = as_its_user(file_facts(pid, uniq)) if uniq else []
    if isinstance(files, dict):
        err('pid %d: certificate and key files: %s' % (pid, files.get('error')))
        files = []
    for f in files:
        if 'uid' in f:
            f['owner'], f['group'] = user_of(f.pop('uid')), group_of(f.pop('gid'))
        if f.get('problem'):
            err('pid %d: %s %s: %s' % (pid, f['role'], clip(f['path'], 80), f.pop('problem')))
        f['path'] = clip(f['path'], 400)
    if not same(pid, started):
        return None, []
    if not (whole_args and whole_env):
        p['configSource'] = 'none'
        err('pid %d: its %s is longer than %d bytes: not read whole' % (pid, 'command line' if not whole_args else 'environment', ARGS_MAX))
    return p, files

# ─────────────── listeners, systemd ───────────────

def canonical_ip(addr):
    """An address as inet_ntop writes it (ss and the kernel tables spell them differently), or None."""
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_ntop(fam, socket.inet_pton(fam, addr))
        except (OSError, ValueError):
            continue
    return None

def kernel_listening():
    """(address, port) of every listening TCP socket in the kernel's tables (/proc/net/tcp, tcp6), or None without them."""
    found, read = set(), False
    for fn, fam in (('/proc/net/tcp', socket.AF_INET), ('/proc/net/tcp6', socket.AF_INET6)):
        try:
            with open(fn) as f:
                body = f.read(16 << 20)
        except OSError:
            continue
        read = True
        for line in body.split('\n')[1:]:
            f = line.split()
            if len(f) < 4 or f[3] != '0A' or ':' not in f[1]:
                continue
            ip, port = f[1].split(':')
            try:  # each 32-bit word as the kernel printed it: the address's bytes in this host's byte order
                raw = b''.join(struct.pack('=I', int(ip[i:i + 8], 16)) for i in range(0, len(ip), 8))
                found.add((socket.inet_ntop(fam, raw), int(port, 16)))
            except (ValueError, OSError, struct.error):
                continue
    return found if read else None

def listeners(only):
    ss = safe_tool('ss')
    rows, source = [], 'none'
    out = run_tool([ss, '-H', '-ltnp']) if ss else None
    # ss prints process names as they are: a name holding a newline forges a line of its own ("\nLISTEN 0 0 :22 ").
    # A row counts only when the kernel has that listening socket.
    kernel = kernel_listening() if out is not None else None
    if out is not None:
        source = 'ss'
        for line in text(out).split('\n'):
            f = line.split()
            if len(f) < 4 or f[0] != 'LISTEN':
                continue
            local, proc, pid = f[3], '', None
            i = line.find('users:(("')
            if i >= 0:
                rest = line[i + 9:]
                j = rest.find('",pid=')
                if j >= 0:
                    proc = rest[:j]
                    m = re.match(r'\d+', rest[j + 6:])
                    pid = int(m.group(0)) if m else None
            port = local.rsplit(':', 1)[-1]
            addr = re.sub(r'%.*', '', local.rsplit(':', 1)[0].strip('[]'))
            addr = '::' if addr == '*' else addr
            if kernel is not None and (not port.isdigit() or (canonical_ip(addr), int(port)) not in kernel):
                continue
            rows.append((addr, port, pid, proc))
    elif os.path.exists('/proc/net/tcp'):
        source = '/proc/net/tcp'
        for fn in ('/proc/net/tcp', '/proc/net/tcp6'):
            try:
                body = open(fn).read(4 << 20)
            except OSError:
                continue
            for line in body.split('\n')[1:]:
                f = line.split()
                if len(f) < 4 or f[3] != '0A':
                    continue
                ip, port = f[1].split(':')
                if len(ip) == 8:
                    addr = '.'.join(str(int(ip[i:i + 2], 16)) for i in (6, 4, 2, 0))
                else:
                    addr = {'0' * 32: '::', '0' * 24 + '01000000': '::1'}.get(ip, 'ipv6:' + ip)
                rows.append((addr, str(int(port, 16)), None, ''))
    seen, pub, lo = set(), [], []
    for addr, port, pid, proc in rows:
        if only is not None and pid not in only:
            continue
        if (addr, port, pid) in seen or not port.isdigit():
            continue
        seen.add((addr, port, pid))
        e = {'address': clip(addr, 60), 'port': int(port), 'process': clip(proc, 40), 'pid': pid}
        (lo if addr.startswith('127.') or addr == '::1' else pub).append(e)
    return pub, lo, source

def systemd_env():
    units = ['/etc/systemd/system/influxdb.service', '/lib/systemd/system/influxdb.service', '/usr/lib/systemd/system/influxdb.service',
             '/etc/systemd/system/influxdb-meta.service', '/lib/systemd/system/influxdb-meta.service']
    try:
        units += sorted('/etc/systemd/system/influxdb.service.d/' + n for n in os.listdir(ROOT + '/etc/systemd/system/influxdb.service.d') if n.endswith('.conf'))
    except OSError:
        pass
    files = []
    for u in units:
        body = host_file(ROOT + u)
        for m in re.finditer(r'^EnvironmentFile=-?(.*)$', body or '', re.M):
            if m.group(1) not in files and len(files) < 16:
                files.append(m.group(1))
    env = {}
    for f in files:
        for line in (host_file(ROOT + f) or '').split('\n')[:2000]:
            m = re.match(r'^\s*(?:export\s+)?(INFLUXDB_[A-Z0-9_]*)=(.*)$', line)
            if m and m.group(1) in ENV_ALLOW:
                v = m.group(2)
                if len(v) >= 2 and v[0] == v[-1] == '"':
                    v = v[1:-1]
                env[m.group(1)] = clip(masked(m.group(1), v))  # the last assignment counts (systemd)
    return [clip(f, 400) for f in files], env

MISSING = 'missing'
def untrusted_route(path):
    """Why root cannot rely on the file at `path` (None when it can; MISSING when there is none): every directory and
    link on the way to it, and the file itself, root's and not writable by group or others (a directory may be when
    sticky, as /tmp: then nobody else can rename what root put in it). Walked with lstat one component at a time: what
    root alone controls cannot change between this walk and the open that follows it."""
    def loose(st, is_dir):
        return st.st_mode & 0o022 and not (is_dir and st.st_mode & stat.S_ISVTX)
    todo = [c for c in path.split('/') if c not in ('', '.')]
    todo.reverse()
    cur, links = '/', 0
    st = os.lstat('/')
    if st.st_uid != 0 or loose(st, True):
        return '/ is not root-controlled'
    while todo:
        c = todo.pop()
        if c == '..':
            cur = os.path.dirname(cur)  # every directory above `cur` was checked on the way down
            continue
        nxt = os.path.join(cur, c)
        try:
            st = os.lstat(nxt)
        except OSError:
            return MISSING
        if st.st_uid != 0:
            return '%s is owned by uid %d, not root' % (nxt, st.st_uid)
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > 40:
                return 'too many links'
            target = os.readlink(nxt)
            todo.extend(reversed([x for x in target.split('/') if x not in ('', '.')]))
            if target.startswith('/'):
                cur = '/'
            continue
        if loose(st, stat.S_ISDIR(st.st_mode)):
            return '%s is writable by group or others' % nxt
        if stat.S_ISDIR(st.st_mode):
            cur = nxt
        elif todo:
            return MISSING
        elif not stat.S_ISREG(st.st_mode):
            return '%s is not a regular file' % nxt
        else:
            return None
    return '%s is not a regular file' % path

def host_file(path):
    """A host configuration file root alone controls (systemd units and the files they name; issue 27's rule for the
    collector's own reads as root): regular files only, capped. Anyone else's (the influxdb account's, a link it made,
    a FIFO, a device) is never opened: said in the errors."""
    why = untrusted_route(path)
    if why:
        if why != MISSING:
            err('systemd: %s not read: %s' % (clip(path, 120), clip(why, 120)))
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return os.read(fd, 65536).decode('utf-8', 'replace')
    finally:
        os.close(fd)

# ─────────────── budgets ───────────────

def fit_list(items, budget):
    """The longest prefix of items whose JSON fits the budget, and how many were left out."""
    out, used = [], 2
    for x in items:
        n = size(x) + 1
        if used + n > budget:
            break
        out.append(x)
        used += n
    return out, len(items) - len(out)

def shrink_process(p, share):
    """A trusted process's entry within its share: its config file text goes first, then its settings (then nothing may pass)."""
    if size(p) <= share:
        return p
    cut = dict(p)
    for field in ('configFile', 'headers', 'config', 'env', 'flags'):
        if field in cut and size(cut) > share:
            cut[field] = {} if field != 'configFile' else None
            if field == 'configFile':
                del cut['configFile']
            cut['configSource'] = 'none'
    errors.insert(0, 'pid %d: its evidence was over its share of the output (%d characters): configuration not sent' % (p['pid'], share))
    cut['cmdline'] = cut['cmdline'][:200]
    # Still over (its texts escape to up to six times their length): they are cut until it fits.
    for field in ('configPath', 'cmdline'):
        while size(cut) > share and cut[field]:
            cut[field] = cut[field][:len(cut[field]) // 2]
    return cut

def main():
    hook = os.environ.get('INFLUXGUARD_PIDS')
    pids = [int(x) for x in hook.split() if x.isdigit()] if hook is not None else sorted(int(d) for d in os.listdir('/proc') if d.isdigit())
    procs, files, ignored, ignored_over = [], [], [], {}
    versions = []
    found = []
    for pid in pids:
        started = start_time(pid)
        name = text(read_proc(pid, 'comm', 64) or b'').strip()
        if name not in NAMES:
            continue
        ids = status_ids(pid)
        if not ids:
            continue  # gone meanwhile
        try:
            exe = os.readlink('/proc/%d/exe' % pid)
        except OSError:
            exe = ''
        container = namespaces_differ(pid)
        if name == 'influxdb3' and serve_at(cmd_args(pid)) is None:
            continue  # a client (`influxdb3 query`, `create token`…) or anything else, not a server
        why = distrust(name, ids, exe, container)
        if not same(pid, started):
            continue  # gone meanwhile (its pid may be another's: what was read may mix the two)
        found.append((pid, name, ids, exe, container, why, started))
    # The limit leaves out the last of: the host's own processes first, then those of other namespaces (anyone with a
    # user namespace of their own can start those), each oldest first (not by pid: pids wrap).
    found.sort(key=lambda f: (f[5] is not None, f[4], f[6], f[0]))
    for pid, name, ids, exe, container, why, started in found:
        if why is None and len(procs) >= MAX_PROCS:
            why = "over the collector's limit of %d processes" % MAX_PROCS
        if why:
            ignored.append({'pid': pid, 'name': clip(name, 40), 'user': clip(user_of(ids[0][1]), 40), 'exe': clip(exe, 200), 'reason': clip(why, 300)})
            key = re.sub(r'/\S*', '…', why)[:80]
            ignored_over[key] = ignored_over.get(key, 0) + 1
            continue
        p, fs = collect_process(pid, name, ids, exe, container, started)
        if p is None:
            err('pid %d: %s (its pid may be another process\'s now): not judged' % (pid, ENDED))
            continue
        procs.append(p)
        versions.append(p['version'])
        # The same path names another file in another process's root or mount namespace: only identical facts are one.
        files += [f for f in fs if f not in files]
    version = None
    if procs:
        known = set(versions)
        if len(known) == 1 and None not in known:
            version = versions[0]
        else:
            err('running influxd versions differ or cannot all be read: %s' % ' '.join(v or 'unknown' for v in versions))
    else:
        for b in ('/usr/bin/influxd', '/usr/local/bin/influxd', '/usr/bin/influxd-meta'):
            if not untrusted_path(b):
                try:
                    fd = os.open(b, os.O_RDONLY)
                except OSError:
                    continue
                try:
                    md5, sha = digests(fd)
                    version = dpkg_version(b, md5) or rpm_version(b, (md5, sha)) or checked_version(0, version_from_binary(fd)[0])
                finally:
                    os.close(fd)
                break
    only = set(pids) if hook is not None else None
    pub, lo, lsource = listeners(only)
    env_files, sys_env = systemd_env()

    # Each section within its own budget.
    ign, ign_left = fit_list(ignored, IGNORED_BUDGET)
    lis, lis_left = fit_list((pub + lo)[:MAX_LISTENERS], LISTENER_BUDGET)
    omitted_pub = max(0, len(pub) - sum(1 for l in lis if not (l['address'].startswith('127.') or l['address'] == '::1')))
    fil, fil_left = fit_list(files[:32], FILE_BUDGET)
    if fil_left or len(files) > 32:
        err('%d certificate or key files not listed (over the section budget)' % (len(files) - len(fil)))
    # Loopback listeners beyond the budget are left out silently: they are not exposure.
    head = {
        'schema': SCHEMA,
        'collectedAt': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'hostname': clip(socket.gethostname(), 100),
        'tools': {'ss': bool(safe_tool('ss')), 'openssl': bool(safe_tool('openssl')),
                  'influxd': any(os.path.exists(os.path.join(d, 'influxd')) for d in SAFE_DIRS), 'python3': True},
        'version': clip(version, 40) if version else None,
    }
    doc = dict(head)
    doc.update({'processes': [], 'ignored': ign, 'listeners': lis, 'listenerSource': lsource, 'listenersOmitted': omitted_pub,
                'files': fil, 'filesOmitted': len(files) - len(fil), 'systemd': {'environmentFiles': env_files, 'env': sys_env}, 'errors': []})
    if ign_left:
        doc['ignoredOmitted'] = {'count': ign_left, 'reasons': dict(list(ignored_over.items())[:8])}
    # Trusted processes share what is left, each its fair part (water-filling: a small one leaves its unused part to the others).
    rest = OUT_MAX - size(doc) - 1600  # room for the errors
    entries = sorted(procs, key=size)
    fitted = {}
    for i, p in enumerate(entries):
        share = rest // (len(entries) - i)
        q = shrink_process(p, share)
        fitted[p['pid']] = q
        rest -= size(q) + 1
    doc['processes'] = [fitted[p['pid']] for p in procs]
    errs, left = fit_list(errors, 1500)
    doc['errors'] = errs + (['%d more errors not listed' % left] if left else [])
    out = json.dumps(doc, ensure_ascii=True, separators=(',', ':'))
    if len(out) > OUT_MAX:  # cannot happen with the budgets above; never a document SSM would cut in the middle
        head.update({'processes': [], 'ignored': [], 'listeners': [], 'listenerSource': 'none', 'files': [],
                     'systemd': {'environmentFiles': [], 'env': {}}, 'truncated': True,
                     'errors': ["the collector's output was %d characters, over its %d-character cap" % (len(out), OUT_MAX)]})
        out = json.dumps(head, ensure_ascii=True, separators=(',', ':'))
    sys.stdout.write(out + '\n')

if __name__ == '__main__':
    main()
PYTHON
