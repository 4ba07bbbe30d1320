#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Lab test (run in /lab by /init): viommu-bench with the real edu assigned
# through iommufd, so every shadow MAP/UNMAP is a real IOAS map/unmap. The
# lab's VT-d offers no nesting, so only the shadow row runs here.
cd /lab || exit 1
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		bdf=${d##*/}
	fi
done
[ -n "$bdf" ] || { echo "FAIL viommu-bench-vfio: no edu device (1234:11e8)"; exit 1; }
exec bin/ioshade run --kernel guests/viommu-bench.elf --memory 64M --device "vfio=$bdf" \
	--iommu-backend iommufd --cmdline pages=256 </dev/null
