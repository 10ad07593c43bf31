//! Footprint: heap allocations per flow (core and std client) and `size_of` of the machine,
//! printed as `key value` lines for scripts/bench.sh. Usage: `footprint [SIMULATOR_ENDPOINT]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use aliyun_imds::{ImdsClient, Settings};
use aliyun_imds_benches::{ROLE, baseline_flow, core_client, core_flow, responses};
use aliyun_imds_core::{Client, Credentials, FetchCredentials, Mode, Operation};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f`, averaged over `runs` runs.
fn allocations(runs: usize, mut f: impl FnMut()) -> f64 {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..runs {
        f();
    }
    (ALLOCATIONS.load(Ordering::Relaxed) - before) as f64 / runs as f64
}

fn main() {
    let responses = responses();
    let mut client = Box::new(core_client());
    println!(
        "core_flow_allocations {}",
        allocations(100, || {
            core_flow(&mut client, &responses);
        })
    );

    println!(
        "baseline_flow_allocations {}",
        allocations(100, || {
            baseline_flow(&responses);
        })
    );
    // The std client against a simulator in another process (`aliyun-imds simulate`), so
    // only the client's allocations are counted.
    if let Some(endpoint) = std::env::args().nth(1) {
        let settings = Settings {
            endpoint: Some(endpoint),
            role: Some(ROLE.to_owned()),
            mode: Some(Mode::HardenedOnly),
            ..Settings::default()
        };
        let mut imds =
            ImdsClient::with_resolved(settings.resolve_with(|_| None).expect("settings"));
        imds.credentials().expect("warm-up");
        println!(
            "std_fetch_allocations {}",
            allocations(50, || {
                imds.forget_cache();
                imds.credentials().expect("credentials");
            })
        );
    }
    println!("size_of_client {}", size_of::<Client>());
    println!("size_of_operation {}", size_of::<Operation<'_, FetchCredentials>>());
    println!("size_of_credentials {}", size_of::<Credentials>());
}
