#!/usr/bin/env bash
# A real, offline IPFS node (js-ipfs, npm "ipfs" 0.66.1) on loopback for the
# ocipfs tests and quick start, and npm "ipfs-car" 3.1.0, an independent CAR reader.
#
#   ipfs-node.sh install
#   ipfs-node.sh ipfs-car-path                 (prints the ipfs-car CLI, installing it)
#   ipfs-node.sh start    STATE_DIR
#   ipfs-node.sh stop     STATE_DIR
#   ipfs-node.sh add      STATE_DIR FILE NAME [dag-pb|raw] [v0|v1]
#   ipfs-node.sh add-raw  STATE_DIR FILE [dag-pb|raw]
#
# Environment:
#   OCIPFS_IPFS_HOME           where the node is installed
#                              (default $HOME/.cache/ocipfs/ipfs-node)
#   OCIPFS_IPFS_START_TIMEOUT  seconds to wait for the daemon (default 60)
#   OCIPFS_IPFS_STOP_TIMEOUT   seconds between SIGTERM and SIGKILL (default 10)
#   OCIPFS_IPFS_ADD_TIMEOUT    curl --max-time for an add (default 300)
#
# `start` writes STATE_DIR/env (shell-sourceable; it exports, so that the commands run after
# `source STATE_DIR/env`, ocipfs among them, see the variables):
#   export IPFS_API=http://127.0.0.1:PORT  export IPFS_GATEWAY=http://127.0.0.1:PORT
#   export IPFS_PID=PID
# and logs to STATE_DIR/daemon.log. The repo lives in STATE_DIR/repo and is
# created fresh on every start. All ports are chosen by the OS at run time.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
NODE_HOME="${OCIPFS_IPFS_HOME:-${HOME:-/root}/.cache/ocipfs/ipfs-node}"
START_TIMEOUT="${OCIPFS_IPFS_START_TIMEOUT:-60}"
STOP_TIMEOUT="${OCIPFS_IPFS_STOP_TIMEOUT:-10}"
ADD_TIMEOUT="${OCIPFS_IPFS_ADD_TIMEOUT:-300}"
POLL=0.1

