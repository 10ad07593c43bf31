//! Fetch credentials over embassy-net: our client on one stack, the simulator at
//! 100.100.100.200:80 on another, joined by an in-memory link. On a device, `stack` is your
//! own and the body of the closure is all you need.
//!
//! `cargo run -p aliyun-imds-embedded --features embassy-net --example embassy_net`

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aliyun_imds_core::{Client, Config, Instant};
use aliyun_imds_embedded::embassy::{EmbassyConnector, EmbassyTimer};
use aliyun_imds_embedded::{Timeouts, fetch_credentials};
use aliyun_imds_simulator::embassy::{IMDS_ADDRESS, with_network};
use aliyun_imds_simulator::{Simulator, SimulatorConfig};
use embassy_net::IpEndpoint;

fn main() {
    let simulator = Simulator::new(SimulatorConfig::default());
    let printed = with_network(simulator, async |stack| {
        // Unix time when embassy's clock read zero (from an RTC or SNTP on a device).
        let unix_now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let since_boot = Duration::from_micros(embassy_time::Instant::now().as_micros());
        let boot = Instant::from_millis((unix_now - since_boot).as_millis() as u64);

        let mut client = Client::new(Config::default());
        let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
        let endpoint = IpEndpoint::new(IMDS_ADDRESS.into(), 80);
        let mut connector = EmbassyConnector::new(stack, endpoint, &mut rx, &mut tx);
        let timer = EmbassyTimer::new(boot);
        match fetch_credentials(&mut client, &mut connector, &timer, Timeouts::default()).await {
            Ok(credentials) => format!("credentials: {credentials}"), // secrets never shown
            Err(error) => format!("error: {error}"),
        }
    });
    println!("{printed}");
}
