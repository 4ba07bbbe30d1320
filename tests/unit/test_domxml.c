// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvirt domain XML: the fixtures in tests/domxml/ (written for ioshade and
 * produced by virt-install) parse field by field into the expected config or
 * fail naming element and line; every unit; the emulated devices (<rng>,
 * <disk>) and each of their refusals; command-line overrides; and the
 * writer's output parses back to the same config. CTest runs it once
 * without a schema and once under each libvirt release's schema
 * (IOSHADE_LIBVIRT_SCHEMA = its directory, IOSHADE_TEST_LIBVIRT = its
 * release, unpacked by scripts/libvirt-schemas): every fixture, the XML in
 * docs/libvirt.md and the writer's output must pass each.
 */
#include "unit/domxml_helpers.h"

static void test_minimal(void **state)
{
	struct result *r = parse_with("minimal.xml", SKIP_SCHEMA);

	assert_int_equal(r->ret, 0);
	assert_string_equal(r->cfg.name, "minimal");
	assert_string_equal(r->cfg.uuid, "");
	assert_int_equal(r->cfg.memory, 128ULL << 20);	/* default unit KiB */
	assert_int_equal(r->cfg.cpus, 1);
	assert_string_equal(r->cfg.kernel, "/boot/guest.elf");
	assert_string_equal(r->cfg.initrd, "");
	assert_string_equal(r->cfg.cmdline, "");
	assert_int_equal(r->cfg.viommu, CONFIG_AUTO);
	assert_int_equal(r->cfg.iommu_backend, CONFIG_BACKEND_AUTO);
	assert_int_equal(r->cfg.serial, CONFIG_SERIAL_STDOUT);
	assert_int_equal(r->cfg.nr_devices, 0);
	assert_int_equal(r->nr_warnings, 0);
}

static void check_full(struct result *r)
{
	assert_int_equal(r->ret, 0);
	assert_string_equal(r->cfg.name, "full-guest");
	assert_string_equal(r->cfg.uuid, "3e3fce45-4f53-4fa7-bb32-11f34168b82b");
	assert_int_equal(r->cfg.memory, 1ULL << 30);
	assert_int_equal(r->cfg.cpus, 4);
	assert_string_equal(r->cfg.kernel, "/boot/vmlinuz");
	assert_string_equal(r->cfg.initrd, "/boot/initrd.img");
	assert_string_equal(r->cfg.cmdline, "console=ttyS0 root=/dev/ram0 quiet");
	assert_int_equal(r->cfg.viommu, CONFIG_ON);
	assert_int_equal(r->cfg.viommu_aw_bits, 48);
	assert_int_equal(r->cfg.viommu_granule, 64 << 10);
	assert_int_equal(r->cfg.iommu_backend, CONFIG_BACKEND_IOMMUFD);
	assert_int_equal(r->cfg.serial, CONFIG_SERIAL_FILE);
	assert_string_equal(r->cfg.serial_path, "/tmp/full-guest.log");
	assert_int_equal(r->cfg.nr_devices, 2);
	assert_int_equal(r->cfg.devices[0].kind, CONFIG_DEV_VFIO);
	assert_string_equal(r->cfg.devices[0].host_bdf, "0000:03:00.1");
	assert_true(r->cfg.devices[0].managed);
	assert_int_equal(r->cfg.devices[0].iommu, CONFIG_AUTO);
	assert_string_equal(r->cfg.devices[1].host_bdf, "0000:04:1f.7");
	assert_false(r->cfg.devices[1].managed);	/* libvirt's default */
	assert_string_equal(r->cfg.devices[1].spec, "vfio=0000:04:1f.7");
	/* one line each: title metadata boot acpi apic cpu clock on_* x3 emulator
	 * hostdev/address memballoon, and the currentMemory note */
	assert_int_equal(r->nr_warnings, 14);
	expect_has(r->warnings, ":5: <title>: ignored");
	expect_has(r->warnings, ":25: <clock>: ignored");
	expect_has(r->warnings, ":42: <address>: ignored");
	expect_has(r->warnings, ":10: <currentMemory>: ignored: no balloon");
	expect_has(r->warnings, ":57: <memballoon>: ignored");
}

static void test_full(void **state)
{
	check_full(parse_with("full.xml", SKIP_SCHEMA));
}

/* With libvirt 11.3's schema: the 12.x constructs in full.xml are stripped first. */
static void test_full_with_schema(void **state)
{
	if (!have_schema())
		skip();
	check_full(parse_with("full.xml", NULL));
}

static void test_schema_missing_is_a_note(void **state)
{
	struct result *r = parse_with("minimal.xml", "/nonexistent/domain.rng");

	assert_int_equal(r->ret, 0);
	assert_int_equal(r->nr_warnings, 1);
	expect_has(r->warnings, "not installed");
}

