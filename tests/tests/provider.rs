//! The caching provider: single flight under contention, static stability through an outage,
//! never serving expired credentials, background refresh.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use aliyun_imds::{Clock, CredentialsProvider, Error, ImdsClient, RefreshPolicy};
use aliyun_imds_core::{Credentials, Instant};
use aliyun_imds_simulator::{Fault, Rule, SimulatorConfig, Target};
use aliyun_imds_tests::Imds as Server;

const T0: u64 = 1_700_000_000_000;
const HOUR: u64 = 3_600_000;

/// A clock the test moves by hand.
#[derive(Clone)]
struct VirtualClock(Arc<AtomicU64>);

impl VirtualClock {
    fn new(millis: u64) -> Self {
        Self(Arc::new(AtomicU64::new(millis)))
    }
    fn set(&self, millis: u64) {
        self.0.store(millis, Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// A source that counts fetches and issues numbered credentials valid for 6 hours.
fn counting_source(
    clock: VirtualClock,
    fetches: Arc<AtomicUsize>,
) -> impl FnMut() -> Result<Credentials, Error> + Send {
    move || {
        let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
        thread::sleep(Duration::from_millis(30)); // widen the race
        let expiration = clock.now().saturating_add(Duration::from_millis(6 * HOUR));
        Ok(Credentials::new(
            &format!("STS.{n}"),
            &format!("secret-{n}"),
            &format!("token-{n}"),
            expiration,
            None,
        )
        .unwrap())
    }
}

/// 64 threads at once; every one gets complete, valid credentials.
fn stampede<S: aliyun_imds::Source + 'static>(
    provider: &CredentialsProvider<S>,
    now: Instant,
) -> Vec<Arc<Credentials>> {
    let barrier = Arc::new(Barrier::new(64));
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (provider, barrier) = (provider.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                provider.credentials().unwrap()
            })
        })
        .collect();
    let all: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    for credentials in &all {
        let n = credentials.access_key_id().strip_prefix("STS.").unwrap();
        assert_eq!(
            credentials.access_key_secret(),
            format!("secret-{n}"),
            "one fetch's fields only"
        );
        assert_eq!(credentials.security_token(), format!("token-{n}"));
        assert!(credentials.is_valid_at(now));
    }
    all
}

#[test]
fn sixty_four_threads_through_the_refresh_boundary_cause_one_fetch() {
    let clock = VirtualClock::new(T0);
    let fetches = Arc::new(AtomicUsize::new(0));
    let provider = CredentialsProvider::with_source(
        counting_source(clock.clone(), Arc::clone(&fetches)),
        RefreshPolicy::default(),
        clock.clone(),
    );
    assert_eq!(provider.credentials().unwrap().access_key_id(), "STS.1");
    for _ in 0..1000 {
        provider.credentials().unwrap();
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "served from the cache");

    // Inside the refresh window: one caller refreshes, the others are served meanwhile.
    clock.set(T0 + 6 * HOUR - 10 * 60_000);
    stampede(&provider, clock.now());
    assert_eq!(fetches.load(Ordering::SeqCst), 2, "exactly one refresh");
    assert_eq!(provider.credentials().unwrap().access_key_id(), "STS.2");

    // Past expiry: everyone must wait for the one fetch; no one sees expired credentials.
    clock.set(T0 + 13 * HOUR);
    let all = stampede(&provider, clock.now());
    assert_eq!(fetches.load(Ordering::SeqCst), 3, "exactly one fetch");
    assert!(all.iter().all(|c| c.access_key_id() == "STS.3"));
}

#[test]
fn an_outage_is_ridden_out_until_expiry_then_reported_then_recovered() {
    let server = Server::with(SimulatorConfig {
        credentials_lifetime: Duration::from_secs(12 * 3600),
        ..SimulatorConfig::default()
    });
    let client = ImdsClient::with_resolved(server.resolve(&server.settings()));
    let start = aliyun_imds::wall_clock().as_millis();
    let clock = VirtualClock::new(start);
    let provider =
        CredentialsProvider::with_source(client, RefreshPolicy::default(), clock.clone());
    let first = provider.credentials().unwrap();
    let expiration = first.expiration().as_millis();

    // IMDS goes down.
    server.inject(Rule::always(Target::Any, Fault::Reset));
    let requests_before = server.requests().len();
    clock.set(expiration - 10 * 60_000); // in the refresh window
    let served = provider.credentials().unwrap();
    assert_eq!(served.access_key_id(), first.access_key_id(), "cached credentials still served");
    assert!(server.requests().len() > requests_before, "a refresh was attempted");
    let attempted = server.requests().len();
    assert_eq!(provider.credentials().unwrap().access_key_id(), first.access_key_id());
    assert_eq!(server.requests().len(), attempted, "backing off: no new attempt at once");

    // Expired: a clear error, never the expired credentials.
    clock.set(expiration + 1);
    let error = provider.credentials().unwrap_err();
    assert!(matches!(error, Error::Imds(aliyun_imds_core::Error::Transport { .. })), "{error:?}");
    // While backing off, callers fail fast with the same error, without asking IMDS.
    let attempted = server.requests().len();
    assert_eq!(provider.credentials().unwrap_err(), error);
    assert_eq!(server.requests().len(), attempted);

    // IMDS comes back (its clock is real time, ours is 12 h ahead: it issues longer-lived
    // credentials so they are valid on our clock). The provider recovers by itself once the
    // backoff ends.
    server.simulator.clear_faults();
    server.simulator.configure(|c| c.credentials_lifetime = Duration::from_secs(24 * 3600));
    clock.set(expiration + 120_000);
    let recovered = provider.credentials().unwrap();
    assert_ne!(recovered.access_key_id(), first.access_key_id());
}

#[test]
fn refreshes_in_the_background_before_callers_notice() {
    // Credentials live 30 s (Expiration has whole seconds: 29 to 30 s); refreshing 28.5 s
    // ahead makes one refresh due 0.5 to 1.5 s after each fetch, the next about 29 s later.
    let lifetime = Duration::from_secs(30);
    let server = Server::with(SimulatorConfig {
        credentials_lifetime: lifetime,
        ..SimulatorConfig::default()
    });
    let client = ImdsClient::with_resolved(server.resolve(&server.settings()));
    let ahead = Duration::from_millis(28_500);
    let policy =
        RefreshPolicy { refresh_ahead: ahead, spread: Duration::ZERO, ..RefreshPolicy::default() };
    let provider = CredentialsProvider::with_source(client, policy, aliyun_imds::SystemClock);
    let first = provider.credentials().unwrap();
    let refresher = provider.refresh_in_background();
    let waited = std::time::Instant::now();
    while server.simulator.credentials_issued() < 2 && waited.elapsed() < Duration::from_secs(5) {
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.simulator.credentials_issued(), 2, "refreshed without a caller");
    // The refresh may still be recording: meanwhile callers are served the cached ones.
    let second = loop {
        let served = provider.credentials().unwrap();
        if served.access_key_id() != first.access_key_id()
            || waited.elapsed() > Duration::from_secs(5)
        {
            break served;
        }
        thread::sleep(Duration::from_millis(5));
    };
    assert_ne!(second.access_key_id(), first.access_key_id(), "callers get the new ones");
    drop(refresher);
    assert_eq!(server.simulator.credentials_issued(), 2, "the caller did not fetch");
}
