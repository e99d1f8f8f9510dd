# Manual:IP/IPsec, Application Guides, "Allow only IPsec encapsulated traffic".
# "IPsec policy matcher": the manual writes these rules without their menu; they are
# /ip firewall filter rules, so that menu is named here.
/ip firewall filter
add chain=input comment="ipsec policy matcher" in-interface=WAN \
    ipsec-policy=in,ipsec
add action=drop chain=input comment="drop all" in-interface=WAN log=yes

# "Using generic IPsec policy": drop unencrypted L2TP on the public address 1.1.1.1.
/ip ipsec policy
add src-address=1.1.1.1 dst-address=0.0.0.0/0 sa-src-address=1.1.1.1 \
  protocol=udp src-port=1701 tunnel=yes action=discard
