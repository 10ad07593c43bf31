//! Fetch credentials over smoltcp: our poll-driven fetch on one interface, the simulator at
//! 100.100.100.200:80 on another, joined by an in-memory wire, on a virtual clock. On a
//! device the loop is the same, with your interface, device and clock.
//!
//! `cargo run -p aliyun-imds-smoltcp --example in_memory`

use std::task::Poll;

use aliyun_imds_core::{Client, Config, Instant as UnixInstant, Timeouts};
use aliyun_imds_simulator::smoltcp::{IMDS_ADDRESS, Network, WireFaults};
use aliyun_imds_simulator::{Simulator, SimulatorConfig};
use aliyun_imds_smoltcp::{SmoltcpFetch, UnixClock};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::IpEndpoint;

fn main() {
    let unix_at_zero = UnixInstant::from_secs(1_700_000_000);
    let simulator = Simulator::new(SimulatorConfig { hardened_only: true, ..Default::default() });
    let mut network = Network::new(simulator, WireFaults::default(), unix_at_zero);

    // Your socket, your buffers, your socket set.
    let (rx, tx) = (tcp::SocketBuffer::new(vec![0; 2048]), tcp::SocketBuffer::new(vec![0; 2048]));
    let handle = network.client_sockets.add(tcp::Socket::new(rx, tx));

    let clock = UnixClock::new(unix_at_zero);
    let mut client = Client::new(Config::default());
    let op = client.credentials(clock.unix(Instant::ZERO));
    let imds = IpEndpoint::new(IMDS_ADDRESS.into(), 80);
    let mut fetch = SmoltcpFetch::new(op, handle, imds, clock, Timeouts::default());

    let mut now = Instant::ZERO;
    let result = loop {
        network.poll(now); // your `iface.poll(now, &mut device, &mut sockets)`
        if let Poll::Ready(result) =
            fetch.poll(&mut network.client_iface, &mut network.client_sockets, now)
        {
            break result.map(|credentials| credentials.to_string());
        }
        if network.poll(now) {
            continue; // packets moved: poll the fetch again at the same instant
        }
        // Sleep until the interface or the fetch needs a poll (virtual time here).
        let next = fetch.poll_at().map_or(network.poll_at(now), |at| at.min(network.poll_at(now)));
        now = next.max(now + Duration::from_millis(1));
    };
    match result {
        Ok(credentials) => println!("credentials: {credentials}"), // secrets never shown
        Err(error) => println!("error: {error}"),
    }
}
