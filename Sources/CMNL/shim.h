#ifndef HAEXPLAIN_CMNL_SHIM_H
#define HAEXPLAIN_CMNL_SHIM_H
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>

/* glibc declares setns only under _GNU_SOURCE, which Swift's Glibc module does not set. */
extern int setns(int fd, int nstype);
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
#endif
