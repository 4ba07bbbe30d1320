/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private structures of the simulated IOMMU, shared by sim_iommu.c (objects,
 * ops table), sim_ioas.c (mapping store) and sim_nested.c (stage-1 walk,
 * IOTLB). Everything here is protected by sim_iommu.lock.
 */
#ifndef IOSHADE_PASSTHROUGH_SIM_INTERNAL_H
#define IOSHADE_PASSTHROUGH_SIM_INTERNAL_H

#include <pthread.h>

#include "passthrough/sim/sim_iommu.h"

enum sim_obj_type {
	SIM_OBJ_IOAS = 1,
	SIM_OBJ_HWPT_PARENT,
	SIM_OBJ_HWPT_NESTED,
	SIM_OBJ_DEV,
};

/* Header of every object; users counts references that block destroy. */
struct sim_obj {
	uint32_t id;
	enum sim_obj_type type;
	unsigned users;
};

/* One mapping, inclusive [iova, last]. */
struct sim_map {
	uint64_t iova;
	uint64_t last;
	uint8_t *hva;
	unsigned prot;
};

/* Invariant: maps[] sorted by iova, pairwise disjoint (so also sorted by last). */
struct sim_ioas {
	struct sim_obj obj;
	struct sim_map *maps;
	size_t n;
	size_t cap;
};

struct sim_hwpt {
	struct sim_obj obj;
	struct sim_ioas *ioas;		/* stage 2: GPA -> HVA */
};

/* A cached stage-1 leaf: [iova, iova+size) -> gpa, with the walk's prot. */
struct sim_tlb {
	uint64_t iova;
	uint64_t size;
	uint64_t gpa;
	unsigned prot;
	bool valid;
};

struct sim_nested {
	struct sim_obj obj;
	struct sim_hwpt *parent;
	struct sim_hwpt_x86 s1;
	struct sim_tlb tlb[SIM_IOTLB_ENTRIES];
	unsigned tlb_next;		/* round-robin victim */
};

/* The sim's device; handed out as an opaque struct hiopt_dev pointer (other
 * backends have their own device type behind the same name). */
struct sim_dev {
	struct sim_obj obj;
	struct sim_iommu *sim;
	struct sim_obj *pt;		/* IOAS / HWPT attached to, NULL = blocked */
};

static inline struct sim_dev *sim_dev_of(const struct hiopt_dev *d)
{
	return (struct sim_dev *)(uintptr_t)d;
}

static inline struct hiopt_dev *sim_dev_handle(struct sim_dev *d)
{
	return (struct hiopt_dev *)d;
}

struct sim_iommu {
	pthread_mutex_t lock;		/* protects everything below */
	struct hiopt hiopt;
	struct sim_iommu_config cfg;
	struct hiopt_iova_range ranges[SIM_MAX_HOLES + 1];	/* aperture minus holes */
	size_t nranges;
	struct sim_obj **objs;		/* index = ID; slot 0 never used */
	uint32_t nobjs;			/* slots allocated */
	unsigned fail_countdown;	/* 0 = disarmed */
	unsigned fail_more;		/* ops that fail after the one counted down to */
	int fail_err;
	uint64_t op_count;
	struct hiopt_fault faults[SIM_FAULT_QUEUE];
	unsigned fault_head;
	unsigned fault_len;
	uint64_t faults_dropped;
	int fault_efd;			/* eventfd: readable while faults are pending */
};

/* sim_iommu.c: object table and fail-Nth */
extern const struct hiopt_ops sim_hiopt_ops;
int sim_obj_add_locked(struct sim_iommu *sim, struct sim_obj *obj, enum sim_obj_type type);
struct sim_obj *sim_obj_get_locked(struct sim_iommu *sim, uint32_t id);
/* want 0 = any type. 0, -ENOENT, -EBUSY. */
int sim_obj_destroy_locked(struct sim_iommu *sim, uint32_t id, enum sim_obj_type want);
void sim_obj_free(struct sim_obj *obj);
int sim_fail_check_locked(struct sim_iommu *sim);

/* hiopt_ops entries (sim_iommu.c: IOAS; sim_dev.c: devices, HWPTs, faults) */
int sim_op_ioas_alloc(void *be, uint32_t *ioas_id);
void sim_op_ioas_destroy(void *be, uint32_t ioas_id);
int sim_op_map(void *be, uint32_t ioas_id, uint64_t iova, void *hva, uint64_t len,
	       unsigned prot);
int sim_op_unmap(void *be, uint32_t ioas_id, uint64_t iova, uint64_t len, uint64_t *unmapped);
int sim_op_iova_ranges(void *be, uint32_t ioas_id, struct hiopt_iova_range *r, size_t max,
		       size_t *n);
int sim_op_device_attach(void *be, struct hiopt_dev *dev, uint32_t pt_id);
int sim_op_device_detach(void *be, struct hiopt_dev *dev);
int sim_op_hw_info(void *be, struct hiopt_dev *dev, struct hiopt_hw_info *info);
int sim_op_hwpt_alloc_nest_parent(void *be, struct hiopt_dev *dev, uint32_t ioas_id,
				  uint32_t *hwpt_id);
int sim_op_hwpt_alloc_nested(void *be, struct hiopt_dev *dev, uint32_t parent_id,
			     uint32_t data_type, const void *data, size_t data_len,
			     uint32_t *hwpt_id);
void sim_op_hwpt_destroy(void *be, uint32_t hwpt_id);
int sim_op_hwpt_invalidate(void *be, uint32_t hwpt_id, uint32_t data_type,
			   const void *entries, uint32_t entry_len, uint32_t *n);
int sim_op_fault_read(void *be, struct hiopt_fault *f, size_t max);
int sim_op_fault_fd(void *be);

/* sim_ioas.c */
struct sim_map *sim_ioas_find(const struct sim_ioas *ioas, uint64_t iova);
bool sim_ioas_overlaps(const struct sim_ioas *ioas, uint64_t iova, uint64_t last);
int sim_ioas_insert(struct sim_ioas *ioas, uint64_t iova, uint64_t last, void *hva,
		    unsigned prot);
int sim_ioas_unmap_range(struct sim_ioas *ioas, uint64_t start, uint64_t last,
			 uint64_t *unmapped);
/* Stage-2 step: addr -> hva with access check; *contig bytes left in the map. */
int sim_ioas_xlate(const struct sim_ioas *ioas, uint64_t addr, unsigned access,
		   uint8_t **hva, uint64_t *contig);

/* sim_nested.c */
int sim_nested_parse(const void *data, size_t len, struct sim_hwpt_x86 *out);
int sim_nested_xlate(struct sim_nested *n, uint64_t iova, unsigned access, uint8_t **hva,
		     uint64_t *contig);
/* type: HIOPT_HWPT_DATA_SIM_X86 or the neutral HIOPT_HWPT_DATA_X86_S1 (same
 * layout, plus the HIOPT_S1_INV_F_LEAF hint, which the leaf-only IOTLB ignores). */
int sim_nested_invalidate(struct sim_nested *n, uint32_t type, const void *entries,
			  uint32_t entry_len, uint32_t *num);
int sim_nested_tlb_count(const struct sim_nested *n);

#endif
