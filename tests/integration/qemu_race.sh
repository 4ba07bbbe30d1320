#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the multi-vCPU race guest under QEMU (-smp 2, q35, virtio-iommu, edu,
# virtio-rng behind the IOMMU): proves the AP bring-up uses only what real
# firmware-less PVH boot gives (MADT, INIT-SIPI-SIPI, low RAM at 0x70000) and
# that the scenarios pass against a reference device model.
# status-games is not run: QEMU stores any status the driver writes (it lets
# the driver clear bits, set NEEDS_RESET and renegotiate), which is what the
# scenario asserts against. QEMU is fast here, so the loops run longer.
# Usage: qemu_race.sh <build-dir>/guest-tools/race.elf   (77 = skipped)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/qemu_common.sh"

elf=${1:?usage: $0 path/to/race.elf}
qemu_require "$elf"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0
log=$work/race.log
qemu_run_guest "$log" "$elf" -M q35 -m 128 -smp 2 -device virtio-iommu-pci -device edu \
	-device virtio-rng-pci,disable-legacy=on,iommu_platform=on \
	-append "quirks=qemu race=reset-kick,viommu-reset-faults,viommu-ops-dma iters=2000"
echo "=== race (status $QEMU_STATUS, expected 33)"
cat "$log"
expect_status 33 race || rc=1
expect_line "$log" "race: 2 CPUs online, 2000 iterations per loop" || rc=1
expect_line "$log" "PASS smp.spinlock_counter" || rc=1
grep -q '^FAIL ' "$log" && { echo "FAIL: race has FAIL lines"; rc=1; }
grep -qE '^[0-9]+ passed, 0 failed$' "$log" || { echo "FAIL: race: no clean summary"; rc=1; }
[ "$rc" = 0 ] && echo "qemu_race: OK"
exit "$rc"
