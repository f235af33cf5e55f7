/* Types and constants only: Capture binds libpcap's functions at run time (LibPcap.swift). */
#include <pcap/pcap.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
#include <dlfcn.h>
