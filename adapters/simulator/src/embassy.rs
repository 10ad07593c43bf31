//! The simulator on embassy-net: serving on a stack's port 80, and a whole in-memory network
//! (two stacks joined by a driver-channel pair, medium IP) to test embassy clients on.

use std::time::Duration;

use embassy_futures::join::{join, join4};
use embassy_futures::select::{Either, select};
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_driver_channel as channel;
use embedded_io_async::Write;

use crate::{Action, Connection, Simulator, now};

const MTU: usize = 1500;

/// The metadata service's address on the in-memory network.
pub const IMDS_ADDRESS: Ipv4Address = Ipv4Address::new(100, 100, 100, 200);
/// The client's address on the in-memory network.
pub const CLIENT_ADDRESS: Ipv4Address = Ipv4Address::new(100, 100, 100, 7);

/// Serves `simulator` on port 80 of `stack`, one connection at a time, forever.
pub async fn serve(stack: Stack<'_>, simulator: &Simulator) {
    let (mut rx, mut tx) = ([0u8; 2048], [0u8; 8192]);
    loop {
        let mut socket = TcpSocket::new(stack, &mut rx, &mut tx);
        socket.set_timeout(Some(embassy_time::Duration::from_secs(5)));
        if socket.accept(80).await.is_err() {
            continue;
        }
        let mut connection = Connection::new(simulator.clone());
        let mut buf = [0u8; 1024];
        let reply = loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break None,
                Ok(n) => {
                    if let Some(reply) = connection.receive(&buf[..n], now()) {
                        break Some(reply);
                    }
                }
            }
        };
        for action in reply.map(|r| r.actions).unwrap_or_default() {
            match action {
                Action::Sleep(d) => embassy_time::Timer::after(to_embassy(d)).await,
                Action::Write(bytes) | Action::WriteDribbled(bytes) => {
                    let _ = socket.write_all(&bytes).await;
                }
                Action::Close | Action::Hang => break,
                Action::Reset => {
                    socket.abort();
                    break;
                }
            }
        }
        socket.close();
        let _ = socket.flush().await;
    }
}

fn to_embassy(d: Duration) -> embassy_time::Duration {
    embassy_time::Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

fn config(address: Ipv4Address) -> embassy_net::Config {
    embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(address, 24),
        gateway: None,
        dns_servers: Default::default(),
    })
}

/// Moves every packet one side sends into the other side's receive queue.
async fn wire(tx: &mut channel::TxRunner<'_, MTU>, rx: &mut channel::RxRunner<'_, MTU>) {
    loop {
        let packet = tx.tx_buf().await;
        let slot = rx.rx_buf().await;
        let len = packet.len();
        slot[..len].copy_from_slice(packet);
        rx.rx_done(len);
        tx.tx_done();
    }
}

/// Runs `client` on a stack at [`CLIENT_ADDRESS`] whose peer, at [`IMDS_ADDRESS`], serves
/// `simulator` on port 80 (two sockets, so a new connection never meets a closing one).
/// Everything runs on a tokio current-thread runtime, with embassy-time's std driver.
///
/// ```
/// use aliyun_imds_simulator::{embassy, Simulator, SimulatorConfig};
/// let up = embassy::with_network(Simulator::new(SimulatorConfig::default()), async |stack| {
///     stack.is_config_up()
/// });
/// assert!(up);
/// ```
pub fn with_network<T>(simulator: Simulator, client: impl AsyncFnOnce(Stack<'_>) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let runtime = runtime.expect("a tokio current-thread runtime");
    runtime.block_on(async {
        let mut imds_state = channel::State::<MTU, 4, 4>::new();
        let mut client_state = channel::State::<MTU, 4, 4>::new();
        let ip = channel::driver::HardwareAddress::Ip;
        let (imds_runner, imds_device) = channel::new(&mut imds_state, ip);
        let (client_runner, client_device) = channel::new(&mut client_state, ip);
        let (imds_link, mut imds_rx, mut imds_tx) = imds_runner.split();
        let (client_link, mut client_rx, mut client_tx) = client_runner.split();
        imds_link.set_link_state(channel::driver::LinkState::Up);
        client_link.set_link_state(channel::driver::LinkState::Up);

        let mut imds_resources = StackResources::<4>::new();
        let mut client_resources = StackResources::<4>::new();
        let (imds, mut imds_net) =
            embassy_net::new(imds_device, config(IMDS_ADDRESS), &mut imds_resources, 1);
        let (stack, mut client_net) =
            embassy_net::new(client_device, config(CLIENT_ADDRESS), &mut client_resources, 2);

        let network = join4(
            join(imds_net.run(), client_net.run()),
            wire(&mut imds_tx, &mut client_rx),
            wire(&mut client_tx, &mut imds_rx),
            join(serve(imds, &simulator), serve(imds, &simulator)),
        );
        let client = async {
            stack.wait_config_up().await;
            client(stack).await
        };
        match select(network, client).await {
            Either::First(_) => unreachable!("the network runs until the client is done"),
            Either::Second(output) => output,
        }
    })
}
