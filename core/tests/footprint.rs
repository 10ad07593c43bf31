//! The memory the machine owns, with the default limits. Printed by
//! `cargo test -p aliyun-imds-core --test footprint -- --nocapture`.

use core::mem::size_of;

use aliyun_imds_core::{Client, Credentials, Error, FetchCredentials, Operation, Step};

#[test]
fn the_machine_fits_in_12_kib() {
    let client = size_of::<Client>();
    let operation = size_of::<Operation<'_, FetchCredentials>>();
    println!(
        "Client: {client} B, Operation: {operation} B, Credentials: {} B, Error: {} B, Step: {} B",
        size_of::<Credentials>(),
        size_of::<Error>(),
        size_of::<Step<'_>>()
    );
    assert!(client + operation <= 12 * 1024, "{client} + {operation} bytes");
}
