//! Core CPU cost of one full hardened flow, beside the usual httparse + serde_json parse.

use std::hint::black_box;

use aliyun_imds_benches::{baseline_flow, core_client, core_flow, responses};
use criterion::{Criterion, criterion_group, criterion_main};

fn hardened_flow(c: &mut Criterion) {
    let responses = responses();
    let mut client = Box::new(core_client());
    assert!(core_flow(&mut client, &responses) > 1500, "the flow yields the token");
    let mut group = c.benchmark_group("flow");
    group.bench_function("core", |b| b.iter(|| core_flow(&mut client, black_box(&responses))));
    group.bench_function("baseline", |b| b.iter(|| baseline_flow(black_box(&responses))));
    group.finish();
}

criterion_group!(benches, hardened_flow);
criterion_main!(benches);
