//! The simulator on smoltcp: two interfaces in one process joined by an in-memory wire that
//! can drop and reorder packets (seeded, so runs repeat), with the simulator listening on
//! port 80 of one of them. Time is whatever the caller says: tests run on a virtual clock.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use aliyun_imds_core::Instant as UnixInstant;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, DeviceCapabilities, Medium};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv4Address};

use crate::{Action, Connection, Simulator};

/// The metadata service's address on the in-memory network.
pub const IMDS_ADDRESS: Ipv4Address = Ipv4Address::new(100, 100, 100, 200);
/// The client's address on the in-memory network.
pub const CLIENT_ADDRESS: Ipv4Address = Ipv4Address::new(100, 100, 100, 7);

const MTU: usize = 1500;

/// How the wire misbehaves, in packets per thousand; seeded, so a run repeats exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WireFaults {
    /// Packets dropped, per thousand.
    pub drop_per_mille: u16,
    /// Packets delivered after the one sent next, per thousand.
    pub reorder_per_mille: u16,
    /// Seed of the fault decisions.
    pub seed: u64,
}

#[derive(Debug, Default)]
struct Wire {
    /// Packets on their way to each side: `[to the IMDS side, to the client side]`.
    queues: [VecDeque<Vec<u8>>; 2],
    /// A packet held back, to be delivered after the next one (or at the end of the cycle).
    held: [Option<Vec<u8>>; 2],
    faults: WireFaults,
    random: u64,
    /// Packets sent, dropped and reordered.
    counts: (usize, usize, usize),
}

impl Wire {
    fn send(&mut self, to: usize, packet: Vec<u8>) {
        self.counts.0 += 1;
        if self.chance(self.faults.drop_per_mille) {
            self.counts.1 += 1;
            return;
        }
        if self.held[to].is_none() && self.chance(self.faults.reorder_per_mille) {
            self.counts.2 += 1;
            self.held[to] = Some(packet);
            return;
        }
        self.queues[to].push_back(packet);
        self.queues[to].extend(self.held[to].take());
    }

    /// Delivers held-back packets (at the end of a poll cycle).
    fn release(&mut self) {
        for to in 0..2 {
            self.queues[to].extend(self.held[to].take());
        }
    }

    fn chance(&mut self, per_mille: u16) -> bool {
        crate::random::next(&mut self.random) % 1000 < u64::from(per_mille)
    }
}

/// One end of the wire: a smoltcp device of medium IP.
#[derive(Debug)]
pub struct WireEnd {
    wire: Rc<RefCell<Wire>>,
    /// The queue this end receives from.
    side: usize,
}

/// A received packet.
pub struct Rx(Vec<u8>);
/// A packet to send from one end.
pub struct Tx(Rc<RefCell<Wire>>, usize);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut packet = vec![0; len];
        let result = f(&mut packet);
        self.0.borrow_mut().send(self.1, packet);
        result
    }
}

impl phy::Device for WireEnd {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx;

    fn receive(&mut self, _: Instant) -> Option<(Rx, Tx)> {
        let packet = self.wire.borrow_mut().queues[self.side].pop_front()?;
        Some((Rx(packet), Tx(Rc::clone(&self.wire), 1 - self.side)))
    }

    fn transmit(&mut self, _: Instant) -> Option<Tx> {
        Some(Tx(Rc::clone(&self.wire), 1 - self.side))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = MTU;
        caps
    }
}

/// One server socket and the reply it is sending.
#[derive(Debug)]
struct Slot {
    handle: SocketHandle,
    connection: Connection,
    actions: VecDeque<Action>,
    written: usize,
    sleep_until: Option<Instant>,
}

/// The IMDS side of the network, and the client side's interface and sockets.
pub struct Network {
    wire: Rc<RefCell<Wire>>,
    imds_iface: Interface,
    imds_device: WireEnd,
    imds_sockets: SocketSet<'static>,
    slots: Vec<Slot>,
    simulator: Simulator,
    clock_at_zero: UnixInstant,
    /// The client's interface (the caller polls it with [`Network::poll`]).
    pub client_iface: Interface,
    /// The client's device.
    pub client_device: WireEnd,
    /// The client's sockets: add yours here.
    pub client_sockets: SocketSet<'static>,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Network").field("wire", &self.wire.borrow().counts).finish_non_exhaustive()
    }
}

fn interface(device: &mut WireEnd, address: Ipv4Address, now: Instant) -> Interface {
    let mut iface = Interface::new(Config::new(HardwareAddress::Ip), device, now);
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(address), 24));
    });
    iface
}

