//! Runs one kind of flow N times, for `valgrind --tool=callgrind`: instructions per flow are
//! (Ir(N) - Ir(0)) / N. Usage: `callgrind_flow core|baseline N`.

use aliyun_imds_benches::{baseline_flow, core_client, core_flow, responses};

fn main() {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_default();
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let responses = responses();
    let mut client = Box::new(core_client());
    let mut total = 0;
    for _ in 0..runs {
        total += match kind.as_str() {
            "core" => core_flow(&mut client, std::hint::black_box(&responses)),
            _ => baseline_flow(std::hint::black_box(&responses)),
        };
    }
    std::hint::black_box(total);
}
