#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tunsec::ike::fuzzing::pki_input(data));
