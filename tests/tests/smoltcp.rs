//! The smoltcp adapter on two smoltcp interfaces joined by an in-memory wire, the simulator
//! listening on one side, our poll-driven fetch on the other, on a virtual clock.

use std::num::NonZeroU8;
use std::task::Poll;
use std::time::Duration;

use aliyun_imds_core::{
    Client, Config, Credentials, Error, Failure, Instant as UnixInstant, Mode, RetryPolicy,
    Timeouts, TransportError,
};
use aliyun_imds_simulator::smoltcp::{IMDS_ADDRESS, Network, WireFaults};
use aliyun_imds_simulator::{Fault, Rule, Simulator, SimulatorConfig, Target};
use aliyun_imds_smoltcp::{SmoltcpFetch, UnixClock};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::IpEndpoint;

const T0: UnixInstant = UnixInstant::from_secs(1_700_000_000);

struct Outcome {
    result: Result<(String, String), Error>,
    /// Virtual time when the fetch ended.
    ended: Instant,
    network: Network,
}

/// Runs a credentials fetch with `config` against `simulator` over a wire with `faults`.
fn fetch(simulator: &Simulator, faults: WireFaults, config: Config) -> Outcome {
    let mut network = Network::new(simulator.clone(), faults, T0);
    let buffer = || tcp::SocketBuffer::new(vec![0u8; 2048]);
    let handle = network.client_sockets.add(tcp::Socket::new(buffer(), buffer()));
    let clock = UnixClock::new(T0);
    let mut client = Client::new(config);
    let op = client.credentials(clock.unix(Instant::ZERO));
    let endpoint = IpEndpoint::new(IMDS_ADDRESS.into(), 80);
    let mut fetch = SmoltcpFetch::new(op, handle, endpoint, clock, Timeouts::default());
    let mut now = Instant::ZERO;
    for _ in 0..1_000_000 {
        // Everything that can happen at `now` happens before time moves on.
        loop {
            network.poll(now);
            let client = &mut network.client_iface;
            if let Poll::Ready(result) = fetch.poll(client, &mut network.client_sockets, now) {
                let secrets = |c: &Credentials| {
                    (c.access_key_secret().to_owned(), c.security_token().to_owned())
                };
                return Outcome { result: result.map(secrets), ended: now, network };
            }
            if !network.poll(now) {
                break;
            }
        }
        let next = network.poll_at(now);
        let one_ms = smoltcp::time::Duration::from_millis(1);
        now = fetch.poll_at().map_or(next, |at| next.min(at.max(now + one_ms)));
    }
    panic!("the fetch did not end");
}

fn issued(simulator: &Simulator) -> (String, String) {
    let issued = simulator.last_issued().expect("credentials issued");
    (issued.access_key_secret, issued.security_token)
}

#[test]
fn hardened_flow_with_role_discovery() {
    let simulator =
        Simulator::new(SimulatorConfig { hardened_only: true, ..SimulatorConfig::default() });
    let outcome =
        fetch(&simulator, WireFaults::default(), Config::default().with_mode(Mode::HardenedOnly));
    assert_eq!(outcome.result.unwrap(), issued(&simulator));
    let paths: Vec<_> = simulator.requests().into_iter().map(|r| (r.method, r.path)).collect();
    assert_eq!(
        paths,
        [
            ("PUT".to_owned(), "/latest/api/token".to_owned()),
            ("GET".to_owned(), "/latest/meta-data/ram/security-credentials/".to_owned()),
            (
                "GET".to_owned(),
                "/latest/meta-data/ram/security-credentials/aliyun-imds-simulated-role".to_owned()
            ),
        ]
    );
    assert!(
        simulator.requests()[1..].iter().all(|r| r.header("X-aliyun-ecs-metadata-token").is_some())
    );
}

