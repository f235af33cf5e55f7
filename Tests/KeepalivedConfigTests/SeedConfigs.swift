/// The seed story's two balancers' keepalived.conf files, verbatim.
enum SeedConfigs {
    static let prodHaproxy000 = """
# ------------------------------------------------
# Chef controlled file - Edits will be overwritten
# Environment - prod
# Node - prod-haproxy-000.panda.com
# ------------------------------------------------

vrrp_script chk_haproxy {
  script "killall -0 haproxy"
  interval 2
  weight -2
}


vrrp_instance 192.168.3.200 {
  interface eth2
  state MASTER
  virtual_router_id 200
  priority 100
  virtual_ipaddress {
    192.168.3.200
  }
  track_script {
    chk_haproxy
  }
}
vrrp_instance 192.168.3.201 {
  interface eth2
  state MASTER
  virtual_router_id 201
  priority 99
  virtual_ipaddress {
    192.168.3.201
  }
  track_script {
    chk_haproxy
  }
}
"""

    static let prodHaproxy001 = """
# ------------------------------------------------
# Chef controlled file - Edits will be overwritten
# Environment - prod
# Node - prod-haproxy-001.panda.com
# ------------------------------------------------

vrrp_script chk_haproxy {
  script "killall -0 haproxy"
  interval 2
  weight -2
}


vrrp_instance 192.168.3.201 {
  interface eth2
  state MASTER
  virtual_router_id 201
  priority 100
  virtual_ipaddress {
    192.168.3.201
  }
  track_script {
    chk_haproxy
  }
}
vrrp_instance 192.168.3.200 {
  interface eth2
  state MASTER
  virtual_router_id 200
  priority 99
  virtual_ipaddress {
    192.168.3.200
  }
  track_script {
    chk_haproxy
  }
}
"""
}
