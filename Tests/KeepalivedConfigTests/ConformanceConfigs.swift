/// Real-world-shaped configurations for the conformance suite: the seed's two files, and
/// configurations in the style of kubespray/Ansible/Chef roles and keepalived's doc samples.
/// The first file of each is the one given to keepalived with -f.
struct ConformanceConfig {
    var name: String
    var files: [(String, String)]
}

enum ConformanceConfigs {
    static let all: [ConformanceConfig] = [
        ConformanceConfig(name: "seed prod-haproxy-000", files: [("keepalived.conf", SeedConfigs.prodHaproxy000)]),
        ConformanceConfig(name: "seed prod-haproxy-001", files: [("keepalived.conf", SeedConfigs.prodHaproxy001)]),
        ConformanceConfig(name: "kubespray-style apiserver VIP, unicast", files: [("keepalived.conf", """
            ! Configuration File for keepalived (managed by kubespray-like role)
            global_defs {
                router_id k8s-master-1
                enable_script_security
                script_user root
                vrrp_skip_check_adv_addr
            }

            vrrp_script check_apiserver {
                script "/bin/true"
                interval 3
                timeout 2
                fall 2
                rise 2
                weight -51
            }

            vrrp_instance VI_1 {
                state MASTER
                interface eth0
                virtual_router_id 51
                priority 150
                advert_int 1
                unicast_src_ip 10.253.1.1
                unicast_peer {
                    10.253.1.2
                    10.253.1.3
                }
                authentication {
                    auth_type PASS
                    auth_pass 42kube
                }
                virtual_ipaddress {
                    10.253.1.100/24 dev eth0 label eth0:vip
                }
                track_script {
                    check_apiserver
                }
            }
            """)]),
        ConformanceConfig(name: "ansible-style conf.d includes, definitions and conditionals", files: [
            ("keepalived.conf", """
            # Ansible managed
            $IFACE=eth1
            @lb1 $PRIO=200
            @^lb1 $PRIO=100
            global_defs {
                router_id {{ inventory_hostname }}
            }
            include conf.d/*.conf
            """),
            ("conf.d/10-scripts.conf", """
            vrrp_script chk_nginx {
                script "/bin/true"
                interval 2
                weight 20
            }
            vrrp_script chk_disk {
                script "/bin/true"
                interval 10
            }
            """),
            ("conf.d/20-web.conf", """
            vrrp_instance web_v4 {
                state BACKUP
                nopreempt
                interface $IFACE
                virtual_router_id 61
                priority $PRIO
                advert_int 2
                virtual_ipaddress {
                    192.0.2.10/32 dev ${IFACE}
                    192.0.2.11
                }
                virtual_ipaddress_excluded {
                    192.0.2.12
                }
                track_script {
                    chk_nginx
                    chk_disk weight -30
                }
                track_interface {
                    eth2 weight -20
                }
                notify_master "/bin/true master"
            }
            vrrp_instance web_v4_b { interface eth2
                virtual_router_id 62
                @lb1 priority 90
                @lb2 priority 110
                virtual_ipaddress
                {
                    192.0.2.20/24 brd 192.0.2.255 dev eth2 scope global
                }
            }
            vrrp_sync_group web {
                group {
                    web_v4
                    web_v4_b
                }
            }
            """),
        ]),
        ConformanceConfig(name: "IPv6 and mixed tracking", files: [("keepalived.conf", """
            vrrp_script chk_dns { script "/bin/true"
              weight 5 reverse
            }
            vrrp_instance v6 {
                interface eth3
                virtual_router_id 71
                version 3
                priority 120
                virtual_ipaddress {
                    2001:db8::71/64
                    fe80::71
                }
                track_script {
                    chk_dns weight -7
                }
            }
            vrrp_instance v4_weird_spacing	{	interface	eth0
            	virtual_router_id	72   ! tabs and a bang comment
            	priority	101#comment glued
            	virtual_ipaddress { 198.51.100.72 }
            	track_script { chk_dns }
            }
            """)]),
        ConformanceConfig(name: "~SEQ and a multi-line definition", files: [("keepalived.conf", """
            $INST= \\
            vrrp_instance gen_${N} { \\
                interface eth0 \\
                virtual_router_id 1${N} \\
                priority 1${N}0 \\
                virtual_ipaddress { \\
                    203.0.113.${N} \\
                } \\
            }
            ~SEQ(N, 1, 3) $INST
            vrrp_instance seq_vips {
                interface eth1
                virtual_router_id 90
                virtual_ipaddress {
                    ~SEQ(K, 5, 2, 9) 203.0.113.${K}0/32
                }
            }
            """)]),
        ConformanceConfig(name: "nested includes resolve relative to the including file", files: [
            ("keepalived.conf", "include sites/{a,b}.conf\n"),
            ("sites/a.conf", "vrrp_instance site_a {\n    interface eth0\n    virtual_router_id 81\n    virtual_ipaddress {\n        198.18.0.81\n    }\n}\ninclude common.conf\n"),
            ("sites/b.conf", "vrrp_instance site_b {\n    interface eth1\n    virtual_router_id 82\n    priority 82\n}\n"),
            ("sites/common.conf", "vrrp_instance site_common {\n    interface eth2\n    virtual_router_id 83\n}\n"),
            ("common.conf", "vrrp_instance WRONG_DIRECTORY {\n    interface eth2\n    virtual_router_id 84\n}\n"),
        ]),
        ConformanceConfig(name: "duplicate instance name: the second block is ignored", files: [("keepalived.conf", """
            vrrp_instance DUP {
                interface eth0
                virtual_router_id 5
            }
            vrrp_instance DUP {
                interface eth0
                virtual_router_id 6
            }
            """)]),
        ConformanceConfig(name: "instance without virtual_router_id is refused", files: [("keepalived.conf", """
            vrrp_instance NOVRID {
                interface eth0
                priority 50
            }
            """)]),
        ConformanceConfig(name: "initial states: no state, MASTER without priority, AH, owner without state, BACKUP after MASTER", files: [("keepalived.conf", """
            vrrp_instance NOSTATE {
                interface eth0
                virtual_router_id 11
                virtual_ipaddress {
                    10.253.1.11
                }
            }
            vrrp_instance MASTER_NO_PRIORITY {
                state MASTER
                interface eth0
                virtual_router_id 12
                virtual_ipaddress {
                    10.253.1.12
                }
            }
            vrrp_instance AH_MASTER {
                state MASTER
                interface eth0
                virtual_router_id 13
                priority 150
                nopreempt
                authentication {
                    auth_type AH
                    auth_pass secret
                }
                virtual_ipaddress {
                    10.253.1.13
                }
            }
            vrrp_instance OWNER {
                interface eth0
                virtual_router_id 14
                priority 255
                virtual_ipaddress {
                    10.253.1.14
                }
            }
            vrrp_instance TWICE {
                state MASTER
                state BACKUP
                interface eth0
                virtual_router_id 15
                priority 90
                virtual_ipaddress {
                    10.253.1.15
                }
            }
            vrrp_instance PASS_EMPTY {
                state MASTER
                interface eth1
                virtual_router_id 16
                priority 80
                authentication {
                    auth_type AH
                    auth_pass ""
                }
                unicast_src_ip 10.253.2.1/24
                unicast_peer {
                    10.253.2.2/24
                }
                virtual_ipaddress {
                    10.253.2.16
                }
            }
            """)]),
        ConformanceConfig(name: "sync groups start BACKUP unless every member is an owner", files: [("keepalived.conf", """
            vrrp_sync_group MIXED {
                group {
                    M1
                    M2
                }
            }
            vrrp_sync_group OWNERS {
                group {
                    O1
                    O2
                }
            }
            vrrp_instance M1 {
                state MASTER
                interface eth0
                virtual_router_id 21
                priority 200
                virtual_ipaddress {
                    10.253.1.21
                }
            }
            vrrp_instance M2 {
                state MASTER
                interface eth1
                virtual_router_id 22
                priority 255
                virtual_ipaddress {
                    10.253.2.22
                }
            }
            vrrp_instance O1 {
                state MASTER
                interface eth0
                virtual_router_id 23
                priority 255
                virtual_ipaddress {
                    10.253.1.23
                }
            }
            vrrp_instance O2 {
                state MASTER
                interface eth1
                virtual_router_id 24
                virtual_ipaddress {
                    10.253.2.24
                }
            }
            """)]),
        ConformanceConfig(name: "a keyword followed only by a comment is missing its parameter: refused", files: [("keepalived.conf", """
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 31
                priority # set by the role
                virtual_ipaddress {
                    10.253.1.31
                }
            }
            """)]),
        ConformanceConfig(name: "an empty auth_pass is missing its parameter: refused", files: [("keepalived.conf", """
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 32
                authentication {
                    auth_type PASS
                    auth_pass
                }
                virtual_ipaddress {
                    10.253.1.32
                }
            }
            """)]),
        ConformanceConfig(name: "an undefined ${PRIO}'s '}' closes the instance early, leaving a nameless track_file at the top level: refused", files: [("keepalived.conf", """
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 33
                priority ${PRIO}
                track_file {
                    tf weight 2
                }
                virtual_ipaddress {
                    10.253.1.33
                }
            }
            """)]),
        ConformanceConfig(name: "two script_user lines naming users that do not exist are logged, not fatal: keepalived starts", files: [("keepalived.conf", """
            global_defs {
                router_id lb1
                enable_script_security
                script_user hxk-no-such-user-1
                script_user hxk-no-such-user-2
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 34
                priority 150
                virtual_ipaddress {
                    10.253.1.34
                }
            }
            """)]),
    ]
}
