//! IKEv2 cryptography: PRFs and prf+, the RFC 7296 key schedule, Diffie-Hellman groups, the encrypted (SK) payload and AUTH.