log() { printf 'ipfs-node: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

jsipfs_bin() { printf '%s\n' "$NODE_HOME/node_modules/.bin/jsipfs"; }
ipfs_car_bin() { printf '%s\n' "$NODE_HOME/node_modules/.bin/ipfs-car"; }

is_installed() {
  [[ -x "$(jsipfs_bin)" && -x "$(ipfs_car_bin)" ]] &&
    cmp -s "$SCRIPT_DIR/package.json" "$NODE_HOME/.installed-package.json" &&
    cmp -s "$SCRIPT_DIR/package-lock.json" "$NODE_HOME/.installed-package-lock.json"
}

# ---------------------------------------------------------------- install
cmd_install() {
  command -v node >/dev/null || die "node is not on PATH"
  command -v npm >/dev/null || die "npm is not on PATH"
  if is_installed; then
    log "already installed in $NODE_HOME"
    return 0
  fi
  local parent
  parent="$(dirname -- "$NODE_HOME")"
  mkdir -p -- "$parent"
  # Serialize concurrent installs (e.g. two `start`s at once).
  if command -v flock >/dev/null; then
    exec 9>"$NODE_HOME.install-lock"
    log "waiting for the install lock $NODE_HOME.install-lock"
    flock 9
    if is_installed; then
      log "installed meanwhile by another process in $NODE_HOME"
      exec 9>&-
      return 0
    fi
    # Leftovers of an interrupted install (safe: we hold the lock).
    rm -rf -- "$NODE_HOME".new.*
  fi
  local stage
  stage="$(mktemp -d "$NODE_HOME.new.XXXXXX")"
  chmod 755 "$stage"
  log "installing js-ipfs into $NODE_HOME (npm install: about 1 min with an empty npm cache)"
  cp -- "$SCRIPT_DIR/package.json" "$SCRIPT_DIR/package-lock.json" "$stage/"
  local t0=$SECONDS
  # npm ci does not work with this tree: an optional dependency
  # (electron-webrtc > electron-eval > headless) is a GitHub tarball that the
  # lock cannot record. npm install with the committed lock gives the same
  # versions; it tries that tarball, and the short retry back-off keeps its
  # failure (no internet but the npm registry) from costing ~70 s.
  # TMPDIR: the (failing) electron postinstall leaves an empty directory there.
  mkdir -- "$stage/.tmp"
  if ! (cd -- "$stage" && TMPDIR="$stage/.tmp" npm install --no-audit --no-fund \
    --prefer-offline --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=5000 >&2); then
    rm -rf -- "$stage"
    die "npm install failed"
  fi
  rm -rf -- "$stage/.tmp"
  local bin
  for bin in jsipfs ipfs-car; do
    [[ -x "$stage/node_modules/.bin/$bin" ]] || {
      rm -rf -- "$stage"
      die "npm install did not produce node_modules/.bin/$bin"
    }
  done
  # The lock must already say what was installed (npm install would otherwise resolve anew).
  cmp -s -- "$SCRIPT_DIR/package-lock.json" "$stage/package-lock.json" ||
    log "warning: npm install changed package-lock.json; update it in $SCRIPT_DIR with" \
      "npm install --package-lock-only"
  cp -- "$SCRIPT_DIR/package.json" "$stage/.installed-package.json"
  cp -- "$SCRIPT_DIR/package-lock.json" "$stage/.installed-package-lock.json"
  rm -rf -- "$NODE_HOME"
  mv -- "$stage" "$NODE_HOME"
  log "installed in $NODE_HOME in $((SECONDS - t0)) s"
  if command -v flock >/dev/null; then exec 9>&-; fi
}

# ---------------------------------------------------------------- helpers
abs_dir() { # create and resolve a directory
  mkdir -p -- "$1"
  (cd -- "$1" && pwd -P)
}

env_get() { # env_get FILE KEY -> value of KEY=... or export KEY=... (no sourcing, no eval)
  local line
  [[ -f "$1" ]] || return 1
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line#export }"
    if [[ "$line" == "$2="* ]]; then
      printf '%s\n' "${line#*=}"
      return 0
    fi
  done <"$1"
  return 1
}

# True if PID is alive and is a node process whose IPFS_PATH is REPO (guards
# against PID reuse; js-ipfs sets its process title to "ipfs", so its command
# line cannot be used).
is_our_daemon() { # is_our_daemon PID REPO
  local pid="$1" exe
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ "${exe##*/}" == node* ]] || return 1
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "IPFS_PATH=$2"
}

