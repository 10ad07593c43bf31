//! Every branch of the mode policy, and every error of the flow.

use core::num::NonZeroU8;
use core::time::Duration;

use aliyun_imds_core::{
    Client, Config, Error, Failure, Host, Instant, Mode, RequestKind, RetryPolicy, RoleName,
    TokenTtl, TransportError, USER_AGENT,
};

use crate::machine::script::*;

fn client(mode: Mode) -> Client {
    Client::new(Config::default().with_mode(mode).with_jitter_seed(7))
}

const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";

#[test]
fn hardened_flow_sends_exactly_these_requests() {
    let mut server = Server::new(hardened_flow());
    let mut client = client(Mode::Auto);
    let creds = server.credentials(&mut client).unwrap();

    assert_eq!(creds.access_key_id(), KEY_ID);
    assert_eq!(creds.access_key_secret(), SECRET);
    assert_eq!(creds.security_token(), security_token(), "\\/ decoded back to /");
    assert_eq!(creds.expiration(), Instant::from_secs(EXPIRATION_SECS));
    assert_eq!(creds.last_updated(), Some(Instant::from_secs(EXPIRATION_SECS - 6 * 3600)));

    let expected_put = format!(
        "PUT /latest/api/token HTTP/1.1\r\nHost: 100.100.100.200\r\nUser-Agent: {USER_AGENT}\r\n\
         X-aliyun-ecs-metadata-token-ttl-seconds: 21600\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(String::from_utf8(server.raw[0].clone()).unwrap(), expected_put);
    let expected_get = format!(
        "GET /latest/meta-data/ram/security-credentials/ HTTP/1.1\r\nHost: 100.100.100.200\r\n\
         User-Agent: {USER_AGENT}\r\n{TOKEN_HEADER}: {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(String::from_utf8(server.raw[1].clone()).unwrap(), expected_get);
    assert_eq!(server.seen[2].method, "GET");
    assert_eq!(server.seen[2].path, format!("/latest/meta-data/ram/security-credentials/{ROLE}"));
    assert_eq!(server.seen[2].header(TOKEN_HEADER), Some(TOKEN));
    assert_eq!(server.unused(), 0);
    assert!(server.waits.is_empty());
}

#[test]
fn token_and_role_are_reused_by_the_next_operation() {
    let mut server = Server::new(hardened_flow());
    let mut client = client(Mode::Auto);
    server.credentials(&mut client).unwrap();
    assert_eq!(client.role().map(RoleName::as_str), Some(ROLE));

    server.now = server.now.saturating_add(Duration::from_secs(3600));
    server.push(vec![http(200, &document(&security_token()))]);
    server.credentials(&mut client).unwrap();
    assert_eq!(server.seen.len(), 4, "one request: no new token, no discovery");
    assert_eq!(server.seen[3].path, format!("/latest/meta-data/ram/security-credentials/{ROLE}"));
    assert_eq!(server.seen[3].header(TOKEN_HEADER), Some(TOKEN));
}

#[test]
fn token_is_renewed_shortly_before_its_ttl_ends() {
    let ttl = TokenTtl::new(600).unwrap();
    let mut client =
        Client::new(Config::default().with_token_ttl(ttl).with_role(RoleName::new(ROLE).unwrap()));
    let doc = document(&security_token());
    let mut server = Server::new(vec![http(200, TOKEN), http(200, &doc)]);
    server.credentials(&mut client).unwrap();
    assert_eq!(server.seen[0].header("X-aliyun-ecs-metadata-token-ttl-seconds"), Some("600"));

    // Stamped from the send: reused until TTL minus the margin (60 s for 600 s).
    let sent = NOW;
    assert!(client.has_fresh_token(sent.saturating_add(Duration::from_secs(539))));
    assert!(!client.has_fresh_token(sent.saturating_add(Duration::from_secs(540))));

    server.now = sent.saturating_add(Duration::from_secs(540));
    server.push(vec![http(200, "NewToken"), http(200, &doc)]);
    server.credentials(&mut client).unwrap();
    assert_eq!(server.seen[2].method, "PUT");
    assert_eq!(server.seen[3].header(TOKEN_HEADER), Some("NewToken"));
}

#[test]
fn configured_role_skips_discovery() {
    let mut client = Client::new(Config::default().with_role(RoleName::new("MyRole").unwrap()));
    let mut server = Server::new(vec![http(200, TOKEN), http(200, &document("tok"))]);
    server.credentials(&mut client).unwrap();
    let paths: Vec<_> = server.seen.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["/latest/api/token", "/latest/meta-data/ram/security-credentials/MyRole"]);
}

#[test]
fn auto_falls_back_to_normal_mode_when_the_token_is_refused() {
    for refusal in [
        http(403, ""),
        http(404, "not found"),
        http(405, ""),
        http(500, ""),
        Reply::ConnectFails,
        Reply::Reset,
    ] {
        let mut replies = vec![refusal.clone()];
        replies.extend(hardened_flow().into_iter().skip(1));
        let mut server = Server::new(replies);
        let creds = server.credentials(&mut client(Mode::Auto));
        assert!(creds.is_ok(), "{refusal:?}: {creds:?}");
        let later: Vec<_> = server.seen.iter().filter(|s| s.method == "GET").collect();
        assert_eq!(later.len(), 2, "{refusal:?}: no retry of the token in auto mode");
        assert!(later.iter().all(|s| s.header(TOKEN_HEADER).is_none()), "{refusal:?}");
    }
}

#[test]
fn auto_falls_back_when_the_token_body_is_unusable() {
    for body in ["", "   \n", "bad token with spaces", &"x".repeat(300)] {
        let mut replies = vec![http(200, body)];
        replies.extend(hardened_flow().into_iter().skip(1));
        let mut server = Server::new(replies);
        server.credentials(&mut client(Mode::Auto)).unwrap();
        assert!(server.seen[1..].iter().all(|s| s.header(TOKEN_HEADER).is_none()));
    }
}

#[test]
fn hardened_only_never_sends_a_request_without_a_token() {
    for refusal in [http(403, ""), http(404, ""), http(200, ""), Reply::ConnectFails] {
        let mut server = Server::new(vec![refusal.clone(), refusal.clone(), refusal.clone()]);
        let error = server.credentials(&mut client(Mode::HardenedOnly)).unwrap_err();
        assert!(matches!(error, Error::HardenedModeRequired { .. }), "{refusal:?}: {error}");
        assert!(server.seen.iter().all(|s| s.method == "PUT"), "{refusal:?}");
        assert!(
            error.to_string().starts_with("hardened mode required but the token request failed")
        );
    }
}

#[test]
fn hardened_only_retries_a_transient_token_failure_then_gives_up() {
    let mut server = Server::new(vec![http(503, ""), http(503, ""), http(503, "")]);
    let error = server.credentials(&mut client(Mode::HardenedOnly)).unwrap_err();
    assert_eq!(error, Error::HardenedModeRequired { cause: Failure::Status(503), attempts: 3 });
    assert_eq!(server.seen.len(), 3);
    assert_eq!(server.waits.len(), 2, "backoff between attempts");
}

#[test]
fn hardened_only_not_transient_token_failure_is_not_retried() {
    let mut server = Server::new(vec![http(400, "")]);
    let error = server.credentials(&mut client(Mode::HardenedOnly)).unwrap_err();
    assert_eq!(error, Error::HardenedModeRequired { cause: Failure::Status(400), attempts: 1 });
}

#[test]
fn normal_only_never_asks_for_a_token() {
    let mut server = Server::new(hardened_flow().into_iter().skip(1).collect());
    server.credentials(&mut client(Mode::NormalOnly)).unwrap();
    assert_eq!(server.seen.len(), 2);
    assert!(server.seen.iter().all(|s| s.method == "GET" && s.header(TOKEN_HEADER).is_none()));
}

#[test]
fn a_401_with_a_token_fetches_a_new_token_and_retries_once() {
    for mode in [Mode::Auto, Mode::HardenedOnly] {
        let mut server = Server::new(vec![
            http(200, "Stale"),
            http(401, ""),
            http(200, "Fresh"),
            http(200, ROLE),
            http(200, &document("tok")),
        ]);
        server.credentials(&mut client(mode)).unwrap();
        let methods: Vec<_> = server.seen.iter().map(|s| s.method.as_str()).collect();
        assert_eq!(methods, ["PUT", "GET", "PUT", "GET", "GET"]);
        assert_eq!(server.seen[1].header(TOKEN_HEADER), Some("Stale"));
        assert_eq!(server.seen[3].header(TOKEN_HEADER), Some("Fresh"));
        assert_eq!(server.seen[4].header(TOKEN_HEADER), Some("Fresh"));
    }
}

#[test]
fn a_second_401_fails_in_hardened_only_mode() {
    let mut server =
        Server::new(vec![http(200, "A"), http(401, ""), http(200, "B"), http(401, "")]);
    let error = server.credentials(&mut client(Mode::HardenedOnly)).unwrap_err();
    assert_eq!(
        error,
        Error::Unauthorized { request: RequestKind::RoleDiscovery, status: 401, with_token: true }
    );
    assert_eq!(server.seen.len(), 4);
}

#[test]
fn a_second_401_tries_once_without_a_token_in_auto_mode() {
    let mut server = Server::new(vec![
        http(200, "A"),
        http(401, ""),
        http(200, "B"),
        http(401, ""),
        http(200, ROLE),
        http(200, &document("tok")),
    ]);
    server.credentials(&mut client(Mode::Auto)).unwrap();
    assert!(server.seen[4..].iter().all(|s| s.header(TOKEN_HEADER).is_none()));
}

#[test]
fn unauthorized_without_a_token_says_hardened_mode_is_required() {
    let mut server = Server::new(vec![http(403, "")]);
    let error = server.credentials(&mut client(Mode::NormalOnly)).unwrap_err();
    assert_eq!(
        error,
        Error::Unauthorized { request: RequestKind::RoleDiscovery, status: 403, with_token: false }
    );
    assert!(error.to_string().contains("requires hardened mode"), "{error}");
}

#[test]
fn role_discovery_takes_the_first_line_trimmed() {
    let mut server = Server::new(vec![
        http(200, TOKEN),
        http(200, "  FirstRole \r\nSecond\n"),
        http(200, &document("t")),
    ]);
    server.credentials(&mut client(Mode::Auto)).unwrap();
    assert_eq!(server.seen[2].path, "/latest/meta-data/ram/security-credentials/FirstRole");
}

#[test]
fn no_role_attached() {
    for answer in [http(404, "<html>404</html>"), http(200, ""), http(200, "\n\n")] {
        let mut server = Server::new(vec![http(200, TOKEN), answer]);
        let error = server.credentials(&mut client(Mode::Auto)).unwrap_err();
        assert_eq!(error, Error::NoRoleAttached);
        assert!(error.to_string().contains("no RAM role attached"));
    }
}

#[test]
fn discovered_role_names_are_validated() {
    let mut server = Server::new(vec![http(200, TOKEN), http(200, "../../api/token")]);
    let error = server.credentials(&mut client(Mode::Auto)).unwrap_err();
    assert!(matches!(error, Error::DiscoveredRoleInvalid(_)), "{error}");
    assert_eq!(server.seen.len(), 2, "the bad name never reaches a request");
}

#[test]
fn configured_role_not_attached() {
    let role = RoleName::new("Typo").unwrap();
    let mut client = Client::new(Config::default().with_role(role.clone()));
    let mut server = Server::new(vec![http(200, TOKEN), http(404, "<html>Not Found</html>")]);
    let error = server.credentials(&mut client).unwrap_err();
    assert_eq!(error, Error::RoleNotFound(role));
    assert_eq!(
        error.to_string(),
        "role 'Typo' is not attached to this instance (404 on its credentials; check the name's spelling and case)"
    );
}

#[test]
fn a_discovered_role_that_vanished_is_forgotten() {
    let mut client = client(Mode::Auto);
    let mut server = Server::new(hardened_flow());
    server.credentials(&mut client).unwrap();
    server.push(vec![http(404, "")]);
    assert_eq!(
        server.credentials(&mut client).unwrap_err(),
        Error::RoleNotFound(RoleName::new(ROLE).unwrap())
    );
    assert!(client.role().is_none());
    server.push(vec![http(200, "NewRole"), http(200, &document("t"))]);
    server.credentials(&mut client).unwrap();
    assert_eq!(
        server.seen.last().unwrap().path,
        "/latest/meta-data/ram/security-credentials/NewRole"
    );
}

#[test]
fn redirects_are_never_followed() {
    for status in [301, 302, 307, 308] {
        let redirect = Reply::Bytes(format!("HTTP/1.1 {status} Moved\r\nLocation: http://evil.example/\r\nContent-Length: 0\r\n\r\n").into_bytes());
        let mut server = Server::new(vec![http(200, TOKEN), redirect, http(200, "never")]);
        let error = server.credentials(&mut client(Mode::Auto)).unwrap_err();
        assert_eq!(error, Error::Redirect { request: RequestKind::RoleDiscovery, status });
        assert!(error.to_string().contains("redirects are not followed"));
        assert_eq!(server.unused(), 1);
    }
}

#[test]
fn transient_statuses_are_retried_with_capped_jittered_backoff() {
    let mut server = Server::new(vec![
        http(200, TOKEN),
        http(500, ""),
        http(503, ""),
        http(200, ROLE),
        http(200, &document("t")),
    ]);
    let mut client = client(Mode::Auto);
    server.credentials(&mut client).unwrap();
    assert_eq!(server.waits.len(), 2);
    // Retry 1 waits within [50, 100] ms of the failure, retry 2 within [100, 200] ms.
    let first = server.waits[0].saturating_duration_since(NOW);
    assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first), "{first:?}");
    let second = server.waits[1].saturating_duration_since(server.waits[0]);
    assert!(
        (Duration::from_millis(100)..=Duration::from_millis(200)).contains(&second),
        "{second:?}"
    );
}

