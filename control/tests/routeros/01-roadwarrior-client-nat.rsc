# Manual:IP/IPsec, Application Guides, "RoadWarrior client with NAT".
# The client's request-only mode-config generates source NAT for the hosts in an address list.
/ip firewall address-list add address=192.168.88.0/24 list=local-RW

/ip ipsec mode-config set [ find name="request-only" ] src-address-list=local-RW
