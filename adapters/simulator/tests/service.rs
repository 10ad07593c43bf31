//! The simulator's sans-IO logic: bytes in, reply out, on a virtual clock.

use std::time::Duration;

use aliyun_imds_core::Instant;
use aliyun_imds_core::protocol::{TOKEN_HEADER, TTL_HEADER};
use aliyun_imds_simulator::{
    Action, Connection, Fault, MAX_HEAD, Rule, Simulator, SimulatorConfig, Target,
};

const T0: Instant = Instant::from_secs(1_700_000_000);

/// Sends `request` in one piece; returns status and body of the reply.
fn exchange(simulator: &Simulator, request: &str, now: Instant) -> (u16, String) {
    let reply =
        Connection::new(simulator.clone()).receive(request.as_bytes(), now).expect("a reply");
    parse(&reply.bytes())
}

fn parse(bytes: &[u8]) -> (u16, String) {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(len) = response.parse(bytes).unwrap() else { panic!("partial") };
    (response.code.unwrap(), String::from_utf8_lossy(&bytes[len..]).into_owned())
}

fn put_token(ttl: &str) -> String {
    format!(
        "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\n{TTL_HEADER}: {ttl}\r\nContent-Length: 0\r\n\r\n"
    )
}

fn get(path: &str, token: Option<&str>) -> String {
    let token = token.map(|t| format!("{TOKEN_HEADER}: {t}\r\n")).unwrap_or_default();
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n{token}\r\n")
}

#[test]
fn token_ttl_is_validated_and_tokens_expire() {
    let simulator =
        Simulator::new(SimulatorConfig { hardened_only: true, ..SimulatorConfig::default() });
    for bad in ["0", "21601", "-1", "ten"] {
        assert_eq!(exchange(&simulator, &put_token(bad), T0).0, 400, "{bad}");
    }
    let no_ttl = "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(exchange(&simulator, no_ttl, T0).0, 400);
    assert_eq!(exchange(&simulator, "GET /latest/api/token HTTP/1.1\r\n\r\n", T0).0, 405);

    let (status, token) = exchange(&simulator, &put_token("60"), T0);
    assert_eq!(status, 200);
    let list = "/latest/meta-data/ram/security-credentials/";
    assert_eq!(exchange(&simulator, &get(list, Some(&token)), T0).0, 200);
    let later = T0.saturating_add(Duration::from_secs(59));
    assert_eq!(exchange(&simulator, &get(list, Some(&token)), later).0, 200);
    let expired = T0.saturating_add(Duration::from_secs(60));
    assert_eq!(exchange(&simulator, &get(list, Some(&token)), expired).0, 401, "expired token");
    assert_eq!(exchange(&simulator, &get(list, Some("forged")), T0).0, 401, "unknown token");
    assert_eq!(exchange(&simulator, &get(list, None), T0).0, 401, "hardened only: token required");
}

#[test]
fn credentials_document() {
    let simulator = Simulator::new(SimulatorConfig::default());
    let (status, body) = exchange(
        &simulator,
        &get("/latest/meta-data/ram/security-credentials/aliyun-imds-simulated-role", None),
        T0,
    );
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["Code"], "Success");
    assert_eq!(json["Expiration"], "2023-11-15T04:13:20Z", "6 hours after T0");
    let token = json["SecurityToken"].as_str().unwrap();
    assert!(
        token.len() > 1500 && token.contains('/') && token.contains('+') && token.ends_with("==")
    );
    let issued = simulator.last_issued().unwrap();
    assert_eq!(json["AccessKeySecret"], issued.access_key_secret.as_str());
    assert_eq!(
        exchange(&simulator, &get("/latest/meta-data/ram/security-credentials/Other", None), T0).0,
        404
    );
    assert_eq!(
        exchange(&simulator, &get("/latest/meta-data/zone-id", None), T0),
        (200, "cn-hangzhou-k".into())
    );
}

#[test]
fn faults_compose_and_run_out() {
    let simulator = Simulator::new(SimulatorConfig::default());
    simulator.inject(Rule::times(Target::Item, Fault::Status(503), 2));
    simulator.inject(Rule::always(Target::Item, Fault::Delay(Duration::from_millis(5))));
    let request = get("/latest/meta-data/region-id", None);
    let reply = Connection::new(simulator.clone()).receive(request.as_bytes(), T0).unwrap();
    assert_eq!(reply.actions[0], Action::Sleep(Duration::from_millis(5)));
    assert_eq!(parse(&reply.bytes()).0, 503);
    assert_eq!(exchange(&simulator, &request, T0).0, 503);
    assert_eq!(exchange(&simulator, &request, T0), (200, "cn-hangzhou".into()), "the rule ran out");
    assert_eq!(simulator.requests().len(), 3);

    simulator.clear_faults();
    simulator.inject(Rule::once(Target::Any, Fault::Chunked(3)));
    let reply = Connection::new(simulator.clone()).receive(request.as_bytes(), T0).unwrap();
    let text = String::from_utf8(reply.bytes()).unwrap();
    assert!(
        text.contains("Transfer-Encoding: chunked\r\n") && text.ends_with("0\r\n\r\n"),
        "{text}"
    );
}

#[test]
fn hostile_requests_get_an_error_status() {
    let simulator = Simulator::new(SimulatorConfig::default());
    assert_eq!(exchange(&simulator, "NOT HTTP\r\n\r\n", T0).0, 400);
    let huge = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD));
    assert_eq!(exchange(&simulator, &huge, T0).0, 431);
    let many: String = (0..40).map(|i| format!("X-{i}: 1\r\n")).collect();
    assert_eq!(exchange(&simulator, &format!("GET / HTTP/1.1\r\n{many}\r\n"), T0).0, 431);
    assert_eq!(exchange(&simulator, "PUT / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n", T0).0, 413);
    assert_eq!(
        exchange(&simulator, "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", T0).0,
        413
    );
    assert!(simulator.requests().is_empty(), "refused requests never reach the service");
}

#[test]
fn requests_arrive_in_any_split() {
    let simulator = Simulator::new(SimulatorConfig::default());
    let request = get("/latest/meta-data/instance-id", None);
    let mut connection = Connection::new(simulator.clone());
    let bytes = request.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        let reply = connection.receive(std::slice::from_ref(byte), T0);
        assert_eq!(reply.is_some(), i == bytes.len() - 1);
    }
    assert!(connection.receive(b"more", T0).is_none(), "one request per connection");
    assert_eq!(simulator.requests()[0].path, "/latest/meta-data/instance-id");
}
