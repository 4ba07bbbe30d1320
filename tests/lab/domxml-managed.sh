#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Lab test (run in /lab by /init): `ioshade run --domain` with a libvirt
# <hostdev managed='yes'> for the real edu. The edu starts with no driver (as
# on a host where nothing claims it); ioshade must bind it to vfio-pci, run
# the dma-isolation guest with it assigned through iommufd, and give it back
# afterwards: unbound again, driver_override cleared. The same after a SIGTERM
# in the middle of a run. Leaves edu on vfio-pci for the tests after it.
cd /lab || exit 1
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		bdf=${d##*/}
	fi
done
[ -n "$bdf" ] || { echo "FAIL domxml-managed: no edu device (1234:11e8)"; exit 1; }
dev=/sys/bus/pci/devices/$bdf
fail=0

driver() { basename "$(readlink "$dev/driver" 2>/dev/null)" 2>/dev/null; }
release() {	# no driver, no override: the "original" state
	[ -e "$dev/driver" ] && echo "$bdf" >"$dev/driver/unbind"
	echo >"$dev/driver_override"
}
check_given_back() {
	d=$(driver) ov=$(cat "$dev/driver_override")
	if [ -z "$d" ] && { [ -z "$ov" ] || [ "$ov" = "(null)" ]; }; then
		echo "PASS domxml-managed.$1.given_back (no driver, no override)"
	else
		echo "FAIL domxml-managed.$1.given_back: driver '$d', driver_override '$ov'"
		fail=1
	fi
}

# dddd:bb:ss.f -> the four <address> attributes
dom=${bdf%%:*} rest=${bdf#*:}
bus=${rest%%:*} rest=${rest#*:}
slot=${rest%%.*} fn=${rest#*.}
xml() {	# xml KERNEL MEMORY-MIB [CMDLINE]
	cmdline=
	[ -z "$3" ] || cmdline="<cmdline>$3</cmdline>"
	cat <<XML
<domain type='kvm'>
  <name>lab-managed</name>
  <memory unit='MiB'>$2</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$1</kernel>
    $cmdline
  </os>
  <clock offset='utc'/>
  <devices>
    <iommu model='virtio'/>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver iommufd='yes'/>
      <source>
        <address domain='0x$dom' bus='0x$bus' slot='0x$slot' function='0x$fn'/>
      </source>
    </hostdev>
    <serial type='stdio'/>
  </devices>
</domain>
XML
}

release
echo "domxml-managed: $bdf before: driver '$(driver)'"
# faults=optional: a real device's DMA faults stay in the host kernel's log
# (shadow-dmar.sh checks them there); iommufd does not report them to us.
xml /lab/guests/dma-isolation.elf 64 faults=optional >/tmp/managed.xml
bin/ioshade run --domain /tmp/managed.xml --log-level info </dev/null >/tmp/managed.log 2>&1
rc=$?
grep -E '^(FAIL|[0-9]+ passed)|ioshade:' /tmp/managed.log
if [ "$rc" = 33 ] && grep -q 'PASS positive.bytes_arrive' /tmp/managed.log; then
	echo "PASS domxml-managed.run (dma-isolation passed with edu assigned)"
else
	echo "FAIL domxml-managed.run: exit $rc"
	fail=1
fi
check_given_back run

# Killed mid-run: a guest that keeps running (the L2 Linux) gets SIGTERM.
release
if [ -f guests/bzImage ]; then
	# No root file system and panic=0: the kernel stops at its panic and
	# stays there, so only the signal can end the run.
	xml /lab/guests/bzImage 128 "console=ttyS0 panic=0 quiet" >/tmp/managed-kill.xml
	bin/ioshade run --domain /tmp/managed-kill.xml </dev/null >/tmp/managed-kill.log 2>&1 &
	pid=$!
	n=0
	while [ "$(driver)" != vfio-pci ] && [ $n -lt 100 ]; do sleep 0.2; n=$((n + 1)); done
	echo "domxml-managed: while running: driver '$(driver)'"
	[ "$(driver)" = vfio-pci ] || { echo "FAIL domxml-managed.sigterm: never bound to vfio-pci"; fail=1; }
	sleep 2
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	echo "domxml-managed: after SIGTERM ioshade exited $rc (want 143)"
	[ "$rc" = 143 ] || { echo "FAIL domxml-managed.sigterm: exit $rc"; fail=1; }
	check_given_back sigterm
else
	echo "FAIL domxml-managed.sigterm: guests/bzImage missing"
	fail=1
fi

# A device that has a host driver: the lab's virtio-rng-pci (1af4:1044) is
# driven by virtio-pci in L1. managed='yes' must take it from virtio-pci,
# assign it (hello.elf ignores it), and hand it back to virtio-pci.
rng=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1af4 ] && [ "$(cat "$d/device")" = 0x1044 ]; then
		rng=${d##*/}
	fi
done
if [ -n "$rng" ]; then
	rdev=/sys/bus/pci/devices/$rng
	rdrv() { basename "$(readlink "$rdev/driver" 2>/dev/null)" 2>/dev/null; }
	before=$(rdrv)
	echo "domxml-managed: $rng (virtio-rng) before: driver '$before'"
	r=${rng#*:}
	sed -e "s/domain='0x$dom' bus='0x$bus' slot='0x$slot' function='0x$fn'/domain='0x${rng%%:*}' bus='0x${r%%:*}' slot='0x$(echo "$r" | cut -d: -f2 | cut -d. -f1)' function='0x${rng##*.}'/" \
		-e "s|<kernel>.*</kernel>|<kernel>/lab/guests/hello.elf</kernel>|" /tmp/managed.xml \
		>/tmp/managed-rng.xml
	bin/ioshade run --domain /tmp/managed-rng.xml </dev/null >/tmp/managed-rng.log 2>&1
	rc=$?
	grep 'ioshade:' /tmp/managed-rng.log
	after=$(rdrv)
	if [ "$before" = virtio-pci ] && [ "$rc" = 33 ] && [ "$after" = virtio-pci ]; then
		echo "PASS domxml-managed.host_driver_given_back (virtio-pci -> vfio-pci -> virtio-pci)"
	else
		echo "FAIL domxml-managed.host_driver_given_back: before '$before', exit $rc, after '$after'"
		fail=1
	fi
else
	echo "FAIL domxml-managed.host_driver_given_back: no virtio-rng-pci (1af4:1044) in the lab"
	fail=1
fi

# Leave edu where /init put it.
echo vfio-pci >"$dev/driver_override"
echo "$bdf" >/sys/bus/pci/drivers_probe
exit "$fail"