static void test_virt_install_kvm(void **state)
{
	struct result *r = parse_with("virt-install-kvm.xml", have_schema() ? NULL : SKIP_SCHEMA);

	assert_int_equal(r->ret, 0);
	assert_string_equal(r->cfg.name, "t");
	assert_string_equal(r->cfg.uuid, "df090018-7d43-4eb8-bf0d-6e010bafbdcc");
	assert_int_equal(r->cfg.memory, 512ULL << 20);
	assert_int_equal(r->cfg.cpus, 2);
	assert_string_equal(r->cfg.kernel, "/k");
	assert_string_equal(r->cfg.initrd, "/i");
	assert_string_equal(r->cfg.cmdline, "console=ttyS0");
	assert_int_equal(r->cfg.viommu, CONFIG_ON);
	assert_int_equal(r->cfg.nr_devices, 1);
	assert_string_equal(r->cfg.devices[0].host_bdf, "0000:00:03.0");
	assert_true(r->cfg.devices[0].managed);
	/* virt-install's console is a pty, as libvirt gives it. */
	assert_int_equal(r->cfg.serial, CONFIG_SERIAL_PTY);
	expect_has(r->warnings, "<controller>: ignored");
}

static void check_emulated(struct result *r)
{
	const struct config_device *d = r->cfg.devices;

	assert_int_equal(r->ret, 0);
	assert_int_equal(r->cfg.viommu, CONFIG_ON);
	assert_int_equal(r->cfg.nr_devices, 6);
	for (int i = 0; i < 3; i++)
		assert_int_equal(d[i].kind, CONFIG_DEV_VIRTIO_RNG);
	/* <driver iommu='on'/> puts a device behind the virtio-iommu; without it
	 * the device bypasses the IOMMU, as libvirt's default says */
	assert_int_equal(d[0].iommu, CONFIG_ON);
	assert_string_equal(d[0].spec, "virtio-rng,iommu=on");
	assert_int_equal(d[1].iommu, CONFIG_OFF);
	assert_int_equal(d[2].iommu, CONFIG_OFF);
	assert_string_equal(d[2].spec, "virtio-rng,iommu=off");
	for (int i = 3; i < 6; i++)
		assert_int_equal(d[i].kind, CONFIG_DEV_VIRTIO_BLK);
	assert_string_equal(d[3].path, "/var/lib/ioshade/root.img");
	assert_false(d[3].read_only);
	assert_int_equal(d[3].iommu, CONFIG_ON);
	assert_string_equal(d[3].spec, "virtio-blk,file=/var/lib/ioshade/root.img,iommu=on");
	assert_string_equal(d[4].path, "/var/lib/ioshade/data.img");
	assert_true(d[4].read_only);
	assert_int_equal(d[4].iommu, CONFIG_OFF);
	assert_string_equal(d[4].spec,
			    "virtio-blk,file=/var/lib/ioshade/data.img,readonly=on,iommu=off");
	assert_string_equal(d[5].path, "/var/lib/ioshade/ro.img");
	assert_true(d[5].read_only);
	assert_int_equal(d[5].iommu, CONFIG_OFF);
	/* rate and address of the rng; cache, io, discard, serial, boot and
	 * address of the first disk; cache='writeback' and discard='ignore' are
	 * what ioshade does anyway */
	assert_int_equal(r->nr_warnings, 8);
	expect_has(r->warnings, ":14: <rate>: ignored");
	expect_has(r->warnings, ":16: <address>: ignored");
	expect_has(r->warnings, ":26: <driver>: cache='none' ignored");
	expect_has(r->warnings, ":26: <driver>: io='native' ignored");
	expect_has(r->warnings, ":26: <driver>: discard='unmap' ignored");
	expect_has(r->warnings, ":29: <serial>: ignored");
	expect_has(r->warnings, ":30: <boot>: ignored");
	expect_has(r->warnings, ":32: <address>: ignored");
}

static void test_emulated(void **state)
{
	check_emulated(parse_with("emulated.xml", SKIP_SCHEMA));
}

static void test_emulated_with_schema(void **state)
{
	if (!have_schema())
		skip();
	check_emulated(parse_with("emulated.xml", NULL));
}

/* The device on line 5. */
static struct result *parse_device(const char *dev)
{
	static const char fmt[] =
		"<domain type='kvm'>\n<memory>65536</memory>\n"
		"<os><type>hvm</type><kernel>/k</kernel></os>\n<devices>\n%s\n</devices></domain>\n";
	static char xml[8192];

	if (snprintf(xml, sizeof(xml), fmt, dev) >= (int)sizeof(xml))
		fail_msg("device XML too long");
	return parse_buf(xml);
}

#define RNG(inner) "<rng model='virtio'><backend model='random'/>" inner "</rng>"