impl Network {
    /// A network whose IMDS side serves `simulator` on port 80 (two listening sockets, so a
    /// new connection never meets a closing one). `clock_at_zero` is the Unix time the
    /// simulator sees when smoltcp's clock reads zero.
    pub fn new(simulator: Simulator, faults: WireFaults, clock_at_zero: UnixInstant) -> Self {
        let wire = Rc::new(RefCell::new(Wire { faults, random: faults.seed, ..Wire::default() }));
        let mut imds_device = WireEnd { wire: Rc::clone(&wire), side: 0 };
        let mut client_device = WireEnd { wire: Rc::clone(&wire), side: 1 };
        let imds_iface = interface(&mut imds_device, IMDS_ADDRESS, Instant::ZERO);
        let client_iface = interface(&mut client_device, CLIENT_ADDRESS, Instant::ZERO);
        let mut imds_sockets = SocketSet::new(vec![]);
        let slots = (0..2)
            .map(|_| {
                let buffer = |len| tcp::SocketBuffer::new(vec![0; len]);
                let socket = tcp::Socket::new(buffer(4096), buffer(16 * 1024));
                Slot {
                    handle: imds_sockets.add(socket),
                    connection: Connection::new(simulator.clone()),
                    actions: VecDeque::new(),
                    written: 0,
                    sleep_until: None,
                }
            })
            .collect();
        Self {
            wire,
            imds_iface,
            imds_device,
            imds_sockets,
            slots,
            simulator,
            clock_at_zero,
            client_iface,
            client_device,
            client_sockets: SocketSet::new(vec![]),
        }
    }

    /// Packets sent, dropped and reordered so far.
    pub fn wire_counts(&self) -> (usize, usize, usize) {
        self.wire.borrow().counts
    }

    /// Polls both interfaces and the server at `now`, until the wire is quiet; returns
    /// whether any packet moved (if so, poll your own sockets and call this again).
    pub fn poll(&mut self, now: Instant) -> bool {
        let sent_before = self.wire.borrow().counts.0;
        loop {
            let sent = self.wire.borrow().counts.0;
            self.imds_iface.poll(now, &mut self.imds_device, &mut self.imds_sockets);
            self.serve(now);
            self.imds_iface.poll(now, &mut self.imds_device, &mut self.imds_sockets);
            self.client_iface.poll(now, &mut self.client_device, &mut self.client_sockets);
            self.wire.borrow_mut().release();
            let wire = self.wire.borrow();
            let queued = wire.queues.iter().any(|q| !q.is_empty());
            if wire.counts.0 == sent && !queued {
                return wire.counts.0 != sent_before;
            }
        }
    }

    /// The next time anything on the network needs a poll (never earlier than 1 ms after
    /// `now`, so a loop over it always advances).
    pub fn poll_at(&mut self, now: Instant) -> Instant {
        let earliest = now + smoltcp::time::Duration::from_millis(1);
        let far = now + smoltcp::time::Duration::from_secs(3600);
        let sleeping = self.slots.iter().filter_map(|s| s.sleep_until);
        [
            self.imds_iface.poll_at(now, &self.imds_sockets),
            self.client_iface.poll_at(now, &self.client_sockets),
        ]
        .into_iter()
        .flatten()
        .chain(sleeping)
        .fold(far, Instant::min)
        .max(earliest)
    }

    fn serve(&mut self, now: Instant) {
        let unix_now = self
            .clock_at_zero
            .saturating_add(Duration::from_millis(u64::try_from(now.total_millis()).unwrap_or(0)));
        for slot in &mut self.slots {
            let socket = self.imds_sockets.get_mut::<tcp::Socket<'_>>(slot.handle);
            if matches!(socket.state(), tcp::State::Closed | tcp::State::TimeWait) {
                socket.abort();
                let _ = socket.listen(80);
                slot.connection = Connection::new(self.simulator.clone());
                slot.actions.clear();
                slot.written = 0;
                slot.sleep_until = None;
                continue;
            }
            // The client closed while nothing (or only a hang) was left to send: close too.
            let peer_closed = socket.state() == tcp::State::CloseWait && !socket.can_recv();
            if peer_closed && matches!(slot.actions.front(), None | Some(Action::Hang)) {
                socket.close();
                slot.actions.clear();
                continue;
            }
            let mut buf = [0u8; 1024];
            while slot.actions.is_empty() && socket.can_recv() {
                let n = socket.recv_slice(&mut buf).unwrap_or(0);
                if let Some(reply) = slot.connection.receive(&buf[..n], unix_now) {
                    slot.actions = reply.actions.into();
                }
            }
            while let Some(action) = slot.actions.front() {
                match action {
                    Action::Sleep(d) => {
                        let until = *slot.sleep_until.get_or_insert(
                            now + smoltcp::time::Duration::from_micros(d.as_micros() as u64),
                        );
                        if now < until {
                            break;
                        }
                        slot.sleep_until = None;
                    }
                    Action::Write(bytes) | Action::WriteDribbled(bytes) => {
                        slot.written += socket.send_slice(&bytes[slot.written..]).unwrap_or(0);
                        if slot.written < bytes.len() {
                            break;
                        }
                        slot.written = 0;
                    }
                    Action::Close => socket.close(),
                    Action::Reset => socket.abort(),
                    Action::Hang => break,
                }
                slot.actions.pop_front();
            }
        }
    }
}
