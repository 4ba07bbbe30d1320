/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device event loop: one thread that waits on eventfds (queue notifies,
 * timers, host fault fds) and runs device work. vCPU threads only kick fds.
 */
#ifndef IOSHADE_VMM_EVLOOP_H
#define IOSHADE_VMM_EVLOOP_H

struct evloop;

typedef void (*evloop_cb)(void *opaque);

struct evloop *evloop_create(void);
/* Stops the thread if running, then frees. */
void evloop_destroy(struct evloop *loop);
/* Watch fd for readability; cb must drain it. -errno on failure. */
int evloop_add(struct evloop *loop, int fd, evloop_cb cb, void *opaque);
int evloop_del(struct evloop *loop, int fd);
/*
 * Run fn(arg) on the loop thread once the callback it may be running now has
 * returned: the way to free what a just-removed watch's callback may still
 * be using (evloop_del does not wait, and its caller may hold a lock that
 * callback takes). Without a running thread, fn runs at the next
 * evloop_stop or evloop_destroy. 0, or -ENOMEM (fn not queued).
 */
int evloop_defer(struct evloop *loop, evloop_cb fn, void *arg);
int evloop_start(struct evloop *loop);
void evloop_stop(struct evloop *loop);

#endif
