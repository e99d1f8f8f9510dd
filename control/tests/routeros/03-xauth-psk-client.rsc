# Manual:IP/IPsec, Application Guides, "Simple mutual PSK XAuth configuration", client side.
/ip ipsec peer
add address=2.2.2.2 auth-method=pre-shared-key-xauth secret="123" \
  xauth-login=test xauth-password=345
