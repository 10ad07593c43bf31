//! End-to-end fetch latency over loopback against the simulator: the blocking and tokio
//! clients beside the floor (the same two exchanges hand-written on raw `TcpStream`s).

use aliyun_imds::{ImdsClient, Settings};
use aliyun_imds_benches::{ROLE, floor_fetch};
use aliyun_imds_core::Mode;
use aliyun_imds_simulator::{Simulator, SimulatorConfig, TcpServer};
use aliyun_imds_tokio::AsyncImdsClient;
use criterion::{Criterion, criterion_group, criterion_main};

fn fetch_latency(c: &mut Criterion) {
    let server = TcpServer::start("127.0.0.1:0", Simulator::new(SimulatorConfig::default()))
        .expect("simulator");
    let settings = Settings {
        endpoint: Some(server.addr().to_string()),
        role: Some(ROLE.to_owned()),
        mode: Some(Mode::HardenedOnly),
        ..Settings::default()
    };
    let resolved = settings.resolve_with(|_| None).expect("settings");
    let mut blocking = ImdsClient::with_resolved(resolved.clone());
    let mut tokio_client = AsyncImdsClient::with_resolved(resolved);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let addr = server.addr();

    let mut group = c.benchmark_group("fetch");
    group.bench_function("floor", |b| b.iter(|| floor_fetch(addr)));
    group.bench_function("blocking", |b| {
        b.iter(|| {
            blocking.forget_cache();
            blocking.credentials().expect("credentials")
        })
    });
    group.bench_function("tokio", |b| {
        b.iter(|| {
            tokio_client.forget_cache();
            runtime.block_on(tokio_client.credentials()).expect("credentials")
        })
    });
    group.bench_function("blocking_cached_token", |b| {
        b.iter(|| blocking.credentials().expect("credentials"))
    });
    group.finish();
}

criterion_group!(benches, fetch_latency);
criterion_main!(benches);
