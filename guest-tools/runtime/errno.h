/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The errno values the runtime returns (as -E*), same numbers as Linux so
 * logs read the same on both sides.
 */
#ifndef GUEST_ERRNO_H
#define GUEST_ERRNO_H

#define EPERM		1
#define ENOENT		2
#define EIO		5
#define ENOMEM		12
#define EFAULT		14
#define EBUSY		16
#define ENODEV		19
#define EINVAL		22
#define ENOSPC		28
#define ERANGE		34
#define ENOTSUP		95
#define ETIMEDOUT	110

#endif
