# Manual:IP/IPsec, Application Examples, "Road Warrior setup using IKEv2 with RSA
# authentication", "RouterOS client configuration" and "Enabling dynamic source NAT rule
# generation".
/certificate import file-name=cert_export_RouterOS_client.p12 passphrase=1234567890

/put [/certificate get [find common-name=RouterOS_client] name]

/ip ipsec peer
add address=2.2.2.2 auth-method=rsa-signature certificate=cert_export_RouterOS_client.p12_0 mode-config=request-only exchange-mode=ike2 generate-policy=port-strict

/ip ipsec
remote-peers print
installed-sa print

/ip firewall address-list
add address=192.168.88.0/24 list=local

/ip ipsec mode-config
set [ find name=request-only ] src-address-list=local
