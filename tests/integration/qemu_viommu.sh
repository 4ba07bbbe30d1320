#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Runs the virtio-iommu guests under QEMU's own virtio-iommu (q35 + edu) as a
# reference: viommu-conformance and dma-isolation must PASS (status 33) with
# QEMU's documented deviations marked XFAIL (quirks=qemu, ownership=lax), and
# dma-isolation must FAIL (status 35) with strict ownership: QEMU does not
# check GPA ownership, so that run proves the ownership checks can fail.
# Usage: qemu_viommu.sh <build-dir>/guest-tools   (77 = skipped)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/qemu_common.sh"

dir=${1:?usage: $0 path/to/build/guest-tools}
conf=$dir/viommu-conformance.elf
iso=$dir/dma-isolation.elf
qemu_require "$conf"
qemu_require "$iso"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
devs=(-M q35 -device virtio-iommu-pci -device edu)
rc=0

# run <name> <elf> <expected status> <cmdline>
run() {
	local log=$work/$1.log
	qemu_run_guest "$log" "$2" "${devs[@]}" -append "$4"
	echo "=== $1 (status $QEMU_STATUS, expected $3)"
	cat "$log"
	expect_status "$3" "$1" || rc=1
	grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$log" || { echo "FAIL: $1: no summary"; rc=1; }
}

run conformance "$conf" 33 "quirks=qemu"
grep -q '^FAIL ' "$work/conformance.log" && { echo "FAIL: conformance has FAIL lines"; rc=1; }
run isolation "$iso" 33 "quirks=qemu ownership=lax"
grep -q '^FAIL ' "$work/isolation.log" && { echo "FAIL: isolation has FAIL lines"; rc=1; }
for l in 'PASS positive.bytes_arrive' 'PASS bad_address.write_memory_untouched' \
	 'PASS bad_device.detached_identity_memory_untouched' \
	 'PASS invalid_use.after_unmap_memory_untouched'; do
	expect_line "$work/isolation.log" "$l" || rc=1
done
run isolation-strict "$iso" 35 "quirks=qemu"
grep -q '^FAIL ownership\.' "$work/isolation-strict.log" ||
	{ echo "FAIL: strict ownership run did not fail an ownership check"; rc=1; }
[ "$rc" = 0 ] && echo "qemu_viommu: OK"
exit "$rc"
