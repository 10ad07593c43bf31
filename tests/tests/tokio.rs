//! The tokio client, and the generic embedded-io-async loop it is built on, against the
//! simulator over loopback.

use std::cell::Cell;
use std::time::Duration;

use aliyun_imds::{Error, OperationClock};
use aliyun_imds_core::{Client, Error as Imds, Failure, Instant, Mode, TransportError};
use aliyun_imds_embedded::{Connector, Plain, Timeouts, Timer};
use aliyun_imds_simulator::{Fault, Rule, Target};
use aliyun_imds_tests::{Imds as Server, run_all};
use aliyun_imds_tokio::AsyncImdsClient;
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
    let server = Server::start();
    server.inject(Rule::always(Target::Any, Fault::Hang));
    let deadline = Duration::from_millis(400);
    let settings = aliyun_imds::Settings {
        mode: Some(Mode::HardenedOnly),
        operation_timeout: Some(deadline),
        ..server.settings()
    };
    let mut imds = AsyncImdsClient::with_resolved(server.resolve(&settings));
    let started = std::time::Instant::now();
    let error = rt.block_on(imds.credentials()).unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(
            error,
            Error::Imds(
                Imds::HardenedModeRequired {
                    cause: Failure::Transport(TransportError::Timeout),
                    ..
                } | Imds::DeadlineExceeded { .. }
            )
        ),
        "{error:?}"
    );
    assert!(elapsed >= deadline - Duration::from_millis(20), "{elapsed:?}");
    assert!(elapsed < deadline + Duration::from_millis(1500), "{elapsed:?}");
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
