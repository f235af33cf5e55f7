#ifndef HAEXPLAIN_CNFTABLES_SHIM_H
#define HAEXPLAIN_CNFTABLES_SHIM_H
/* libnftables' header only: Firewall binds the library when a command reads the ruleset. */
#include <nftables/libnftables.h>
#endif
