#!/usr/bin/env bash
# docker pull HOST/layer/<cid>:<file> through dockerd's pull path: the image's files (exported from a
# created container), its repo digest against ocipfsd's Docker-Content-Digest for the Accept types
# dockerd sends, and `docker pull --platform linux/arm64`.
set -euo pipefail
E2E_NAME=docker-pull
# shellcheck source=tests/e2e/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
load_state
export DOCKER_HOST="unix://$E2E_STATE/docker/docker.sock"
docker() { timeout 300 /usr/bin/docker "$@"; }

repo="$OCIPFSD_ADDR/layer/$EXAMPLE_CID"
ref="$repo:$EXAMPLE_FILE"
label="ocipfs-e2e-pull-$$"
work=$(mktemp -d)
# forget: removes this test's containers, the layer image and BuildKit's cache, so that dockerd
# holds the layer nowhere and has to fetch it again.
forget() {
  local ids=()
  mapfile -t ids < <(docker ps -aq --filter "label=$label" 2>/dev/null || true)
  ((${#ids[@]} == 0)) || docker rm -f "${ids[@]}" >/dev/null 2>&1 || true
  docker rmi -f "$ref" >/dev/null 2>&1 || true
  docker builder prune --all --force >/dev/null 2>&1 || true
  forget_example_layer_for_proxy
}
trap 'forget; rm -rf "$work"' EXIT


# pull NAME ARGS...: docker pull ARGS... $ref, from nothing; the output goes to $work/NAME.log.
pull() {
  local name=$1 mark
  shift
  forget
  mark=$(log_mark)
  log "docker pull ${*:+$* }$ref"
  if ! docker pull "$@" "$ref" >"$work/$name.log" 2>&1; then
    cat "$work/$name.log" >&2
    fail "docker pull: pulling $ref ($name) failed"
  fi
  expect_layer_fetched "$mark" "$EXAMPLE_CID" "docker pull ($name)"
}

# repo_digest: the digest docker recorded for $repo.
repo_digest() {
  docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$ref" |
    sed -n "s|^$repo@||p" | head -1
}

pull amd64
container=$(docker create --label "$label" "$ref" x) || fail "docker pull: docker create $ref failed"
mkdir -p "$work/rootfs"
docker export "$container" | tar -x -C "$work/rootfs" || fail "docker pull: docker export failed"
expect_example_files "$work/rootfs"

pulled=$(repo_digest)
[[ $pulled == sha256:* ]] || fail "docker pull: no repo digest for $repo in docker image inspect"
grep -q "^Digest: $pulled\$" "$work/amd64.log" ||
  fail "docker pull: docker pull printed $(grep '^Digest:' "$work/amd64.log"), inspect says $pulled"

# dockerd's HEAD manifests/<tag> sends these types, one Accept line each, in an order that changes
# from pull to pull. ocipfsd must give the same answer to every order: the index, which docker takes.
accepts=(application/json application/vnd.oci.image.manifest.v1+json
  application/vnd.docker.distribution.manifest.v2+json
  application/vnd.docker.distribution.manifest.list.v2+json application/vnd.oci.image.index.v1+json
  application/vnd.docker.distribution.manifest.v1+prettyjws)
# head_manifest TYPE...: "DIGEST CONTENT-TYPE" of HEAD manifests/<tag>, one Accept line per TYPE.
head_manifest() {
  local args=() type
  for type; do args+=(-H "Accept: $type"); done
  curl -fsS --max-time 60 -I "${args[@]}" "http://$OCIPFSD_ADDR/v2/layer/$EXAMPLE_CID/manifests/$EXAMPLE_FILE" | tr -d '\r' |
    awk -F': ' 'tolower($1) == "docker-content-digest" { d = $2 }
                tolower($1) == "content-type" { t = $2 }
                END { print d, t }'
}
expected=
for ((i = 0; i < ${#accepts[@]}; i++)); do
  order=("${accepts[@]:i}" "${accepts[@]:0:i}")
  answer=$(head_manifest "${order[@]}") || fail "docker pull: curl -I manifests/$EXAMPLE_FILE failed"
  if [[ -z $expected ]]; then
    expected=$answer
    first_order="${order[*]}"
  elif [[ $answer != "$expected" ]]; then
    fail "docker pull: ocipfsd answers docker's Accept types with '$expected' in the order" \
      "[$first_order] but with '$answer' in the order [${order[*]}]"
  fi
done
[[ $expected == *" application/vnd.oci.image.index.v1+json" ]] ||
  fail "docker pull: ocipfsd answers docker's Accept types with '$expected', not the OCI index"
[[ $pulled == "${expected%% *}" ]] ||
  fail "docker pull: docker recorded $pulled, ocipfsd's Docker-Content-Digest is ${expected%% *}"

# The index lets docker pick another platform's manifest.
pull arm64 --platform linux/arm64
arch=$(docker image inspect --format '{{.Os}}/{{.Architecture}}/{{.Variant}}' "$ref")
[[ $arch == linux/arm64/* ]] || fail "docker pull: --platform linux/arm64 pulled a $arch image"
[[ $(repo_digest) == "$pulled" ]] ||
  fail "docker pull: the arm64 pull recorded $(repo_digest), the amd64 one $pulled"
log "passed"
