# Manual:IP/IPsec, Application Examples, "Basic L2TP/IPsec setup", "RouterOS client
# configuration": the L2TP client makes its IPsec peer and policy dynamically.
/interface l2tp-client
add connect-to=1.1.1.1 disabled=no ipsec-secret=mySecret name=l2tp-out1 \
    password=123 use-ipsec=yes user=user1