/* Each refusal names the element, its line and why. */
static void test_emulated_rejections(void **state)
{
	static const struct { const char *dev, *where, *why; } bad[] = {
		{ "<disk device='floppy'>" SRC TGT "</disk>", "<disk>", "device='floppy'" },
		{ "<disk device='lun'>" SRC TGT "</disk>", "<disk>", "device='lun'" },
		{ "<disk type='network'><source protocol='nbd' name='x'/>" TGT "</disk>", "<disk>",
		  "type='network' is not supported" },
		{ "<disk type='volume'><source pool='p' volume='v'/>" TGT "</disk>", "<disk>",
		  "type='volume'" },
		{ "<disk type='dir'><source dir='/srv'/>" TGT "</disk>", "<disk>", "type='dir'" },
		{ "<disk model='usb-storage'>" SRC TGT "</disk>", "<disk>", "model='usb-storage'" },
		{ "<disk>" SRC "<target dev='hda' bus='ide'/></disk>", "<target>", "bus='ide'" },
		{ "<disk>" SRC "<target dev='sda' bus='scsi'/></disk>", "<target>", "bus='scsi'" },
		{ "<disk>" SRC "<target dev='sda'/></disk>", "<target>", "dev='sda' without bus=" },
		{ "<disk><driver name='qemu' type='vmdk'/>" SRC TGT "</disk>", "<driver>",
		  "type='vmdk' is not supported: ioshade reads the image as raw" },
		{ "<disk><driver name='tap'/>" SRC TGT "</disk>", "<driver>", "name='tap'" },
		{ "<disk><driver iommu='auto'/>" SRC TGT "</disk>", "<driver>",
		  "iommu='auto' must be 'on' or 'off'" },
		{ "<disk><driver queues='4'/>" SRC TGT "</disk>", "<driver>", "attribute 'queues'" },
		{ "<disk><source/>" TGT "</disk>", "<source>", "no file=" },
		{ "<disk><source dev='/dev/sdb'/>" TGT "</disk>", "<source>", "attribute 'dev'" },
		{ "<disk>" SRC SRC TGT "</disk>", "<source>", "more than once" },
		{ "<disk>" SRC "</disk>", "<disk>", "no <target" },
		{ "<disk>" TGT "</disk>", "<disk>", "no <source file=" },
		{ "<disk>" SRC TGT "<transient/></disk>", "<transient>", "guest's writes" },
		{ "<disk>" SRC TGT "<iotune><total_bytes_sec>1</total_bytes_sec></iotune></disk>",
		  "<iotune>", "I/O limits" },
		{ "<disk>" SRC TGT "<encryption format='luks'/></disk>", "<encryption>", "ciphertext" },
		{ "<rng model='virtio'/>", "<rng>", "no <backend" },
		{ "<rng model='virtio'><backend model='random'>/tmp/seed</backend></rng>", "<backend>",
		  "getrandom(2)" },
		{ "<rng model='virtio'><backend model='egd' type='pty'/></rng>", "<backend>", "EGD" },
		{ "<rng model='virtio-transitional'><backend model='random'/></rng>", "<rng>",
		  "virtio 1.x" },
		{ RNG("<driver packed='on'/>"), "<driver>", "attribute 'packed'" },
		{ RNG("<driver iommu='yes'/>"), "<driver>", "iommu='yes'" },
		{ RNG("<backend model='builtin'/>"), "<backend>", "more than once" },
	};
	char where[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct result *r = parse_device(bad[i].dev);

		if (r->ret != -EINVAL)
			fail_msg("case %zu: ret %d (err '%s')", i, r->ret, r->err);
		snprintf(where, sizeof(where), "buf.xml:5: %s:", bad[i].where);
		expect_has(r->err, where);
		expect_has(r->err, bad[i].why);
	}
}

/* dev->path holds 127 bytes; the 17th device does not fit. */
static void test_emulated_limits(void **state)
{
	char dev[8192], path[130];
	size_t len = 0;
	struct result *r;

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[127] = '\0';
	snprintf(dev, sizeof(dev), "<disk><source file='%s'/>" TGT "</disk>", path);
	r = parse_device(dev);
	assert_int_equal(r->ret, 0);
	assert_string_equal(r->cfg.devices[0].path, path);
	assert_int_equal(strlen(r->cfg.devices[0].spec), CONFIG_DEVSPEC_MAX - 1);
	expect_has(r->cfg.devices[0].spec, "...");	/* cut, and says so */
	path[127] = 'a';
	path[128] = '\0';
	snprintf(dev, sizeof(dev), "<disk><source file='%s'/>" TGT "</disk>", path);
	r = parse_device(dev);
	assert_int_equal(r->ret, -EINVAL);
	expect_has(r->err, "buf.xml:5: <source>:");
	expect_has(r->err, "longer than 127 bytes");

	for (int i = 0; i <= CONFIG_MAX_DEVICES; i++)
		len += (size_t)snprintf(dev + len, sizeof(dev) - len, "%s", RNG(""));
	r = parse_device(dev);
	assert_int_equal(r->ret, -EINVAL);
	expect_has(r->err, "too many devices");
}

