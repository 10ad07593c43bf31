//! A credentials fetch on the core alone, behind a C ABI: the caller supplies send/recv.
#![no_std]

use aliyun_imds_core::{Client, Config, Instant, Step};

/// Fetches credentials with `send(bytes, len) -> written` and `recv(buf, cap) -> read` (a new
/// connection each time `connect()` is called); writes the SecurityToken's length to `out`.
/// Returns 0 on success.
#[unsafe(no_mangle)]
pub extern "C" fn imds_fetch(
    now_ms: u64,
    connect: extern "C" fn() -> i32,
    send: extern "C" fn(*const u8, usize) -> isize,
    recv: extern "C" fn(*mut u8, usize) -> isize,
    out: &mut usize,
) -> i32 {
    let mut client = Client::new(Config::default());
    let now = Instant::from_millis(now_ms);
    let mut op = client.credentials(now);
    loop {
        match op.step(now) {
            Step::Connect => {
                if connect() != 0 {
                    op.transport_failed(aliyun_imds_core::TransportError::Connect);
                }
            }
            Step::Send(bytes) => match send(bytes.as_ptr(), bytes.len()) {
                n if n > 0 => op.sent(n as usize),
                _ => op.transport_failed(aliyun_imds_core::TransportError::Reset),
            },
            Step::Recv(buf) => match recv(buf.as_mut_ptr(), buf.len()) {
                n if n >= 0 => op.received(n as usize),
                _ => op.transport_failed(aliyun_imds_core::TransportError::Reset),
            },
            Step::Wait(_) => {}
            Step::Done => {
                *out = op.output().map_or(0, |c| c.security_token().len());
                return 0;
            }
            Step::Failed(_) => return 1,
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}
