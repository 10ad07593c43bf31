//! A full hardened flow (token, role discovery, credentials with a 2 KiB token) allocates
//! nothing in the core. Its own binary: it installs a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use aliyun_imds_core::{Client, Config, Instant, Step};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn response(body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

#[test]
fn a_full_hardened_flow_allocates_nothing() {
    // Everything that allocates (the server's bytes, the client value) is made beforehand.
    let token: String = "AbC+/0=".chars().cycle().take(2048).collect();
    let document = format!(
        r#"{{"AccessKeyId":"STS.id","AccessKeySecret":"secret","SecurityToken":"{}","Expiration":"2033-01-01T00:00:00Z","Code":"Success"}}"#,
        token.replace('/', "\\/")
    );
    let replies = [response("TOKEN"), response("MyRole\n"), response(&document)];
    let mut client = Box::new(Client::new(Config::default()));
    let now = Instant::from_secs(1_700_000_000);

    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let mut next_reply = 0;
    let mut delivered = 0;
    let mut op = client.credentials(now);
    let done = loop {
        match op.step(now) {
            Step::Connect => {
                delivered = 0;
                next_reply += 1;
            }
            Step::Send(bytes) => {
                let n = bytes.len();
                op.sent(n);
            }
            Step::Recv(buf) => {
                // Dribble 7 bytes at a time, to exercise every buffer path.
                let rest = &replies[next_reply - 1][delivered..];
                let n = rest.len().min(buf.len()).min(7);
                buf[..n].copy_from_slice(&rest[..n]);
                delivered += n;
                op.received(n);
            }
            Step::Wait(_) => unreachable!("no retries in this flow"),
            Step::Done => break op.output().map(|c| c.security_token().len()),
            Step::Failed(e) => panic!("{e}"),
        }
    };
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    assert_eq!(done, Some(2048));
    assert_eq!(next_reply, 3);
    assert_eq!(after - before, 0, "the core allocated during the flow");
}