/* iommu='on' without an <iommu>: ioshade adds its virtio-iommu, and says so. */
static void test_emulated_iommu_note(void **state)
{
	struct result *r = parse_device(RNG("<driver iommu='on'/>"));

	assert_int_equal(r->ret, 0);
	assert_int_equal(r->cfg.viommu, CONFIG_AUTO);
	assert_true(config_viommu_enabled(&r->cfg));
	assert_int_equal(r->nr_warnings, 1);
	expect_has(r->warnings, "buf.xml:5: <rng>: iommu='on' but no <iommu model='virtio'/>");

	/* libvirt's default bypasses the IOMMU: no virtio-iommu, nothing to say */
	r = parse_device("<disk><source file='/d.img'/><target dev='vda'/></disk>");
	assert_int_equal(r->ret, 0);
	assert_int_equal(r->cfg.devices[0].iommu, CONFIG_OFF);
	assert_false(config_viommu_enabled(&r->cfg));
	assert_int_equal(r->nr_warnings, 0);
}

struct rejection {
	const char *file;
	const char *where;	/* ":line: <element>:" */
	const char *why;
};

static const struct rejection rejections[] = {
	{ "virt-install-test-driver.xml", ":2: <domain>:", "type='test'" },
	{ "reject_disk.xml", ":10: <disk>:", "device='cdrom'" },
	{ "reject_disk.xml", ":10: <disk>:", "virtio-blk" },
	{ "reject_disk_qcow2.xml", ":10: <driver>:", "type='qcow2' is not supported: ioshade "
	  "reads the image as raw" },
	{ "reject_disk_block.xml", ":10: <disk>:", "type='block' is not supported" },
	{ "reject_disk_sata.xml", ":10: <target>:", "bus='sata' is not supported" },
	{ "reject_disk_no_source.xml", ":10: <disk>:", "no <source file=" },
	{ "reject_rng_egd.xml", ":10: <backend>:", "no EGD (entropy gathering daemon) backend" },
	{ "reject_rng_hwrng.xml", ":10: <backend>:", "'/dev/hwrng' is not supported" },
	{ "reject_rng_transitional.xml", ":10: <rng>:", "virtio 1.x" },
	{ "reject_interface.xml", ":10: <interface>:", "no network devices" },
	{ "reject_hostdev_usb.xml", ":10: <hostdev>:", "type='pci'" },
	{ "reject_hostdev_managed_bad_driver.xml", ":10: <driver>:", "name='kvm'" },
	{ "reject_hostdev_twice.xml", ":11: <hostdev>:", "0000:01:00.0 is assigned twice" },
	{ "reject_iommu_intel.xml", ":10: <iommu>:", "model='virtio'" },
	{ "reject_iommu_smmuv3.xml", ":10: <iommu>:", "model='virtio'" },
	{ "reject_iommu_aw_bits.xml", ":10: <driver>:", "aw_bits='20'" },
	{ "reject_graphics.xml", ":10: <graphics>:", "no graphics" },
	{ "reject_video.xml", ":10: <video>:", "no display" },
	{ "reject_sound.xml", ":10: <sound>:", "no sound" },
	{ "reject_filesystem.xml", ":10: <filesystem>:", "file systems" },
	{ "reject_memballoon_virtio.xml", ":10: <memballoon>:", "model='none'" },
	{ "reject_serial_tcp.xml", ":10: <serial>:", "type='tcp'" },
	{ "reject_console_virtio.xml", ":10: <target>:", "type='virtio'" },
	{ "reject_serial_conflict.xml", ":11: <console>:", "conflicts with <serial> at line 10" },
	{ "reject_loader.xml", ":7: <loader>:", "no firmware" },
	{ "reject_numatune.xml", ":5: <numatune>:", "NUMA" },
	{ "reject_vcpu_cpuset.xml", ":5: <vcpu>:", "cpuset='0-1'" },
	{ "reject_domain_qemu.xml", ":2: <domain>:", "type='qemu'" },
	{ "reject_uuid.xml", ":4: <uuid>:", "31 hex digits" },
	{ "reject_memory_small.xml", ":4: <memory>:", "8000000 bytes is out of range" },
	{ "reject_unknown_element.xml", ":5: <frobnicate>:", "unknown to ioshade" },
	{ "reject_arch.xml", ":6: <type>:", "arch='aarch64'" },
	{ "reject_not_wellformed.xml", ":13:", "not well-formed" },
};

