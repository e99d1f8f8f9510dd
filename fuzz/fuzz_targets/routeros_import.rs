#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tunsec::routeros::fuzzing::import_script(data));
