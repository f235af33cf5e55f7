#ifndef HAEXPLAIN_CNAMESPACES_SHIM_H
#define HAEXPLAIN_CNAMESPACES_SHIM_H
#include <sched.h>

/* glibc declares setns only under _GNU_SOURCE, which Swift's Glibc module does not set. */
extern int setns(int fd, int nstype);
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
#endif
