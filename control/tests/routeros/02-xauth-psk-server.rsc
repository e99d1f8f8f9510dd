# Manual:IP/IPsec, Application Guides, "Simple mutual PSK XAuth configuration", server side.
/ip ipsec peer
add address=2.2.2.1 auth-method=pre-shared-key-xauth secret="123" passive=yes

/ip ipsec user
add name=test password=345