#[test]
fn backoff_is_capped_and_jitter_comes_from_the_seed() {
    let policy = RetryPolicy {
        max_attempts: NonZeroU8::new(10).unwrap(),
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(1),
    };
    for retry in 1..=40 {
        for random in [0, 1, 12345, u64::MAX] {
            let d = policy.backoff(retry, random);
            let full = Duration::from_millis(100 * (1u64 << (retry - 1).min(20)))
                .min(Duration::from_secs(1));
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d:?} vs {full:?}");
        }
    }
    let mut a = Server::new(vec![
        http(200, TOKEN),
        http(500, ""),
        http(200, ROLE),
        http(200, &document("t")),
    ]);
    let mut b = Server::new(vec![
        http(200, TOKEN),
        http(500, ""),
        http(200, ROLE),
        http(200, &document("t")),
    ]);
    a.credentials(&mut Client::new(Config::default().with_jitter_seed(1))).unwrap();
    b.credentials(&mut Client::new(Config::default().with_jitter_seed(2))).unwrap();
    assert_ne!(a.waits, b.waits, "different seeds, different jitter");
}

#[test]
fn client_errors_are_not_retried() {
    for status in [400, 403, 418] {
        let mut server = Server::new(vec![http(200, TOKEN), http(status, ""), http(200, "never")]);
        let error = server.credentials(&mut client(Mode::Auto)).unwrap_err();
        assert_eq!(server.seen.len(), 2, "{status}: {error}");
        assert!(server.waits.is_empty());
    }
    let mut server = Server::new(vec![http(200, TOKEN), http(400, "")]);
    let error = server.credentials(&mut client(Mode::Auto)).unwrap_err();
    assert_eq!(
        error,
        Error::Status { request: RequestKind::RoleDiscovery, status: 400, attempts: 1 }
    );
}