static void check_rejections(const char *schema)
{
	for (size_t i = 0; i < sizeof(rejections) / sizeof(rejections[0]); i++) {
		const struct rejection *x = &rejections[i];
		struct result *r = parse_with(x->file, schema);

		if (r->ret != -EINVAL)
			fail_msg("%s: ret %d, want -EINVAL (err '%s')", x->file, r->ret, r->err);
		expect_has(r->err, x->file);
		expect_has(r->err, x->where);
		expect_has(r->err, x->why);
		assert_string_equal(r->cfg.kernel, "");	/* cfg untouched on error */
	}
}

static void test_rejections(void **state)
{
	check_rejections(SKIP_SCHEMA);
}

static void test_rejections_with_schema(void **state)
{
	if (!have_schema())
		skip();
	check_rejections(NULL);
}

/* Every fixture either parses or fails with a located message: never a crash. */
static void test_every_fixture(void **state)
{
	DIR *d = opendir(fixture(""));
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct result *r;

		if (len < 4 || strcmp(e->d_name + len - 4, ".xml"))
			continue;
		r = parse_with(e->d_name, have_schema() ? NULL : SKIP_SCHEMA);
		n++;
		if (r->ret)
			expect_has(r->err, e->d_name);
		assert_true(r->ret == 0 || r->ret == -EINVAL);
		if ((!strncmp(e->d_name, "reject_", 7) ||
		     !strcmp(e->d_name, "virt-install-test-driver.xml")) != (r->ret != 0))
			fail_msg("%s: ret %d (%s)", e->d_name, r->ret, r->err);
	}
	closedir(d);
	assert_true(n >= 30);
}

static const char unit_xml[] =
	"<domain type='kvm'>\n<memory unit='%s'>%s</memory>\n"
	"<os><type>hvm</type><kernel>/k</kernel></os></domain>\n";

static void test_units(void **state)
{
	static const struct { const char *unit, *value; uint64_t bytes; } units[] = {
		{ "b", "67108864", 64ULL << 20 }, { "bytes", "67108864", 64ULL << 20 },
		{ "KB", "65536000", 65536000000ULL }, { "k", "65536", 64ULL << 20 },
		{ "KiB", "65536", 64ULL << 20 }, { "MB", "4096", 4096000000ULL },
		{ "M", "64", 64ULL << 20 }, { "MiB", "64", 64ULL << 20 },
		{ "GB", "8", 8000000000ULL }, { "G", "1", 1ULL << 30 }, { "GiB", "1", 1ULL << 30 },
		{ "TB", "1", 1000000000000ULL }, { "T", "1", 1ULL << 40 }, { "TiB", "1", 1ULL << 40 },
		{ "kib", "65536", 64ULL << 20 }, { "", "65536", 64ULL << 20 },
	};
	char xml[512];

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		struct result *r;

		snprintf(xml, sizeof(xml), unit_xml, units[i].unit, units[i].value);
		r = parse_buf(xml);
		if (r->ret || r->cfg.memory != units[i].bytes)
			fail_msg("unit '%s': ret %d memory %llu, want %llu (%s)", units[i].unit,
				 r->ret, (unsigned long long)r->cfg.memory,
				 (unsigned long long)units[i].bytes, r->err);
	}
}

static void test_bad_units(void **state)
{
	static const char *const bad[][3] = {
		{ "KX", "64", "cannot parse" }, { "MiB", "-64", "cannot parse" },
		{ "EiB", "99", "overflows" }, { "b", "99999999999999999999", "overflows" },
		{ "TiB", "2", "out of range" }, { "b", "16777217", "out of range" },
		{ "b", "16781313", "4 KiB" },
	};
	char xml[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct result *r;

		snprintf(xml, sizeof(xml), unit_xml, bad[i][0], bad[i][1]);
		r = parse_buf(xml);
		assert_int_equal(r->ret, -EINVAL);
		expect_has(r->err, "buf.xml:2: <memory>:");
		if (!strstr(r->err, bad[i][2]) && strcmp(bad[i][2], "out of range"))
			fail_msg("%s %s: '%s'", bad[i][0], bad[i][1], r->err);
	}
}


/* Hostile documents: entities, DTDs, deep nesting, duplicates, missing parts.
 * (libxml2 itself stops the exponential entity case; either refusal is fine.) */
