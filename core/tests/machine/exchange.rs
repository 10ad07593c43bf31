//! The message-level entry: same policy, same errors, no bytes.

use aliyun_imds_core::limits::RESPONSE_BODY_LEN;
use aliyun_imds_core::{
    Action, Client, Config, Error, Instant, ItemPath, Method, Mode, RequestKind, ResponseError,
    TransportError,
};

use crate::machine::script::*;

#[test]
fn hardened_flow_by_messages() {
    let mut client = Client::new(Config::default());
    let mut exchange = client.credentials_exchange(NOW);
    let mut seen = vec![];
    let answers =
        [(200, TOKEN.to_owned()), (200, ROLE.to_owned()), (200, document(&security_token()))];
    let mut answers = answers.into_iter();
    let creds = loop {
        match exchange.next(NOW) {
            Action::Send(request) => {
                let headers: Vec<_> =
                    request.headers().map(|h| (h.name, h.value.to_owned())).collect();
                seen.push((request.method, request.path.to_owned(), headers));
                let (status, body) = answers.next().unwrap();
                exchange.respond(status, body.as_bytes());
            }
            Action::Done => break exchange.output().unwrap().clone(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(creds.security_token(), security_token());
    assert_eq!(seen[0].0, Method::Put);
    assert_eq!(seen[0].2[1], ("X-aliyun-ecs-metadata-token-ttl-seconds", "21600".to_owned()));
    assert_eq!(seen[2].1, format!("/latest/meta-data/ram/security-credentials/{ROLE}"));
    assert_eq!(seen[2].2[1], ("X-aliyun-ecs-metadata-token", TOKEN.to_owned()));
}

#[test]
fn request_debug_redacts_the_token() {
    let mut client = Client::new(Config::default());
    let mut exchange = client.item_exchange(ItemPath::new("region-id").unwrap(), NOW);
    let Action::Send(_) = exchange.next(NOW) else { panic!() };
    exchange.respond(200, TOKEN.as_bytes());
    let Action::Send(request) = exchange.next(NOW) else { panic!() };
    let debug = format!("{request:?}");
    assert!(debug.contains("<redacted>") && !debug.contains(TOKEN), "{debug}");
    // Asking again before answering hands out the same request.
    let Action::Send(again) = exchange.next(NOW) else { panic!() };
    assert_eq!(again.path, "/latest/meta-data/region-id");
    exchange.respond(200, b" cn-beijing \n");
    let Action::Done = exchange.next(NOW) else { panic!() };
    assert_eq!(exchange.output(), Some("cn-beijing"));
}

#[test]
fn same_policy_on_failures() {
    // Fallback on a refused token, then transport failures retried with waits, then an error.
    let mut client = Client::new(Config::default().with_mode(Mode::Auto));
    let mut exchange = client.credentials_exchange(NOW);
    let mut now = NOW;
    let Action::Send(_) = exchange.next(now) else { panic!() };
    exchange.respond(405, b"");
    let mut waits = 0;
    let error = loop {
        match exchange.next(now) {
            Action::Send(request) => {
                assert!(request.headers().all(|h| h.name != "X-aliyun-ecs-metadata-token"));
                exchange.transport_failed(TransportError::Reset);
            }
            Action::Wait(until) => {
                waits += 1;
                now = until;
            }
            Action::Failed(error) => break error,
            Action::Done => panic!(),
        }
    };
    assert_eq!(
        error,
        Error::Transport {
            request: RequestKind::RoleDiscovery,
            error: TransportError::Reset,
            attempts: 3
        }
    );
    assert_eq!(waits, 2);
}

#[test]
fn oversized_bodies_are_refused() {
    let mut client = Client::new(Config::default().with_mode(Mode::NormalOnly));
    let mut exchange =
        client.item_exchange(ItemPath::new("user-data").unwrap(), Instant::from_secs(1));
    let Action::Send(_) = exchange.next(Instant::from_secs(1)) else { panic!() };
    exchange.respond(200, &vec![b'a'; RESPONSE_BODY_LEN + 1]);
    let Action::Failed(error) = exchange.next(Instant::from_secs(1)) else { panic!() };
    assert_eq!(
        error,
        Error::Response {
            request: RequestKind::Item,
            error: ResponseError::BodyTooLarge { limit: RESPONSE_BODY_LEN }
        }
    );
}

#[test]
fn finish_reports_the_result_the_error_or_unfinished() {
    let mut client = Client::new(Config::default().with_mode(Mode::NormalOnly));
    let exchange = client.item_exchange(ItemPath::new("zone-id").unwrap(), NOW);
    assert_eq!(exchange.finish().unwrap_err(), Error::Unfinished);

    let mut exchange = client.item_exchange(ItemPath::new("zone-id").unwrap(), NOW);
    let Action::Send(_) = exchange.next(NOW) else { panic!() };
    exchange.respond(200, b"cn-hangzhou-k");
    assert!(matches!(exchange.next(NOW), Action::Done));
    assert_eq!(exchange.finish(), Ok("cn-hangzhou-k"));

    let mut exchange = client.item_exchange(ItemPath::new("zone-id").unwrap(), NOW);
    let Action::Send(_) = exchange.next(NOW) else { panic!() };
    exchange.respond(404, b"");
    assert!(matches!(exchange.next(NOW), Action::Failed(_)));
    assert_eq!(
        exchange.finish().unwrap_err().to_string(),
        "metadata item 'zone-id' does not exist on this instance (404)"
    );
}