#[test]
fn transport_failures_are_retried_then_reported_with_the_attempt_count() {
    let mut server =
        Server::new(vec![http(200, TOKEN), Reply::ConnectFails, Reply::Reset, Reply::Silent]);
    let error = server.credentials(&mut client(Mode::Auto)).unwrap_err();
    assert_eq!(
        error,
        Error::Transport {
            request: RequestKind::RoleDiscovery,
            error: TransportError::Timeout,
            attempts: 3
        }
    );
    assert!(error.to_string().contains("after 3 attempt(s)"), "{error}");
}

#[test]
fn the_deadline_bounds_the_whole_operation() {
    let config = Config::default().with_operation_timeout(Duration::from_millis(2500)).with_retry(
        RetryPolicy {
            max_attempts: NonZeroU8::new(50).unwrap(),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
        },
    );
    let mut server = Server::new(vec![Reply::Silent; 50]);
    let error =
        server.credentials(&mut Client::new(config.with_mode(Mode::HardenedOnly))).unwrap_err();
    // Each silent attempt costs 1 s of read timeout, capped by the deadline.
    assert!(
        matches!(
            error,
            Error::HardenedModeRequired { cause: Failure::Transport(TransportError::Timeout), .. }
                | Error::DeadlineExceeded { .. }
        ),
        "{error}"
    );
    assert!(
        server.now <= NOW.saturating_add(Duration::from_millis(2500)),
        "stopped at {:?}",
        server.now
    );
    assert!(server.seen.len() <= 3);
}