static void test_hostile(void **state)
{
	static const struct { const char *xml, *want; } bad[] = {
		{ "<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY a 'aaaaaaaaaa'>\n"
		  "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
		  "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]>\n"
		  "<domain type='kvm'><name>&c;</name><memory>65536</memory>"
		  "<os><type>hvm</type><kernel>/k</kernel></os></domain>", ":" },
		{ "<!DOCTYPE domain [<!ENTITY k '/boot/vmlinuz'>]>\n<domain type='kvm'>"
		  "<memory>65536</memory><os><type>hvm</type><kernel>&k;</kernel></os></domain>",
		  "DOCTYPE" },
		{ "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n"
		  "<domain type='kvm'><name>&x;</name><memory>65536</memory>"
		  "<os><type>hvm</type><kernel>/k</kernel></os></domain>", "DOCTYPE" },
		{ "<!DOCTYPE domain SYSTEM 'http://example.org/d.dtd'>\n<domain type='kvm'>"
		  "<memory>65536</memory><os><type>hvm</type><kernel>/k</kernel></os></domain>",
		  "DOCTYPE" },
		{ "<domain type='kvm'><memory>65536</memory><memory>131072</memory>"
		  "<os><type>hvm</type><kernel>/k</kernel></os></domain>", "<memory>" },
		{ "<domain type='kvm'><memory>65536</memory><os><type>hvm</type>"
		  "<kernel>/a</kernel><kernel>/b</kernel></os></domain>", "<kernel>" },
		{ "<domain type='kvm'><name>a</name><name>b</name><memory>65536</memory>"
		  "<os><type>hvm</type><kernel>/k</kernel></os></domain>", "<name>" },
		{ "<domain type='kvm'><memory>65536</memory><vcpu>99999999999999999999</vcpu>"
		  "<os><type>hvm</type><kernel>/k</kernel></os></domain>", "vcpu" },
		{ "<domain type='kvm'><memory>65536</memory><vcpu>-1</vcpu>"
		  "<os><type>hvm</type><kernel>/k</kernel></os></domain>", "vcpu" },
		{ "<domain type='kvm'><os><type>hvm</type><kernel>/k</kernel></os></domain>",
		  "memory" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct result *r = parse_buf(bad[i].xml);

		if (r->ret != -EINVAL)
			fail_msg("case %zu: ret %d (err '%s')", i, r->ret, r->err);
		expect_has(r->err, bad[i].want);
	}
}

/* 10 MB of nesting: refused as malformed (libxml2's depth cap), no crash. */
static void test_deep_nesting(void **state)
{
	const size_t depth = 10 * 1024 * 1024 / 7;	/* "<a>" + "</a>" ~ 7 bytes */
	size_t len = 0;
	char *xml = malloc(depth * 7 + 64);
	struct result *r;

	assert_non_null(xml);
	len += (size_t)sprintf(xml, "<domain type='kvm'>");
	for (size_t i = 0; i < depth; i++, len += 3)
		memcpy(xml + len, "<a>", 3);
	for (size_t i = 0; i < depth; i++, len += 4)
		memcpy(xml + len, "</a>", 4);
	len += (size_t)sprintf(xml + len, "</domain>");
	r = parse_buf(xml);
	free(xml);
	assert_int_equal(r->ret, -EINVAL);
	assert_true(r->err[0] != '\0');
}

static void test_overrides(void **state)
{
	struct vm_config cfg;
	char err[512] = "", path[1024];

	snprintf(path, sizeof(path), "%s", fixture("override.xml"));
	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--memory", "1G", "--domain", path,
			     "--kernel", "/cli.elf", "--device", "vfio=02:00.0", "--serial",
			     "stdout", NULL), CLI_RUN);
	assert_int_equal(cfg.memory, 1ULL << 30);		/* CLI, though before --domain */
	assert_string_equal(cfg.kernel, "/cli.elf");		/* CLI */
	assert_int_equal(cfg.serial, CONFIG_SERIAL_STDOUT);	/* CLI over <serial type='null'> */
	assert_int_equal(cfg.cpus, 2);				/* XML */
	assert_string_equal(cfg.cmdline, "from=xml");		/* XML */
	assert_string_equal(cfg.name, "override");
	assert_int_equal(cfg.nr_devices, 2);			/* --device adds */
	assert_string_equal(cfg.devices[0].host_bdf, "0000:01:00.0");
	assert_string_equal(cfg.devices[1].host_bdf, "0000:02:00.0");

	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--domain", path, NULL), CLI_RUN);
	assert_int_equal(cfg.serial, CONFIG_SERIAL_NONE);
	assert_string_equal(cfg.kernel, "/boot/from-xml.elf");

	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--domain", path, "--domain=x.xml",
			     NULL), -EINVAL);
	expect_has(err, "--domain: given twice");
	assert_int_equal(cli(&cfg, err, sizeof(err), "run", "--domain",
			     fixture("reject_disk.xml"), NULL), -EINVAL);
	expect_has(err, ":10: <disk>:");
}

static bool has_vfio(const struct vm_config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_devices; i++)
		if (cfg->devices[i].kind == CONFIG_DEV_VFIO)
			return true;
	return false;
}

