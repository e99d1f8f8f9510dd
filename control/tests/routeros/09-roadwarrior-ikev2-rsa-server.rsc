# Manual:IP/IPsec, Application Examples, "Road Warrior setup using IKEv2 with RSA
# authentication", "RouterOS server configuration" and "Split tunnel configuration".
/certificate
add common-name=ca name=ca
sign ca ca-crl-host=2.2.2.2
add common-name=2.2.2.2 subject-alt-name=IP:2.2.2.2 key-usage=tls-server name=server1
sign server1 ca=ca

/ip pool add name=rw-pool ranges=192.168.77.2-192.168.77.254
/ip ipsec proposal
add name=rw-proposal pfs-group=none
/ip ipsec mode-conf
add name=rw-conf system-dns=yes address-pool=rw-pool address-prefix=32
/ip ipsec policy
group add name=rw-policies
add template=yes dst-address=192.168.77.0/24 group=rw-policies proposal=rw-proposal

/ip ipsec peer
add auth-method=rsa-signature certificate=server1 generate-policy=port-strict \
  mode-config=rw-conf passive=yes remote-certificate=none exchange-mode=ike2 \
  policy-template-group=rw-policies

# Split tunnel configuration
/ip ipsec mode-conf
set [find name="rw-conf"] split-include=10.5.8.0/24

/ip ipsec mode-conf
set [find name="rw-conf"] system-dns=no static-dns=10.5.8.1

/ip firewall filter
add action=drop chain=forward src-address=192.168.77.0/24 dst-address=!10.5.8.0/24

# Generating client certificates
/certificate
add common-name=rw-client1 name=rw-client1 key-usage=tls-client
sign rw-client1 ca=ca