#[test]
fn a_step_after_the_deadline_fails_the_request_in_flight() {
    let mut client = client(Mode::Auto);
    let mut op = client.credentials(NOW);
    assert!(matches!(op.step(NOW), aliyun_imds_core::Step::Connect));
    let late = op.deadline();
    match op.step(late) {
        aliyun_imds_core::Step::Failed(e) => {
            assert_eq!(e, Error::DeadlineExceeded { request: RequestKind::Token })
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn credentials_already_expired_are_refused() {
    let expired = document("t").replace(EXPIRATION, "2023-11-14T16:13:20Z");
    let mut server = Server::new(vec![http(200, TOKEN), http(200, ROLE), http(200, &expired)]);
    let error = server.credentials(&mut client(Mode::Auto)).unwrap_err();
    assert_eq!(error, Error::ExpiredOnArrival { expiration_secs: EXPIRATION_SECS - 6 * 3600 });
}

#[test]
fn metadata_items() {
    let mut client = client(Mode::Auto);
    let mut server = Server::new(vec![http(200, TOKEN), http(200, "cn-hangzhou\n")]);
    assert_eq!(server.item(&mut client, "region-id").unwrap(), "cn-hangzhou");
    assert_eq!(server.seen[1].path, "/latest/meta-data/region-id");
    assert_eq!(server.seen[1].header(TOKEN_HEADER), Some(TOKEN));

    server.push(vec![http(404, "")]);
    let error = server.item(&mut client, "no-such-item").unwrap_err();
    assert_eq!(
        error.to_string(),
        "metadata item 'no-such-item' does not exist on this instance (404)"
    );

    server
        .push(vec![Reply::Bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\xff\xfe".to_vec())]);
    assert_eq!(
        server.item(&mut client, "instance-id").unwrap_err(),
        Error::NotText(RequestKind::Item)
    );
}

#[test]
fn host_header_follows_the_configured_endpoint() {
    let mut client = Client::new(Config::default().with_host(Host::new("127.0.0.1:8080").unwrap()));
    let mut server = Server::new(hardened_flow());
    server.credentials(&mut client).unwrap();
    assert!(server.seen.iter().all(|s| s.header("Host") == Some("127.0.0.1:8080")));
}
