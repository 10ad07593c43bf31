//! End-to-end fetch latency over loopback: the blocking and tokio clients beside the floor
//! (the same two exchanges hand-written on raw `TcpStream`s), against a simulator in another
//! process (`aliyun-imds simulate`).
//!
//! Every fetch opens two connections, and the sockets they leave in TIME_WAIT slow down later
//! connects for everyone. So the variants are interleaved (rounds of 100 fetches each, in
//! turn) and each variant's median round is reported, rather than timing them one after
//! another. Usage: `e2e_latency HOST:PORT [ROUNDS]`; prints `name microseconds` lines.

use std::time::Instant;

use aliyun_imds::{ImdsClient, Settings};
use aliyun_imds_benches::{ROLE, floor_fetch};
use aliyun_imds_core::Mode;
use aliyun_imds_tokio::AsyncImdsClient;

const PER_ROUND: u32 = 100;

/// One way of fetching, by name.
type Variant = (&'static str, Box<dyn FnMut()>);

fn main() {
    let mut args = std::env::args().skip(1);
    let endpoint = args.next().expect("usage: e2e_latency HOST:PORT [ROUNDS]");
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(15);
    let settings = Settings {
        endpoint: Some(endpoint.clone()),
        role: Some(ROLE.to_owned()),
        mode: Some(Mode::HardenedOnly),
        ..Settings::default()
    };
    let resolved = settings.resolve_with(|_| None).expect("settings");
    let mut blocking = ImdsClient::with_resolved(resolved.clone());
    let mut tokio_client = AsyncImdsClient::with_resolved(resolved);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
    let addr = endpoint.parse().expect("HOST:PORT");

    let mut variants: Vec<Variant> = vec![
        (
            "floor",
            Box::new(move || {
                floor_fetch(addr);
            }),
        ),
        (
            "blocking",
            Box::new(move || {
                blocking.forget_cache();
                blocking.credentials().expect("credentials");
            }),
        ),
        (
            "tokio",
            Box::new(move || {
                tokio_client.forget_cache();
                runtime.block_on(tokio_client.credentials()).expect("credentials");
            }),
        ),
    ];
    let mut cached = ImdsClient::with_resolved(settings.resolve_with(|_| None).expect("settings"));
    variants.push((
        "blocking_cached_token",
        Box::new(move || {
            cached.credentials().expect("credentials");
        }),
    ));

    let mut samples: Vec<Vec<f64>> = vec![vec![]; variants.len()];
    for round in 0..=rounds {
        for (i, (_, fetch)) in variants.iter_mut().enumerate() {
            let started = Instant::now();
            for _ in 0..PER_ROUND {
                fetch();
            }
            // Round 0 warms up.
            if round > 0 {
                samples[i].push(started.elapsed().as_secs_f64() * 1e6 / f64::from(PER_ROUND));
            }
        }
    }
    for ((name, _), mut times) in variants.into_iter().zip(samples) {
        times.sort_by(f64::total_cmp);
        println!("{name} {:.1}", times[times.len() / 2]);
    }
}
