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
#endif
