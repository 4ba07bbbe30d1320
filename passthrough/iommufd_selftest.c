// SPDX-License-Identifier: GPL-2.0-only
/*
 * The kernel's iommufd selftest mock device (CONFIG_IOMMUFD_TEST) behind the
 * iommufd hiopt ops, so lab tests can shadow guest mappings into a mock
 * domain and read them back with IOMMU_TEST_OP_MD_CHECK_MAP. The mock is
 * created on an empty "park" IOAS, which also stands in for "detached".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "passthrough/iommufd_int.h"
#include "passthrough/uapi/iommufd_abi.h"

static int test_cmd(struct iommufd *ifd, struct ioshade_iommu_test_cmd *c)
{
	c->size = sizeof(*c);
	return iommufd_ioctl(ifd->fd, IOSHADE_IOMMU_TEST_CMD, c);
}

/* MOCK_DOMAIN_REPLACE: the kernel answers with the HWPT it attached. */
static int replace(struct iommufd *ifd, struct hiopt_dev *dev, uint32_t pt_id, uint32_t *hwpt)
{
	struct ioshade_iommu_test_cmd c = {
		.op = IOSHADE_IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = dev->stdev_id,
		.mock_domain_replace.pt_id = pt_id,
	};
	int rc = test_cmd(ifd, &c);

	if (!rc)
		*hwpt = c.mock_domain_replace.pt_id;
	return rc;
}

int iommufd_selftest_attach(struct iommufd *ifd, struct hiopt_dev *dev, uint32_t pt_id)
{
	uint32_t hwpt;
	int rc = replace(ifd, dev, pt_id, &hwpt);

	if (rc)
		return rc;
	dev->pt_id = hwpt;
	dev->attached = true;
	return 0;
}

int iommufd_selftest_detach(struct iommufd *ifd, struct hiopt_dev *dev)
{
	uint32_t hwpt;
	int rc = replace(ifd, dev, dev->park_ioas, &hwpt);

	if (!rc)
		dev->attached = false;
	return rc;
}

void iommufd_selftest_release(struct iommufd *ifd, struct hiopt_dev *dev)
{
	struct hiopt h = iommufd_hiopt(ifd);

	/* Destroying the selftest object detaches and unbinds the mock. */
	if (iommufd_destroy_id(ifd, dev->stdev_id))
		fprintf(stderr, "ioshade: iommufd: cannot destroy mock device %u\n", dev->stdev_id);
	dev->attached = false;
	h.ops->ioas_destroy(h.be, dev->park_ioas);
}

int iommufd_selftest_dev_create(struct iommufd *ifd, struct hiopt_dev **out, uint32_t *stdev_id)
{
	struct ioshade_iommu_test_cmd c = { .op = IOSHADE_IOMMU_TEST_OP_MOCK_DOMAIN };
	struct hiopt h = iommufd_hiopt(ifd);
	struct hiopt_dev *dev = calloc(1, sizeof(*dev));
	int rc = -ENOMEM;

	if (!dev)
		return rc;
	rc = h.ops->ioas_alloc(h.be, &dev->park_ioas);
	if (rc)
		goto err_free;
	c.id = dev->park_ioas;
	rc = test_cmd(ifd, &c);
	if (rc)
		goto err_ioas;
	dev->ifd = ifd;
	dev->fd = -1;
	dev->selftest = true;
	dev->stdev_id = c.mock_domain.out_stdev_id;
	dev->dev_id = c.mock_domain.out_idev_id;
	snprintf(dev->name, sizeof(dev->name), "mock%u", dev->stdev_id);
	iommufd_dev_link(ifd, dev);
	if (stdev_id)
		*stdev_id = dev->stdev_id;
	*out = dev;
	return 0;
err_ioas:
	h.ops->ioas_destroy(h.be, dev->park_ioas);
err_free:
	free(dev);
	return rc;
}
