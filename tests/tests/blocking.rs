//! The blocking std client against the simulator over real loopback TCP.

use std::time::{Duration, Instant};

use aliyun_imds::{Error, ImdsClient, Settings};
use aliyun_imds_core::{Error as Imds, Mode, NameError, RequestKind, TransportError};
use aliyun_imds_simulator::{Fault, Rule, SimulatorConfig, Target};
use aliyun_imds_tests::{Imds as Server, run_all};

const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";

fn client(server: &Server, settings: &Settings) -> ImdsClient {
    ImdsClient::with_resolved(server.resolve(settings))
}

#[test]
fn every_scenario() {
    run_all(|resolved| ImdsClient::with_resolved(resolved).credentials());
}

#[test]
fn token_and_role_are_reused_on_the_second_call() {
    let server = Server::start();
    let mut imds = client(&server, &server.settings());
    let first = imds.credentials().unwrap();
    let second = imds.credentials().unwrap();
    assert_ne!(first.access_key_id(), second.access_key_id(), "fresh credentials each fetch");
    let requests = server.requests();
    let paths: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(
        paths,
        [
            ("PUT", "/latest/api/token"),
            ("GET", "/latest/meta-data/ram/security-credentials/"),
            ("GET", "/latest/meta-data/ram/security-credentials/aliyun-imds-simulated-role"),
            ("GET", "/latest/meta-data/ram/security-credentials/aliyun-imds-simulated-role"),
        ]
    );
    assert_eq!(requests[1].header(TOKEN_HEADER), requests[3].header(TOKEN_HEADER));
    assert_eq!(imds.core().role().map(|r| r.as_str()), Some("aliyun-imds-simulated-role"));
}

#[test]
fn items() {
    let server = Server::start();
    let mut imds = client(&server, &server.settings());
    assert_eq!(imds.item("region-id").unwrap(), "cn-hangzhou");
    assert_eq!(imds.item("zone-id").unwrap(), "cn-hangzhou-k");
    assert_eq!(imds.item("instance-id").unwrap(), "i-bp1simulated0000001");
    let error = imds.item("no-such-thing").unwrap_err();
    assert_eq!(
        error.to_string(),
        "metadata item 'no-such-thing' does not exist on this instance (404)"
    );
    let error = imds.item("../api/token").unwrap_err();
    assert!(
        matches!(error, Error::Imds(Imds::InvalidItemPath(NameError::BadSegment))),
        "{error:?}"
    );
    assert_eq!(server.requests().len(), 5, "one token, four items; the invalid path never sent");
}

#[test]
fn invalid_role_names_are_refused_before_any_request() {
    let server = Server::start();
    for role in ["../../api/token", "role name", "role%2F", "a\r\nX: y", ""] {
        let settings = Settings { role: Some(role.to_owned()), ..server.settings() };
        match settings.resolve_with(aliyun_imds_tests::no_env) {
            Err(Error::Imds(Imds::InvalidRoleName(_))) => {}
            other => panic!("{role:?}: {other:?}"),
        }
    }
    assert!(server.requests().is_empty());
}

#[test]
fn the_operation_deadline_is_honoured() {
    aliyun_imds_tests::deadline_honoured(|resolved| {
        ImdsClient::with_resolved(resolved).credentials()
    });
}

#[test]
fn the_read_timeout_is_honoured_per_attempt() {
    let server = Server::start();
    server.inject(Rule::times(Target::Credentials, Fault::Hang, 2));
    let read_timeout = Duration::from_millis(150);
    let settings = Settings { read_timeout: Some(read_timeout), ..server.settings() };
    let mut imds = client(&server, &settings);
    let started = Instant::now();
    imds.credentials().unwrap();
    let elapsed = started.elapsed();
    // Two hung attempts time out after 150 ms each, then the third succeeds.
    assert!(elapsed >= read_timeout * 2, "{elapsed:?}");
    assert!(elapsed < read_timeout * 2 + Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(server.requests().len(), 5);
}

#[test]
fn nothing_listening_is_a_connect_failure() {
    // Bind then drop a listener: its port is free and refuses connections.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = Settings {
        endpoint: Some(format!("127.0.0.1:{port}")),
        mode: Some(Mode::NormalOnly),
        ..Server::start().settings()
    };
    let error =
        ImdsClient::with_resolved(settings.resolve_with(aliyun_imds_tests::no_env).unwrap())
            .credentials()
            .unwrap_err();
    assert_eq!(
        error,
        Error::Imds(Imds::Transport {
            request: RequestKind::RoleDiscovery,
            error: TransportError::Connect,
            attempts: 3
        })
    );
}

#[test]
fn unresolvable_endpoint_is_reported() {
    let settings =
        Settings { endpoint: Some("no-such-host.invalid:80".into()), ..Settings::default() };
    let error =
        ImdsClient::with_resolved(settings.resolve_with(aliyun_imds_tests::no_env).unwrap())
            .credentials()
            .unwrap_err();
    assert!(
        matches!(&error, Error::Endpoint { endpoint, .. } if endpoint == "no-such-host.invalid:80"),
        "{error:?}"
    );
}

#[test]
fn hardened_only_server_and_a_stale_token() {
    // The token expires between fetches: a 401 makes the client fetch a new one.
    let server =
        Server::with(SimulatorConfig { hardened_only: true, ..SimulatorConfig::default() });
    let settings = Settings { token_ttl_secs: Some(1), ..server.settings() };
    let mut imds = client(&server, &settings);
    imds.credentials().unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    imds.credentials().unwrap();
    let methods: Vec<_> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["PUT", "GET", "GET", "PUT", "GET"], "a new token after the TTL");
}
