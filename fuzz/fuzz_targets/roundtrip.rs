#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tunsec_dataplane::fuzzing::roundtrip(data));
