#include <pcap/pcap.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
