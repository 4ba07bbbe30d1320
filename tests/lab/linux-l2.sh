#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Lab test (run in /lab by /init): a stock Linux L2 under ioshade, driving
# ioshade's virtio-iommu with the kernel's own drivers/iommu/virtio-iommu.c.
# L2 is the lab kernel itself (guests/bzImage) with guest-tools/linux's
# initramfs (guests/l2.cpio.gz). It gets a virtio-blk scratch disk and the
# real edu, assigned through this L1's iommufd; in L2 the edu is bound to
# vfio-pci and edu-vfio runs a DMA from L2 user space through L2's iommufd.
# Each L2 check must PASS, and ioshade's statistics must show the guest's
# MAP/UNMAP requests.
#   usage: linux-l2.sh strict|lazy
cd /lab || exit 1
mode=${1:-strict}
case $mode in
strict) strict=1 ;;
lazy) strict=0 ;;
*) echo "linux-l2: mode must be strict or lazy"; exit 2 ;;
esac
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		bdf=${d##*/}
	fi
done
# The lab has every one of these; a missing one is a broken lab, not a skip.
[ -n "$bdf" ] || { echo "FAIL linux-l2: no edu device (1234:11e8)"; exit 1; }
[ -e /dev/kvm ] || { echo "FAIL linux-l2: no /dev/kvm (nested KVM)"; exit 1; }
[ -f guests/bzImage ] && [ -f guests/l2.cpio.gz ] ||
	{ echo "FAIL linux-l2: guests/bzImage or guests/l2.cpio.gz missing from the initramfs"; exit 1; }

disk=/tmp/l2-scratch.img
rm -f "$disk"
truncate -s 16M "$disk"
log=/tmp/linux-l2-$mode.log
# The virtio-iommu does not remap interrupts, so L2's iommufd and type1 refuse
# to bind a device (EPERM: "MSI interrupts are not secure") unless told that
# MSI isolation is the hypervisor's business. It is: ioshade routes the
# assigned device's MSIs through KVM irqfds, and L1's VT-d remaps them.
unsafe="iommufd.allow_unsafe_interrupts=1 vfio_iommu_type1.allow_unsafe_interrupts=1"
bin/ioshade run --kernel guests/bzImage --initrd guests/l2.cpio.gz --memory 256M \
	--cmdline "console=ttyS0 iommu.passthrough=0 iommu.strict=$strict panic=-1 quiet loglevel=4 $unsafe" \
	--device "virtio-blk,file=$disk" --device "vfio=$bdf" --iommu-backend iommufd \
	--log-level info </dev/null >"$log" 2>&1
rc=$?
sed 's/^/    l2| /' "$log"
echo "linux-l2 ($mode): ioshade exited $rc"

fail=0
want() {	# want NAME: the L2 check NAME reported PASS
	if grep -q "^@@L2-RESULT $1 PASS" "$log"; then
		echo "PASS linux-l2.$mode.$1"
	else
		echo "FAIL linux-l2.$mode.$1: $(grep "^@@L2-RESULT $1 " "$log" || echo 'no result')"
		fail=1
	fi
}
grep -q '^@@L2-DONE' "$log" || { echo "FAIL linux-l2.$mode: L2 did not finish"; fail=1; }
want viommu
want virtio-blk
want edu-vfio
grep -qi 'virtio_iommu' "$log" || { echo "FAIL linux-l2.$mode: no virtio_iommu line in L2's dmesg"; fail=1; }
# VIOT named both endpoints: virtio-blk and edu each sit in an IOMMU group.
groups=$(grep -c '^l2: iommu group' "$log")
if [ "$groups" -ge 2 ]; then
	echo "PASS linux-l2.$mode.endpoints_grouped ($groups groups)"
else
	echo "FAIL linux-l2.$mode.endpoints_grouped: $groups IOMMU groups in L2, want virtio-blk and edu"
	fail=1
fi
stats=$(grep 'ioshade: viommu stats:' "$log")
echo "linux-l2 ($mode): $stats"
# What a stock Linux really uses, against --viommu-limits (docs/security.md).
echo "linux-l2 ($mode): $(grep 'ioshade: viommu peaks:' "$log")"
maps=$(echo "$stats" | sed -n 's/.* map \([0-9]*\) .*/\1/p')
unmaps=$(echo "$stats" | sed -n 's/.* unmap \([0-9]*\) .*/\1/p')
if [ "${maps:-0}" -gt 0 ] && [ "${unmaps:-0}" -gt 0 ]; then
	echo "PASS linux-l2.$mode.guest_map_unmap (map $maps unmap $unmaps)"
else
	echo "FAIL linux-l2.$mode.guest_map_unmap: no MAP/UNMAP from the guest driver ($stats)"
	fail=1
fi
# rc: 0 when L2 powers off; 128+N if a signal ended it.
[ "$rc" = 0 ] || { echo "FAIL linux-l2.$mode: ioshade exit status $rc"; fail=1; }
exit "$fail"