# Waits up to $2 seconds for PID $1 to exit; returns 1 on timeout.
wait_gone() {
  local pid="$1" polls=$(($2 * 10)) # POLL is 0.1 s
  while kill -0 "$pid" 2>/dev/null; do
    # An exited process whose parent (init, after we exited) has not reaped
    # it yet is a zombie: it counts as gone once no thread of it runs.
    if [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)" == Z ]]; then
      local tasks=("/proc/$pid/task/"*)
      ((${#tasks[@]} <= 1)) && return 0
    fi
    ((polls-- > 0)) || return 1
    sleep "$POLL"
  done
}

kill_daemon() { # kill_daemon PID TIMEOUT
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$2"; then
    log "daemon $pid did not exit within $2 s of SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || log "warning: daemon $pid still present after SIGKILL"
  fi
}

# ---------------------------------------------------------------- start
write_init_config() { # write_init_config FILE
  cat >"$1" <<'EOF'
{
  "Addresses": {
    "Swarm": ["/ip4/127.0.0.1/tcp/0"],
    "Announce": [],
    "NoAnnounce": [],
    "API": "/ip4/127.0.0.1/tcp/0",
    "RPC": "/ip4/127.0.0.1/tcp/0",
    "Gateway": "/ip4/127.0.0.1/tcp/0",
    "Delegates": []
  },
  "Bootstrap": [],
  "Discovery": {
    "MDNS": { "Enabled": false, "Interval": 10 },
    "webRTCStar": { "Enabled": false }
  },
  "Routing": { "Type": "none" }
}
EOF
}

# Prints the port of the first "<what> listening on /ip4/127.0.0.1/tcp/PORT"
# line of the daemon log, or nothing.
log_port() { # log_port LOGFILE WHAT
  sed -n "s#^.*$2 listening on /ip4/127\.0\.0\.1/tcp/\([0-9][0-9]*\).*#\1#p" "$1" | head -n 1
}

cmd_start() {
  [[ $# -eq 1 ]] || usage
  local state repo logf envf pid api_port gw_port deadline t0
  state="$(abs_dir "$1")"
  repo="$state/repo"
  logf="$state/daemon.log"
  envf="$state/env"

  if pid="$(env_get "$envf" IPFS_PID)" && is_our_daemon "$pid" "$repo"; then
    die "a daemon (pid $pid) is already running for $state; stop it first"
  fi

  cmd_install

  t0=$SECONDS
  rm -rf -- "$repo" "$envf"
  mkdir -p -- "$repo"
  write_init_config "$state/init-config.json"
  log "initializing an empty offline repo in $repo"
  if ! IPFS_PATH="$repo" "$(jsipfs_bin)" init --profile test --empty-repo \
    "$state/init-config.json" >"$state/init.log" 2>&1 </dev/null; then
    cat "$state/init.log" >&2
    die "jsipfs init failed"
  fi

  log "starting the daemon (log: $logf)"
  : >"$logf"
  IPFS_PATH="$repo" nohup "$(jsipfs_bin)" daemon --offline --enable-preload=false \
    </dev/null >"$logf" 2>&1 &
  pid=$!
  trap 'fail "interrupted"' INT TERM

  fail() {
    log "error: $*"
    log "---- last lines of $logf ----"
    tail -n 40 "$logf" >&2 || true
    log "----"
    trap - INT TERM
    kill_daemon "$pid" 5
    rm -rf -- "$repo/api" "$repo/repo.lock"
    exit 1
  }

  deadline=$((SECONDS + START_TIMEOUT))
  api_port="" gw_port=""
  while :; do
    kill -0 "$pid" 2>/dev/null || fail "the daemon exited during start-up"
    ((SECONDS < deadline)) || fail "the daemon was not ready within $START_TIMEOUT s"
    if grep -q 'Daemon is ready' "$logf"; then
      api_port="$(log_port "$logf" 'HTTP API')"
      gw_port="$(log_port "$logf" 'Gateway (read only)')"
      [[ -n "$api_port" && -n "$gw_port" ]] ||
        fail "could not read the API and gateway ports from $logf"
      # The API answers POST /api/v0/id, the gateway answers anything.
      if curl -sS -o /dev/null --max-time 5 -X POST --fail \
        "http://127.0.0.1:$api_port/api/v0/id" 2>/dev/null &&
        curl -s -o /dev/null --max-time 5 \
          "http://127.0.0.1:$gw_port/ipfs/" 2>/dev/null; then
        break
      fi
    fi
    sleep "$POLL"
  done

  {
    printf 'export IPFS_API=http://127.0.0.1:%s\n' "$api_port"
    printf 'export IPFS_GATEWAY=http://127.0.0.1:%s\n' "$gw_port"
    printf 'export IPFS_PID=%s\n' "$pid"
  } >"$envf.tmp"
  mv -- "$envf.tmp" "$envf"
  trap - INT TERM
  log "ready in $((SECONDS - t0)) s: API http://127.0.0.1:$api_port, gateway http://127.0.0.1:$gw_port, pid $pid (env: $envf)"
}

# ---------------------------------------------------------------- stop
cmd_stop() {
  [[ $# -eq 1 ]] || usage
  local state="$1" pid
  if [[ ! -d "$state" ]]; then
    log "nothing to stop in $state"
    return 0
  fi
  state="$(cd -- "$state" && pwd -P)"
  if pid="$(env_get "$state/env" IPFS_PID)" && is_our_daemon "$pid" "$state/repo"; then
    log "stopping daemon $pid"
    kill_daemon "$pid" "$STOP_TIMEOUT"
  else
    log "no running daemon recorded in $state/env"
  fi
  rm -rf -- "$state/repo/api" "$state/repo/repo.lock" "$state/env"
}

# ---------------------------------------------------------------- add
api_url() { # api_url STATE_DIR
  local url
  url="$(env_get "$1/env" IPFS_API)" || die "no $1/env; is the node started?"
  printf '%s\n' "$url"
}

form_quote() { # escape \ and " for a quoted curl -F value
  local s="${1//\\/\\\\}"
  printf '%s' "${s//\"/\\\"}"
}

urlencode() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }

# rpc_add STATE_DIR FILE FILENAME QUERY -> NDJSON body on stdout
rpc_add() {
  local url out code
  url="$(api_url "$1")"
  [[ -f "$2" && -r "$2" ]] || die "not a readable file: $2"
  if ! out="$(curl -sS -w '\n%{http_code}' --max-time "$ADD_TIMEOUT" -X POST \
    -F "file=@\"$(form_quote "$2")\";filename=\"$(form_quote "$3")\"" \
    "$url/api/v0/add?$4")"; then
    die "POST $url/api/v0/add failed"
  fi
  code="${out##*$'\n'}"
  out="${out%$'\n'*}"
  if [[ "$code" != 200 ]]; then
    printf '%s\n' "$out" >&2
    die "POST $url/api/v0/add answered HTTP $code"
  fi
  printf '%s\n' "$out"
}

# Reads the add NDJSON on stdin; prints the Hash of the entry named $1
# (or of the only entry when $1 is empty), then, with $2 = dir, the Hash of
# the wrapping directory (Name "").
parse_add() {
  node -e '
    const [want, mode] = process.argv.slice(1);
    let input = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d) => { input += d; });
    process.stdin.on("end", () => {
      const rows = [];
      for (const line of input.split("\n")) {
        if (!line.trim()) continue;
        let o;
        try { o = JSON.parse(line); } catch (e) {
          console.error("ipfs-node: unparsable add answer: " + line); process.exit(1);
        }
        if (o.Type === "error" || (o.Message && !o.Hash)) {
          console.error("ipfs-node: add failed: " + (o.Message || line)); process.exit(1);
        }
        if (o.Hash) rows.push(o);
      }
      const fail = (m) => {
        console.error("ipfs-node: " + m + "; answer was:\n" + input); process.exit(1);
      };
      if (mode === "dir") {
        const file = rows.find((o) => o.Name === want);
        const dir = rows.find((o) => o.Name === "");
        if (!file) fail("no entry named " + JSON.stringify(want));
        if (!dir) fail("no wrapping directory entry");
        console.log(file.Hash);
        console.log(dir.Hash);
      } else {
        if (rows.length !== 1) fail("expected one entry, got " + rows.length);
        console.log(rows[0].Hash);
      }
    });
  ' "$1" "$2"
}

leaf_query() { # leaf_query dag-pb|raw
  case "$1" in
  raw) printf 'raw-leaves=true' ;;
  dag-pb) printf 'raw-leaves=false' ;;
  *) die "leaf format must be dag-pb or raw, not '$1'" ;;
  esac
}