/* The writer, for the release under test, cannot say "iommufd backend": no
 * <iommufd> (12.2), and no <hostdev> to carry 12.1's <driver iommufd>. */
static bool expect_no_iommufd(const struct vm_config *cfg)
{
	unsigned v = schema_version();

	return cfg->iommu_backend == CONFIG_BACKEND_IOMMUFD && v &&
	       v < DOMXML_VERSION(12, 2) && (v < DOMXML_VERSION(12, 1) || !has_vfio(cfg));
}

static void roundtrip(const char *schema, const char *first, ...)
{
	char *argv[32] = { "ioshade", "domxml", "--from-args", "run" }, err[512] = "";
	struct domxml_opts o = { .schema = schema, .warn = ignore };
	struct vm_config cfg, back;
	char *buf = NULL;
	size_t len = 0;
	int argc = 4;
	va_list ap;
	FILE *f;

	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	assert_int_equal(cli_parse(argc, argv, &cfg, err, sizeof(err)), CLI_DOMXML);
	f = open_memstream(&buf, &len);
	assert_int_equal(domxml_write_opts(f, &cfg, &o, err, sizeof(err)), 0);
	fclose(f);
	if (domxml_parse_buffer(buf, len, "written.xml", &o, &back, err, sizeof(err)))
		fail_msg("%s\n%s", err, buf);
	free(buf);
	domxml_normalize(&cfg);
	if (!cfg.name[0])
		snprintf(cfg.name, sizeof(cfg.name), "ioshade");
	/* where each path came from names the file it was read from */
	memset(&back.origin, 0, sizeof(back.origin));
	/* Before 12.2 there is no <iommufd>: vfio devices use it anyway. */
	if (expect_no_iommufd(&cfg))
		cfg.iommu_backend = CONFIG_BACKEND_AUTO;
	assert_memory_equal(&cfg, &back, sizeof(cfg));
}

static void test_roundtrip(void **state)
{
	const char *schema = have_schema() ? NULL : SKIP_SCHEMA;

	roundtrip(schema, "--kernel", "/k", NULL);
	roundtrip(schema, "--kernel", "/k & <b>", "--initrd", "/i", "--memory", "3G", "--cpus",
		  "8", "--cmdline", "console=ttyS0 a=\"<x>\"", "--serial", "/tmp/s.log", NULL);
	roundtrip(schema, "--kernel", "/k", "--device", "vfio=01:00.0", "--device",
		  "vfio=0001:02:03.4,iommu=on", "--iommu-backend", "iommufd", "--serial", "none",
		  NULL);
	roundtrip(schema, "--kernel", "/k", "--viommu", "--log-level", "debug", NULL);
	roundtrip(schema, "--kernel", "/k", "--device", "virtio-rng", "--device",
		  "virtio-blk,file=/tmp/d.img,readonly=on", NULL);
	/* relative paths become absolute; devices keep their order; disks vda.. */
	roundtrip(schema, "--kernel", "k", "--initrd", "./i", "--serial", "s.log", "--device",
		  "virtio-blk,file=d.img", "--device", "vfio=01:00.0", "--device",
		  "virtio-rng,iommu=off", "--device", "virtio-blk,file=/e.img,iommu=on",
		  "--device", "virtio-blk,file=/f.img,readonly=on,iommu=off", NULL);
	/* no virtio-iommu at all: every virtio device bypasses it */
	roundtrip(schema, "--kernel", "/k", "--no-viommu", "--device", "virtio-rng",
		  "--device", "virtio-blk,file=/d.img", NULL);
	roundtrip(schema, "--kernel", "/k", "--device", "virtio-rng,iommu=off", NULL);
	roundtrip(schema, "--kernel", "/k", "--viommu", "--device", "virtio-rng,iommu=off", NULL);
}

/* domxml --from-args run for args, into a malloc'd string. */
static char *write_args(int argc, char *argv[])
{
	struct vm_config cfg;
	char err[512] = "", *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (cli_parse(argc, argv, &cfg, err, sizeof(err)) != CLI_DOMXML)
		fail_msg("%s", err);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (domxml_write(f, &cfg, err, sizeof(err)))
		fail_msg("%s", err);
	fclose(f);
	return buf;
}

static char *write_emulated(void)
{
	char *argv[] = { "ioshade", "domxml", "--from-args", "run", "--kernel", "k",
			 "--device", "virtio-rng", "--device",
			 "virtio-blk,file=/tmp/d.img,readonly=on", "--device",
			 "virtio-blk,file=e.img,iommu=off" };

	return write_args(sizeof(argv) / sizeof(argv[0]), argv);
}

