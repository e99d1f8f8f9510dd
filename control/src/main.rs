//! The `tunsec` binary (in progress).
fn main() {
    println!("tunsec {}", env!("CARGO_PKG_VERSION"));
}
