//! Links the core without `std`; see Cargo.toml.
#![no_std]

use aliyun_imds_core::{Client, Config, Instant, Step};

/// Drives one step, so the machine's code is really compiled in.
pub fn first_step() -> bool {
    let mut client = Client::new(Config::default());
    let mut op = client.credentials(Instant::from_secs(1));
    matches!(op.step(Instant::from_secs(1)), Step::Connect)
}

/// The embedded adapter's defaults, so its code is linked in too.
pub fn timeouts() -> aliyun_imds_embedded::Timeouts {
    aliyun_imds_embedded::Timeouts::default()
}

/// The smoltcp adapter's clock, so its code is linked in too.
pub fn clock() -> aliyun_imds_smoltcp::UnixClock {
    aliyun_imds_smoltcp::UnixClock::unknown()
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
