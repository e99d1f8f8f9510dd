# Manual:IP/IPsec, Application Examples, "Site to Site IPsec tunnel", Site 1 configuration
# (Office 1: LAN 10.1.202.0/24, public 192.168.90.1), with its part of "NAT and Fasttrack
# Bypass".
/ip ipsec peer
add address=192.168.80.1/32 auth-method=pre-shared-key secret="test"

/ip ipsec policy
add src-address=10.1.202.0/24 src-port=any dst-address=10.1.101.0/24 dst-port=any \
sa-src-address=192.168.90.1 sa-dst-address=192.168.80.1 \
tunnel=yes action=encrypt proposal=default

/ip ipsec
remote-peers print
installed-sa print

/ip firewall nat
add chain=srcnat action=accept  place-before=0 \
 src-address=10.1.202.0/24 dst-address=10.1.101.0/24

# The manual's Fasttrack rules, without the line continuation it forgot.
/ip firewall filter
add chain=forward action=accept place-before=1 \
 src-address=10.1.101.0/24 dst-address=10.1.202.0/24 connection-state=established,related
add chain=forward action=accept place-before=1 \
 src-address=10.1.202.0/24 dst-address=10.1.101.0/24 connection-state=established,related

/ip firewall raw
add action=notrack chain=prerouting src-address=10.1.101.0/24 dst-address=10.1.202.0/24
add action=notrack chain=prerouting src-address=10.1.202.0/24 dst-address=10.1.101.0/24
