/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One description of a VM, filled from the command line (cli.c) or, later,
 * from libvirt domain XML. Plain data: no handles, no allocations, so a config
 * can be copied, compared and built in a unit test.
 */
#ifndef IOSHADE_VMM_CONFIG_H
#define IOSHADE_VMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_PATH_MAX		4096
#define CONFIG_CMDLINE_MAX	2048	/* fits LAYOUT_CMDLINE_MAX with its NUL */
#define CONFIG_MAX_DEVICES	16
#define CONFIG_DEVSPEC_MAX	128

#define CONFIG_MEM_MIN		(16ULL << 20)
#define CONFIG_MEM_MAX		(1ULL << 40)
#define CONFIG_MEM_DEFAULT	(256ULL << 20)
#define CONFIG_CPUS_MAX		8

enum config_device_kind {
	CONFIG_DEV_EDU,		/* emulated edu DMA device (vmm/edu.c) */
	CONFIG_DEV_EDU_SIM,	/* simulated assignable edu behind the sim IOMMU */
	CONFIG_DEV_VFIO,	/* host device assigned through VFIO/iommufd */
	CONFIG_DEV_VIRTIO_RNG,	/* emulated virtio-rng (vmm/virtio/rng.c) */
	CONFIG_DEV_VIRTIO_BLK,	/* emulated virtio-blk on a host file (vmm/virtio/blk.c) */
};

/* Tri-state switches: AUTO lets the machine decide. */
enum config_switch {
	CONFIG_AUTO,
	CONFIG_ON,
	CONFIG_OFF,
};

enum config_iommu_backend {
	CONFIG_BACKEND_AUTO,
	CONFIG_BACKEND_IOMMUFD,
	CONFIG_BACKEND_SIM,
};

enum config_serial {
	CONFIG_SERIAL_STDOUT,
	CONFIG_SERIAL_NONE,
	CONFIG_SERIAL_FILE,	/* serial_path */
	CONFIG_SERIAL_PTY,	/* a new pseudo-terminal; its path is printed */
};

enum config_log_level {
	CONFIG_LOG_ERROR,
	CONFIG_LOG_WARN,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
};

/* One --device, checked for syntax; what it means is decided in main.c. */
struct config_device {
	enum config_device_kind kind;
	enum config_switch iommu;	/* iommu=on|off, AUTO when absent */
	char host_bdf[16];		/* vfio: "dddd:bb:dd.f", normalised */
	char path[CONFIG_DEVSPEC_MAX];	/* virtio-blk: file=PATH (required) */
	bool read_only;			/* virtio-blk: readonly=on */
	char spec[CONFIG_DEVSPEC_MAX];	/* the argument as given */
	bool managed;			/* vfio: rebind to vfio-pci and back (libvirt managed='yes') */
};

/* --viommu-limits: bounds on what the guest can make the viommu allocate
 * (docs/security.md, "Resource limits"). 0: the default below, which
 * main.c checks against viommu.h's. */
struct config_viommu_limits {
	uint32_t mappings;		/* live mappings, whole VM */
	uint32_t domain_mappings;	/* live mappings, one domain */
	uint32_t domains;		/* live domains */
	uint32_t faults;		/* pending fault events */
};

#define CONFIG_VIOMMU_MAPPINGS_DEFAULT		524288
#define CONFIG_VIOMMU_DOMAIN_MAPPINGS_DEFAULT	262144
#define CONFIG_VIOMMU_DOMAINS_DEFAULT		1024
#define CONFIG_VIOMMU_FAULTS_DEFAULT		256

/* Where a file path came from when it was domain XML ("vm.xml:8: <kernel>"),
 * so that a missing file is reported there; empty: the command line. */
#define CONFIG_ORIGIN_MAX	256
struct config_origin {
	char kernel[CONFIG_ORIGIN_MAX];
	char initrd[CONFIG_ORIGIN_MAX];
	char device[CONFIG_MAX_DEVICES][CONFIG_ORIGIN_MAX];	/* virtio-blk <source> */
};

#define CONFIG_NAME_MAX		256
#define CONFIG_UUID_LEN		36	/* 8-4-4-4-12 lowercase hex */

struct vm_config {
	char name[CONFIG_NAME_MAX];	/* domain XML <name>; empty from the command line */
	char uuid[CONFIG_UUID_LEN + 1];	/* domain XML <uuid>, normalised; empty: none */
	char kernel[CONFIG_PATH_MAX];
	char initrd[CONFIG_PATH_MAX];	/* empty: none */
	char cmdline[CONFIG_CMDLINE_MAX];
	uint64_t memory;		/* bytes, 4 KiB multiple, MEM_MIN..MEM_MAX */
	unsigned cpus;			/* 1..CONFIG_CPUS_MAX */
	enum config_serial serial;
	char serial_path[CONFIG_PATH_MAX];
	enum config_switch viommu;
	unsigned viommu_aw_bits;	/* input range [0, 2^aw_bits - 1]; 0: machine default */
	uint64_t viommu_granule;	/* page size in bytes (4K/8K/16K/64K); 0: machine default */
	struct config_viommu_limits viommu_limits;
	enum config_iommu_backend iommu_backend;
	enum config_log_level log_level;
	unsigned libvirt_version;	/* domxml --schema-version: DOMXML_VERSION, 0: installed */
	unsigned nr_devices;
	struct config_device devices[CONFIG_MAX_DEVICES];
	struct config_origin origin;
};

/* Defaults: 256 MiB, 1 vCPU, serial on stdout, viommu auto, backend auto. */
void config_init(struct vm_config *cfg);

/*
 * Parse a memory size: plain bytes or a K/M/G/T suffix (binary units, case
 * insensitive, optional trailing "B"/"iB"). 0 or -EINVAL (syntax) / -ERANGE.
 * Range and alignment are checked by the caller.
 */
int config_parse_size(const char *s, uint64_t *out);

/* Parse one --device argument into dev. 0 or -EINVAL with a message in err. */
int config_parse_device(const char *arg, struct config_device *dev, char *err, size_t errlen);

/* Parse a --viommu-limits argument, "KEY=N[,KEY=N]..." with KEY mappings,
 * domain-mappings, domains or faults and N in 1..4294967295, into l (keys
 * not given keep their value). 0 or -EINVAL with a message in err. */
int config_parse_viommu_limits(const char *arg, struct config_viommu_limits *l, char *err,
			       size_t errlen);

/* Check the files a config names exist and are readable: 0 or -errno with a
 * message naming the path and the reason. */
int config_check_files(const struct vm_config *cfg, char *err, size_t errlen);

/* Whether the VM gets a virtio-iommu: forced by --viommu/--no-viommu, else
 * on when any device sits behind it (iommu= not off). */
bool config_viommu_enabled(const struct vm_config *cfg);

const char *config_device_kind_name(enum config_device_kind kind);
/* "edu, edu-sim, vfio=BDF, ...": for error messages and help. */
const char *config_device_kinds(void);

#endif
