//! The tokio client, and the generic embedded-io-async loop it is built on, against the
//! simulator over loopback.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use aliyun_imds::{Clock, Error, OperationClock, RefreshPolicy};
use aliyun_imds_core::{Client, Credentials, Instant};
use aliyun_imds_embedded::{Connector, Plain, Timeouts, Timer};
use aliyun_imds_simulator::{Fault, Rule, Target};
use aliyun_imds_tests::{Imds as Server, run_all};
use aliyun_imds_tokio::{AsyncCredentialsProvider, AsyncImdsClient, AsyncSource};
use embedded_io_adapters::tokio_1::FromTokio;
use tokio::net::TcpStream;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn every_scenario() {
    let rt = runtime();
    run_all(|resolved| rt.block_on(AsyncImdsClient::with_resolved(resolved).credentials()));
}

#[test]
fn token_and_role_are_reused_and_items_work() {
    let rt = runtime();
    let server = Server::start();
    let mut imds = AsyncImdsClient::with_resolved(server.resolve(&server.settings()));
    rt.block_on(async {
        imds.credentials().await.unwrap();
        imds.credentials().await.unwrap();
        assert_eq!(imds.item("region-id").await.unwrap(), "cn-hangzhou");
    });
    let methods: Vec<_> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["PUT", "GET", "GET", "GET", "GET"], "one token, one discovery");
}

#[test]
fn the_deadline_is_honoured() {
    let rt = runtime();
    aliyun_imds_tests::deadline_honoured(|resolved| {
        rt.block_on(AsyncImdsClient::with_resolved(resolved).credentials())
    });
}

/// A connector a user might write: plain tokio streams, counting connections.
struct Counting {
    addr: std::net::SocketAddr,
    connects: Cell<usize>,
}

impl Connector for Counting {
    type Connection<'a> = Plain<FromTokio<TcpStream>>;

    async fn connect(&mut self) -> Option<Self::Connection<'_>> {
        self.connects.set(self.connects.get() + 1);
        TcpStream::connect(self.addr).await.ok().map(|s| Plain(FromTokio::new(s)))
    }
}

struct TokioTime(OperationClock);

impl Timer for TokioTime {
    fn now(&self) -> Instant {
        self.0.now()
    }
    async fn sleep_until(&self, deadline: Instant) {
        tokio::time::sleep(self.0.until(deadline)).await;
    }
}

#[test]
fn the_generic_loop_over_from_tokio() {
    let rt = runtime();
    let cases = [
        (vec![], true),
        (vec![Rule::always(Target::Token, Fault::Status(404))], true),
        (vec![Rule::always(Target::Any, Fault::Dribble)], true),
        (vec![Rule::once(Target::Credentials, Fault::Reset)], true),
        (vec![Rule::always(Target::Credentials, Fault::Truncate)], false),
        (vec![Rule::always(Target::Credentials, Fault::Oversized(50_000))], false),
    ];
    for (rules, succeeds) in cases {
        let server = Server::start();
        for rule in &rules {
            server.inject(rule.clone());
        }
        let resolved = server.resolve(&server.settings());
        let mut client = Client::new(resolved.config);
        let addr = server.endpoint().parse().unwrap();
        let mut connector = Counting { addr, connects: Cell::new(0) };
        let timer = TokioTime(OperationClock::start());
        let timeouts = Timeouts { connect: Duration::from_secs(5), io: Duration::from_secs(5) };
        let result = rt.block_on(aliyun_imds_embedded::fetch_credentials(
            &mut client,
            &mut connector,
            &timer,
            timeouts,
        ));
        assert_eq!(result.is_ok(), succeeds, "{rules:?}: {result:?}");
        assert_eq!(
            connector.connects.get(),
            server.requests().len(),
            "{rules:?}: one connection per request"
        );
        if let Ok(credentials) = result {
            assert_eq!(
                credentials.security_token(),
                server.simulator.last_issued().unwrap().security_token
            );
        }
    }
}

/// A source counting fetches, issuing numbered credentials valid for 6 hours on `clock`.
struct NumberedSource {
    clock: VirtualClock,
    fetches: Arc<AtomicUsize>,
}

impl AsyncSource for NumberedSource {
    async fn fetch(&mut self) -> Result<Credentials, Error> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
        let expiration = self.clock.now().saturating_add(Duration::from_secs(6 * 3600));
        Ok(Credentials::new(&format!("STS.{n}"), "secret", "token", expiration, None).unwrap())
    }
}

#[derive(Clone)]
struct VirtualClock(Arc<AtomicU64>);

impl Clock for VirtualClock {
    fn now(&self) -> Instant {
        Instant::from_millis(self.0.load(Ordering::SeqCst))
    }
}

#[test]
fn the_async_provider_fetches_once_for_64_tasks() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let clock = VirtualClock(Arc::new(AtomicU64::new(1_700_000_000_000)));
    let fetches = Arc::new(AtomicUsize::new(0));
    let source = NumberedSource { clock: clock.clone(), fetches: Arc::clone(&fetches) };
    let provider =
        AsyncCredentialsProvider::with_source(source, RefreshPolicy::default(), clock.clone());
    rt.block_on(async {
        for round in 1..=3 {
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let provider = provider.clone();
                    tokio::spawn(async move { provider.credentials().await.unwrap() })
                })
                .collect();
            for task in tasks {
                let credentials = task.await.unwrap();
                assert!(credentials.is_valid_at(clock.now()));
            }
            assert_eq!(fetches.load(Ordering::SeqCst), round, "round {round}: one fetch");
            // Past expiry for the next round.
            clock.0.fetch_add(7 * 3600 * 1000, Ordering::SeqCst);
        }
    });
}