cmd_add() {
  [[ $# -ge 3 && $# -le 5 ]] || usage
  local state="$1" file="$2" name="$3" leaves="${4:-raw}" ver="${5:-v1}" q out
  [[ -n "$name" && "$name" != */* && "$name" != . && "$name" != .. ]] ||
    die "NAME must be a single path component, not '$name'"
  q="$(leaf_query "$leaves")&wrap-with-directory=true"
  case "$ver" in
  v1) q="cid-version=1&cid-base=base32&$q" ;;
  v0)
    [[ "$leaves" == dag-pb ]] ||
      die "v0 needs dag-pb leaves (a raw leaf always has a CIDv1): add STATE_DIR FILE NAME dag-pb v0"
    q="cid-version=0&$q"
    ;;
  *) die "CID version must be v0 or v1, not '$ver'" ;;
  esac
  out="$(rpc_add "$state" "$file" "$(urlencode "$name")" "$q")"
  parse_add "$name" dir <<<"$out"
}

cmd_add_raw() {
  [[ $# -ge 2 && $# -le 3 ]] || usage
  local state="$1" file="$2" leaves="${3:-raw}" q out
  q="cid-version=1&cid-base=base32&$(leaf_query "$leaves")"
  out="$(rpc_add "$state" "$file" "file" "$q")"
  parse_add "" single <<<"$out"
}

# ---------------------------------------------------------------- ipfs-car
cmd_ipfs_car_path() {
  [[ $# -eq 0 ]] || usage
  cmd_install
  printf '%s\n' "$(cd -- "$NODE_HOME" && pwd -P)/node_modules/.bin/ipfs-car"
}

# ---------------------------------------------------------------- main
[[ $# -ge 1 ]] || usage
sub="$1"
shift
case "$sub" in
install) [[ $# -eq 0 ]] || usage; cmd_install ;;
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
add) cmd_add "$@" ;;
add-raw) cmd_add_raw "$@" ;;
ipfs-car-path) cmd_ipfs_car_path "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