/* libvirt's spelling of each device, the iommu= each one has, absolute paths. */
static void test_write_emulated(void **state)
{
	char *xml = write_emulated(), cwd[PATH_MAX], want[PATH_MAX + 64];

	expect_has(xml, "<rng model=\"virtio\">");
	expect_has(xml, "<backend model=\"random\">/dev/urandom</backend>");
	expect_has(xml, "<driver iommu=\"on\"/>");
	expect_has(xml, "<disk type=\"file\" device=\"disk\">");
	expect_has(xml, "<driver name=\"qemu\" type=\"raw\" iommu=\"on\"/>");
	expect_has(xml, "<source file=\"/tmp/d.img\"/>");
	expect_has(xml, "<target dev=\"vda\" bus=\"virtio\"/>\n      <readonly/>");
	expect_has(xml, "<driver name=\"qemu\" type=\"raw\" iommu=\"off\"/>");
	expect_has(xml, "<target dev=\"vdb\" bus=\"virtio\"/>\n    </disk>");
	expect_has(xml, "<iommu model=\"virtio\"/>");
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "<kernel>%s/k</kernel>", cwd);
	expect_has(xml, want);
	snprintf(want, sizeof(want), "<source file=\"%s/e.img\"/>", cwd);
	expect_has(xml, want);
	free(xml);
}

/* The written XML is valid libvirt XML, and ioshade reads it without a warning. */
static void test_write_emulated_with_schema(void **state)
{
	static struct result r;
	struct domxml_opts o = { .schema = NULL, .warn = collect, .opaque = &r };
	char *xml;

	if (!have_schema())
		skip();
	xml = write_emulated();
	memset(&r, 0, sizeof(r));
	r.ret = domxml_parse_buffer(xml, strlen(xml), "written.xml", &o, &r.cfg, r.err,
				    sizeof(r.err));
	if (r.ret)
		fail_msg("%s\n%s", r.err, xml);
	assert_int_equal(r.nr_warnings, 0);
	assert_int_equal(r.cfg.nr_devices, 3);
	free(xml);
}

static void test_write_refuses_unexpressible(void **state)
{
	static const char *const cases[][3] = {
		{ "--device", "edu", "edu" },
		{ "--iommu-backend", "sim", "sim" },
		{ "--device", "vfio=01:00.0,iommu=off", "outside the virtio-iommu" },
	};
	struct vm_config cfg;
	char err[512];
	FILE *f = fopen("/dev/null", "w");

	for (size_t i = 0; i < 3; i++) {
		char *argv[] = { "ioshade", "domxml", "--from-args", "run", "--kernel", "/k",
				 (char *)cases[i][0], (char *)cases[i][1] };

		assert_int_equal(cli_parse(8, argv, &cfg, err, sizeof(err)), CLI_DOMXML);
		assert_int_equal(domxml_write(f, &cfg, err, sizeof(err)), -EINVAL);
		expect_has(err, cases[i][2]);
	}
	fclose(f);
}

/* A relative image path that is too long once absolute (dev->path: 127 bytes). */
static void test_write_refuses_long_relative_path(void **state)
{
	char dir[] = "/tmp/ioshade-test-domxml-XXXXXX", spec[CONFIG_DEVSPEC_MAX], err[512];
	char *argv[] = { "ioshade", "domxml", "--from-args", "run", "--kernel", "/k",
			 "--device", spec };
	int here = open(".", O_RDONLY | O_DIRECTORY);
	struct vm_config cfg;
	FILE *f = fopen("/dev/null", "w");

	assert_true(here >= 0 && f);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	/* the longest file= --device takes, relative: dir + "/" + it > 127 */
	snprintf(spec, sizeof(spec), "virtio-blk,file=%0111d", 0);
	assert_int_equal(cli_parse(8, argv, &cfg, err, sizeof(err)), CLI_DOMXML);
	assert_int_equal(domxml_write(f, &cfg, err, sizeof(err)), -EINVAL);
	expect_has(err, "--device virtio-blk,file='000");
	expect_has(err, "libvirt needs an absolute path, and it would be longer than 127 bytes");
	assert_int_equal(fchdir(here), 0);
	assert_int_equal(rmdir(dir), 0);
	close(here);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_full_with_schema),
		cmocka_unit_test(test_schema_missing_is_a_note),
		cmocka_unit_test(test_virt_install_kvm),
		cmocka_unit_test(test_emulated),
		cmocka_unit_test(test_emulated_with_schema),
		cmocka_unit_test(test_emulated_rejections),
		cmocka_unit_test(test_emulated_limits),
		cmocka_unit_test(test_emulated_iommu_note),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_rejections_with_schema),
		cmocka_unit_test(test_every_fixture),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_bad_units),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_write_emulated),
		cmocka_unit_test(test_write_emulated_with_schema),
		cmocka_unit_test(test_write_refuses_unexpressible),
		cmocka_unit_test(test_write_refuses_long_relative_path),
	};

	return domxml_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
