#!/usr/bin/env bash
# Installs what umlenv needs on a Debian 12 host (run as root), then its npm
# packages, then builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  user-mode-linux   # linux.uml, the guest kernel
  uml-utilities     # uml_switch, uml_mconsole
  bubblewrap        # bwrap: each guest in its own pid namespace
  mmdebstrap        # the fast image builder
  debootstrap       # the fallback builder, and the benchmark's baseline
  e2fsprogs         # mkfs.ext4 -d, e2fsck
  iproute2
  iptables
  util-linux        # taskset
  zstd
  linux-source-6.1  # the minimal kernel is built from it (umlenv kernel build)
  build-essential flex bison bc  # what building a UML kernel needs
  groovy            # Groovy 2.4, which runs the Jenkins step's tests (test/jenkins.test.ts)
  default-jre-headless  # the Java that groovy starts with (/usr/lib/jvm/default-java)
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-host.sh: run me as root (apt-get needs it): sudo $0" >&2
  exit 1
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
npm ci --no-audit --no-fund
npm run build
