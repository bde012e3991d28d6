#!/usr/bin/env bash
# Installs what Gantry's tests and demo need from Debian's archive, when it is missing:
# the Docker engine (docker.io), a registry (docker-registry), skopeo (benchmark peer),
# debootstrap and busybox-static (base images), apache2-utils (htpasswd), openssl (test certificates).
# Idempotent and quick when everything is there. The tests start the engine themselves.
set -euo pipefail

declare -A need=(
  [dockerd]=docker.io
  [docker-registry]=docker-registry
  [skopeo]=skopeo
  [debootstrap]=debootstrap
  [htpasswd]=apache2-utils
  [openssl]=openssl
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
[ -x /bin/busybox ] || missing+=(busybox-static)
# The classic docker 20.10 client (it can drive the engine's built-in BuildKit).
[ -x /usr/bin/docker ] || missing+=(docker.io)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else SUDO=(false); fi
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "${SUDO[*]}" = false ]; then
  echo "Gantry's tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them (sudo apt-get install -y ${missing[*]}) and run again." >&2
  exit 1
fi
echo "Installing ${missing[*]} from Debian's archive…"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
echo "Installed ${missing[*]}."
