#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Lab test (run in /lab by /init): shadow mode end to end under nested KVM.
# The dma-isolation guest drives the real edu (vfio-pci in this L1) through
# ioshade's virtio-iommu; ioshade shadows its mappings into an iommufd IOAS.
# The guest must pass (exit 33), and the DMAs it makes on purpose to unmapped
# IOVAs and after DETACH must show up as VT-d (DMAR) faults in this kernel's
# log, naming edu: the host IOMMU, not ioshade, blocked them.
#   usage: shadow-dmar.sh [extra ioshade run arguments]
cd /lab || exit 1
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		bdf=${d##*/}
	fi
done
[ -n "$bdf" ] || { echo "shadow-dmar: no edu device (1234:11e8)"; exit 77; }
[ -e /dev/kvm ] || { echo "shadow-dmar: no /dev/kvm (nested KVM)"; exit 77; }

before=$(dmesg | wc -l)
bin/ioshade run --kernel guests/dma-isolation.elf --memory 64M --device "vfio=$bdf" \
	--iommu-backend iommufd "$@" </dev/null
rc=$?
echo "shadow-dmar: ioshade exited $rc (want 33)"

# DMAR lines logged during the run; a fault names the requester as bus:dev.fn.
short=${bdf#*:}
dmesg | tail -n +"$((before + 1))" | grep -i dmar >/tmp/shadow-dmar.log
echo "shadow-dmar: DMAR lines during the run:"
sed 's/^/    /' /tmp/shadow-dmar.log
# The kernel prints the requester as [dddd:bb:dd.f] (older ones as [bb:dd.f]).
faults=$(grep -ciE "DMA (read|write).*[:[]$short\].*fault addr" /tmp/shadow-dmar.log)
writes=$(grep -ciE "DMA write.*[:[]$short\].*fault addr" /tmp/shadow-dmar.log)
echo "shadow-dmar: $faults VT-d faults from $short ($writes blocked writes)"
fail=0
[ "$rc" = 33 ] || { echo "FAIL guest exit status $rc"; fail=1; }
[ "$writes" -ge 1 ] || { echo "FAIL no blocked edu write in the DMAR log"; fail=1; }
[ "$fail" = 0 ] && echo "PASS shadow-dmar"
exit "$fail"
