#!/usr/bin/env bash
# Builds the real peers h3 is tested and benchmarked against (Helm 3 and 4, oras, crane, cosign, and
# distribution v3 as a second registry implementation; v3.1.2 serves no OCI 1.1 referrers API, and
# zot, which does, is not served by the Go module proxy) with `go install`, pinned, into a
# cache folder outside the checkout: $H3_PEERS_DIR, default ~/.cache/h3-peers/<tool>-<version>/.
# What is there already is skipped, so a warm machine pays nothing. A peer that fails to build is
# named and left out; the tests that need it then skip with a line saying so.
# `--path` builds nothing and prints the folders of the peers it has as a PATH fragment (a:b:c);
# tests/helpers/peers.ts asks it that way, so only this script knows the layout and the versions.
# A go older than a module needs fetches the toolchain it asks for (GOTOOLCHAIN=auto).
set -uo pipefail

dir="${H3_PEERS_DIR:-$HOME/.cache/h3-peers}"
# name version package (the binary is named after the package's last element, renamed to name)
peers=(
  "helm3 v3.22.0 helm.sh/helm/v3/cmd/helm"
  "helm4 v4.3.2 helm.sh/helm/v4/cmd/helm"
  "oras v1.3.6 oras.land/oras/cmd/oras"
  "crane v0.22.1 github.com/google/go-containerregistry/cmd/crane"
  "cosign v3.1.3 github.com/sigstore/cosign/v3/cmd/cosign"
  "registry3 v3.1.2 github.com/distribution/distribution/v3/cmd/registry"
)

if [ "${1:-}" = "--path" ]; then
  for p in "${peers[@]}"; do
    read -r name version _ <<<"$p"
    [ -x "$dir/$name-$version/$name" ] && echo "$dir/$name-$version"
  done | paste -sd: -
  exit 0
fi

command -v go >/dev/null 2>&1 || { echo "peers: no go on PATH; peers not built" >&2; exit 0; }
mkdir -p "$dir"
failed=()
for p in "${peers[@]}"; do
  read -r name version pkg <<<"$p"
  out="$dir/$name-$version"
  if [ -x "$out/$name" ]; then
    echo "peers: $name $version cached"
    continue
  fi
  start=$(date +%s)
  tmp=$(mktemp -d "$dir/.build-$name.XXXXXX")
  if GOBIN="$tmp" GOFLAGS="-buildvcs=false -trimpath" CGO_ENABLED=0 GOTOOLCHAIN=auto \
    go install "$pkg@$version" >"$tmp.log" 2>&1; then
    built="$(basename "$pkg")"
    [ "$built" = "$name" ] || mv "$tmp/$built" "$tmp/$name"
    chmod 755 "$tmp" && rm -rf "$out" && mv "$tmp" "$out" && rm -f "$tmp.log"
    echo "peers: $name $version built in $(($(date +%s) - start)) s"
  else
    echo "peers: $name $version failed to build (log: $tmp.log)" >&2
    tail -n 5 "$tmp.log" >&2
    rm -rf "$tmp"
    failed+=("$name")
  fi
done
[ ${#failed[@]} -eq 0 ] || echo "peers: not built: ${failed[*]}" >&2
exit 0
