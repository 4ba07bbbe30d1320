/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mapping store of one domain: disjoint inclusive IOVA ranges
 * [start, last] -> {gpa, flags}, kept in an AVL tree ordered by start.
 * Because ranges never overlap, ordering by start also orders by last,
 * so every query is a plain O(log n) descent. One node per mapping.
 */
#ifndef IOSHADE_VIOMMU_IOVA_TREE_H
#define IOSHADE_VIOMMU_IOVA_TREE_H

#include <stddef.h>
#include <stdint.h>

struct iova_map {
	uint64_t start;
	uint64_t last;			/* inclusive, >= start */
	uint64_t gpa;			/* address of start */
	uint32_t flags;			/* VIRTIO_IOMMU_MAP_F_* as mapped */
};

struct iova_tree;

struct iova_tree *iova_tree_create(void);
void iova_tree_destroy(struct iova_tree *t);

/* Insert [start, last]. -EINVAL if last < start, -EEXIST if it overlaps an
 * existing mapping, -ENOMEM. The tree is unchanged on error. */
int iova_tree_insert(struct iova_tree *t, uint64_t start, uint64_t last,
		     uint64_t gpa, uint32_t flags);
/* Remove the mapping that starts exactly at start. -ENOENT if none. */
int iova_tree_remove(struct iova_tree *t, uint64_t start);
/* The mapping containing iova, or NULL. The pointer is valid until the next
 * change of the tree. */
const struct iova_map *iova_tree_find(const struct iova_tree *t, uint64_t iova);
/* The lowest mapping that overlaps [start, last], or NULL. */
const struct iova_map *iova_tree_first_overlap(const struct iova_tree *t,
					       uint64_t start, uint64_t last);
/* The highest mapping that overlaps [start, last], or NULL. */
const struct iova_map *iova_tree_last_overlap(const struct iova_tree *t,
					      uint64_t start, uint64_t last);
/* The lowest mapping whose start is > iova, or NULL (in-order iteration). */
const struct iova_map *iova_tree_next(const struct iova_tree *t, uint64_t iova);

size_t iova_tree_count(const struct iova_tree *t);
/* Height of the tree (0 when empty), for balance tests. */
int iova_tree_height(const struct iova_tree *t);
/* Bytes allocated per mapping (the node size), for benchmarks. */
size_t iova_tree_node_size(void);

/* Call fn for each mapping in ascending order; stops at and returns the
 * first non-zero value fn returns. fn must not change the tree. */
int iova_tree_foreach(const struct iova_tree *t,
		      int (*fn)(const struct iova_map *m, void *opaque), void *opaque);

/* Remove every mapping. */
void iova_tree_clear(struct iova_tree *t);
/* Remove every mapping that overlaps [start, last] (the caller checked that
 * none sticks out of it) and return how many went. When they are all the
 * mappings of the tree, one pass frees them without rebalancing: O(n), not
 * O(n log n), which bounds an UNMAP of the whole space. */
size_t iova_tree_remove_range(struct iova_tree *t, uint64_t start, uint64_t last);

#endif
