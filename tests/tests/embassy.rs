//! embassy-net for real: two embassy-net stacks in one process, joined by an in-memory
//! driver pair (medium IP). The simulator's sans-IO logic serves on one stack at
//! 100.100.100.200:80; our client fetches on the other. Time from embassy-time's std driver.

use std::time::Duration;

use aliyun_imds::wall_clock;
use aliyun_imds_core::{Client, Config, Error, Instant, Mode};
use aliyun_imds_embedded::embassy::{EmbassyConnector, EmbassyTimer};
use aliyun_imds_embedded::{Timeouts, Timer, fetch_credentials};
use aliyun_imds_simulator::embassy::{IMDS_ADDRESS, with_network};
use aliyun_imds_simulator::{Simulator, SimulatorConfig};
use embassy_net::IpEndpoint;

/// Fetches credentials over the client stack; returns the secret and token it got.
fn fetch(simulator: Simulator, mode: Mode) -> Result<(String, String), Error> {
    with_network(simulator, async |stack| {
        let since_boot = Duration::from_micros(embassy_time::Instant::now().as_micros());
        let timer = EmbassyTimer::new(wall_clock().saturating_sub(since_boot));
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let endpoint = IpEndpoint::new(IMDS_ADDRESS.into(), 80);
        let mut connector = EmbassyConnector::new(stack, endpoint, &mut rx, &mut tx);
        let mut client = Client::new(Config::default().with_mode(mode));
        let timeouts = Timeouts { connect: Duration::from_secs(5), io: Duration::from_secs(5) };
        let credentials = fetch_credentials(&mut client, &mut connector, &timer, timeouts).await?;
        assert!(timer.now() > Instant::from_secs(1_700_000_000), "wall-clock time");
        Ok((credentials.access_key_secret().to_owned(), credentials.security_token().to_owned()))
    })
}

#[test]
fn credentials_over_embassy_net() {
    let simulator =
        Simulator::new(SimulatorConfig { hardened_only: true, ..SimulatorConfig::default() });
    let (secret, token) = fetch(simulator.clone(), Mode::HardenedOnly).expect("credentials");
    let issued = simulator.last_issued().unwrap();
    assert_eq!((secret, token), (issued.access_key_secret, issued.security_token));
    let paths: Vec<_> = simulator.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/latest/api/token",
            "/latest/meta-data/ram/security-credentials/",
            "/latest/meta-data/ram/security-credentials/aliyun-imds-simulated-role",
        ]
    );
}

#[test]
fn no_role_attached_over_embassy_net() {
    let simulator = Simulator::new(SimulatorConfig { role: None, ..SimulatorConfig::default() });
    assert_eq!(fetch(simulator.clone(), Mode::Auto).unwrap_err(), Error::NoRoleAttached);
    assert_eq!(simulator.requests().len(), 2);
}
