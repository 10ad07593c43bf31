//! The simulator's request reader faces whatever clients send: any bytes, any split. It never
//! panics, and whatever it answers is a well-formed HTTP response.
#![no_main]

use aliyun_imds_core::Instant;
use aliyun_imds_simulator::{Connection, Simulator, SimulatorConfig};
use libfuzzer_sys::fuzz_target;

// Input: four piece sizes (cycled; 0 counts as 1), then the request bytes.
fuzz_target!(|input: &[u8]| {
    let (splits, bytes) = input.split_at(input.len().min(4));
    let simulator = Simulator::new(SimulatorConfig::default());
    let mut connection = Connection::new(simulator);
    let now = Instant::from_secs(1_700_000_000);
    let mut rest = bytes;
    let mut sizes = splits.iter().map(|s| usize::from(*s).max(1)).cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        if let Some(reply) = connection.receive(piece, now) {
            let bytes = reply.bytes();
            if !bytes.is_empty() {
                let mut headers = [httparse::EMPTY_HEADER; 16];
                let mut response = httparse::Response::new(&mut headers);
                assert!(response.parse(&bytes).expect("well-formed").is_complete());
            }
            return;
        }
    }
});
