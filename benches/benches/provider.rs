//! The provider's read path: `credentials()` once warm, on one thread and on all cores.

use std::sync::Barrier;
use std::time::{Duration, Instant as StdInstant};

use aliyun_imds::{CredentialsProvider, RefreshPolicy, SystemClock, wall_clock};
use aliyun_imds_core::Credentials;
use criterion::{Criterion, criterion_group, criterion_main};

fn read_path(c: &mut Criterion) {
    let source = || {
        let expiration = wall_clock().saturating_add(Duration::from_secs(6 * 3600));
        Ok(Credentials::new("STS.id", "secret", "token", expiration, None).expect("valid"))
    };
    let provider = CredentialsProvider::with_source(source, RefreshPolicy::default(), SystemClock);
    provider.credentials().expect("warm");
    let threads = std::thread::available_parallelism().map_or(2, usize::from);

    let mut group = c.benchmark_group("provider");
    group.bench_function("one_thread", |b| b.iter(|| provider.credentials().expect("cached")));
    group.bench_function("all_cores", |b| {
        b.iter_custom(|iters| {
            let barrier = Barrier::new(threads);
            let per_thread = iters.div_ceil(threads as u64);
            let elapsed = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        scope.spawn(|| {
                            barrier.wait();
                            let started = StdInstant::now();
                            for _ in 0..per_thread {
                                std::hint::black_box(provider.credentials().expect("cached"));
                            }
                            started.elapsed()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().expect("thread")).max().unwrap_or_default()
            });
            // Wall time per call across all threads: the aggregate throughput.
            elapsed / threads as u32
        })
    });
    group.finish();
}

criterion_group!(benches, read_path);
criterion_main!(benches);