#[test]
fn fallback_to_normal_mode_and_hardened_only_refusal() {
    let simulator = Simulator::new(SimulatorConfig::default());
    simulator.inject(Rule::always(Target::Token, Fault::Status(403)));
    let outcome = fetch(&simulator, WireFaults::default(), Config::default());
    assert_eq!(outcome.result.unwrap(), issued(&simulator));
    assert!(
        simulator.requests()[1..].iter().all(|r| r.header("X-aliyun-ecs-metadata-token").is_none())
    );

    let simulator = Simulator::new(SimulatorConfig::default());
    simulator.inject(Rule::always(Target::Token, Fault::Status(403)));
    let outcome =
        fetch(&simulator, WireFaults::default(), Config::default().with_mode(Mode::HardenedOnly));
    assert_eq!(
        outcome.result.unwrap_err(),
        Error::HardenedModeRequired { cause: Failure::Status(403), attempts: 1 }
    );
    assert!(simulator.requests().iter().all(|r| r.method == "PUT"));
}

#[test]
fn a_lossy_reordering_wire_still_yields_the_credentials() {
    for seed in [1, 2, 3] {
        let simulator = Simulator::new(SimulatorConfig::default());
        let faults = WireFaults { drop_per_mille: 100, reorder_per_mille: 150, seed };
        let config = Config::default().with_operation_timeout(Duration::from_secs(120));
        let outcome = fetch(&simulator, faults, config);
        assert_eq!(outcome.result.unwrap(), issued(&simulator), "seed {seed}");
        let (sent, dropped, reordered) = outcome.network.wire_counts();
        assert!(
            dropped > 0 && reordered > 0,
            "seed {seed}: {sent} sent, {dropped} dropped, {reordered} reordered"
        );
    }
}

#[test]
fn a_silent_server_ends_in_a_timeout_at_the_deadline() {
    let simulator = Simulator::new(SimulatorConfig::default());
    simulator.inject(Rule::always(Target::Any, Fault::Hang));
    let retry =
        RetryPolicy { max_attempts: NonZeroU8::new(100).unwrap(), ..RetryPolicy::default() };
    let config = Config::default()
        .with_mode(Mode::HardenedOnly)
        .with_retry(retry)
        .with_operation_timeout(Duration::from_secs(5));
    let outcome = fetch(&simulator, WireFaults::default(), config);
    // Four attempts, each ended by the 1 s read timeout, with three jittered backoffs between
    // them (50-100, 100-200 and 200-400 ms). After the fourth, the next backoff (400-800 ms)
    // plus another attempt cannot fit before the 5 s deadline, so the machine stops at once
    // with the real cause instead of waiting for the deadline.
    let timeout = Failure::Transport(TransportError::Timeout);
    assert_eq!(
        outcome.result.unwrap_err(),
        Error::HardenedModeRequired { cause: timeout, attempts: 4 }
    );
    let ended = outcome.ended.total_millis();
    assert!((4350..=4700).contains(&ended), "ended at {ended} ms");
    assert_eq!(simulator.requests().len(), 4);
}

#[test]
fn an_unreachable_service_fails_to_connect_within_the_connect_timeout() {
    // Every packet is lost: no handshake ever completes.
    let simulator = Simulator::new(SimulatorConfig::default());
    let faults = WireFaults { drop_per_mille: 1000, reorder_per_mille: 0, seed: 1 };
    let outcome = fetch(&simulator, faults, Config::default().with_mode(Mode::NormalOnly));
    assert_eq!(
        outcome.result.unwrap_err(),
        Error::Transport {
            request: aliyun_imds_core::RequestKind::RoleDiscovery,
            error: TransportError::Connect,
            attempts: 3
        }
    );
    // Three 1 s connect timeouts and two backoffs (50-100 ms, then 100-200 ms).
    let ended = outcome.ended.total_millis();
    assert!((3150..=3300).contains(&ended), "ended at {ended} ms");
    assert!(simulator.requests().is_empty());
}
