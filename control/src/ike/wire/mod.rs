//! IKEv2 message codec: header, payload chain and every payload tunsec sends or reads.
