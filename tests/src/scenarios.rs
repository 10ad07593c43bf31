//! The scenario table: every mode against every fault, with the exact requests expected.

use aliyun_imds::{Credentials, Error, Resolved, Settings};
use aliyun_imds_core::{
    DocumentError, Error as Imds, Failure, Field, Mode, RequestKind, ResponseError, TransportError,
};
use aliyun_imds_simulator::{Fault, Rule, SimulatorConfig, Target};

use crate::fixture::Imds as Server;

use aliyun_imds_core::protocol::{ROLES_PATH as ROLES, TOKEN_HEADER, TOKEN_PATH, TTL_HEADER};

const CREDS: &str = "/latest/meta-data/ram/security-credentials/aliyun-imds-simulated-role";

/// One request as expected: method, path, and whether it carries a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent(pub &'static str, pub &'static str, pub bool);

const PUT: Sent = Sent("PUT", TOKEN_PATH, false);
const LIST: Sent = Sent("GET", ROLES, true);
const GET: Sent = Sent("GET", CREDS, true);
const LIST_V1: Sent = Sent("GET", ROLES, false);
const GET_V1: Sent = Sent("GET", CREDS, false);

/// What a scenario must end in.
pub enum Expect {
    /// Credentials equal to those the simulator issued last.
    Credentials,
    /// This error.
    Error(fn(&Error) -> bool),
}

/// One row of the table.
pub struct Scenario {
    /// What it checks.
    pub name: &'static str,
    /// The client's mode.
    pub mode: Mode,
    /// The simulated instance.
    pub server: SimulatorConfig,
    /// A configured role, if any.
    pub role: Option<&'static str>,
    /// Faults injected.
    pub rules: Vec<Rule>,
    /// The exact requests the simulator must see.
    pub sent: Vec<Sent>,
    /// The outcome.
    pub expect: Expect,
}

fn hardened_server() -> SimulatorConfig {
    SimulatorConfig { hardened_only: true, ..SimulatorConfig::default() }
}

fn row(
    name: &'static str,
    mode: Mode,
    rules: Vec<Rule>,
    sent: Vec<Sent>,
    expect: Expect,
) -> Scenario {
    Scenario { name, mode, server: SimulatorConfig::default(), role: None, rules, sent, expect }
}

/// Every scenario.
pub fn scenarios() -> Vec<Scenario> {
    use Expect::Credentials as Ok;
    use Mode::{Auto, HardenedOnly as Hardened, NormalOnly as Normal};
    let once = Rule::once;
    let always = Rule::always;
    vec![
        row("auto: hardened flow with discovery", Auto, vec![], vec![PUT, LIST, GET], Ok),
        Scenario {
            server: hardened_server(),
            ..row(
                "hardened-only against an enforcing server",
                Hardened,
                vec![],
                vec![PUT, LIST, GET],
                Ok,
            )
        },
        row("normal-only: no token at all", Normal, vec![], vec![LIST_V1, GET_V1], Ok),
        Scenario {
            role: Some("aliyun-imds-simulated-role"),
            ..row("configured role: no discovery", Auto, vec![], vec![PUT, GET], Ok)
        },
        row(
            "auto: token refused (403) falls back",
            Auto,
            vec![always(Target::Token, Fault::Status(403))],
            vec![PUT, LIST_V1, GET_V1],
            Ok,
        ),
        row(
            "auto: token 404 falls back",
            Auto,
            vec![always(Target::Token, Fault::Status(404))],
            vec![PUT, LIST_V1, GET_V1],
            Ok,
        ),
        row(
            "auto: token connection reset falls back",
            Auto,
            vec![always(Target::Token, Fault::Reset)],
            vec![PUT, LIST_V1, GET_V1],
            Ok,
        ),
        row(
            "hardened-only: token refused never falls back",
            Hardened,
            vec![always(Target::Token, Fault::Status(403))],
            vec![PUT],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::HardenedModeRequired {
                        cause: Failure::Status(403),
                        attempts: 1
                    })
                )
            }),
        ),
        row(
            "hardened-only: token 503 retried, then refused",
            Hardened,
            vec![always(Target::Token, Fault::Status(503))],
            vec![PUT, PUT, PUT],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::HardenedModeRequired {
                        cause: Failure::Status(503),
                        attempts: 3
                    })
                )
            }),
        ),
        Scenario {
            server: hardened_server(),
            ..row(
                "normal-only against an enforcing server",
                Normal,
                vec![],
                vec![LIST_V1],
                Expect::Error(|e| {
                    matches!(
                        e,
                        Error::Imds(Imds::Unauthorized { status: 401, with_token: false, .. })
                    )
                }),
            )
        },
        row(
            "401 with a token: new token, retried once",
            Auto,
            vec![once(Target::Credentials, Fault::Status(401))],
            vec![PUT, LIST, GET, PUT, GET],
            Ok,
        ),
        row(
            "redirect is not followed",
            Auto,
            vec![always(Target::RoleList, Fault::Redirect("http://127.0.0.1:9/".into()))],
            vec![PUT, LIST],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::Redirect {
                        status: 302,
                        request: RequestKind::RoleDiscovery
                    })
                )
            }),
        ),
        row(
            "500 once is retried",
            Auto,
            vec![once(Target::Credentials, Fault::Status(500))],
            vec![PUT, LIST, GET, GET],
            Ok,
        ),
        row(
            "500 always: gives up after 3 attempts",
            Auto,
            vec![always(Target::Credentials, Fault::Status(500))],
            vec![PUT, LIST, GET, GET, GET],
            Expect::Error(|e| {
                matches!(e, Error::Imds(Imds::Status { status: 500, attempts: 3, .. }))
            }),
        ),
        row(
            "400 is not retried",
            Auto,
            vec![always(Target::Credentials, Fault::Status(400))],
            vec![PUT, LIST, GET],
            Expect::Error(|e| {
                matches!(e, Error::Imds(Imds::Status { status: 400, attempts: 1, .. }))
            }),
        ),
        Scenario {
            role: Some("NotAttached"),
            ..row(
                "configured role not attached",
                Auto,
                vec![],
                vec![
                    PUT,
                    Sent("GET", "/latest/meta-data/ram/security-credentials/NotAttached", true),
                ],
                Expect::Error(
                    |e| matches!(e, Error::Imds(Imds::RoleNotFound(role)) if role.as_str() == "NotAttached"),
                ),
            )
        },
        Scenario {
            server: SimulatorConfig { role: None, ..SimulatorConfig::default() },
            ..row(
                "no role attached",
                Auto,
                vec![],
                vec![PUT, LIST],
                Expect::Error(|e| matches!(e, Error::Imds(Imds::NoRoleAttached))),
            )
        },
        row(
            "dribbled one byte at a time",
            Auto,
            vec![always(Target::Any, Fault::Dribble)],
            vec![PUT, LIST, GET],
            Ok,
        ),
        row(
            "chunked framing",
            Auto,
            vec![always(Target::Any, Fault::Chunked(7))],
            vec![PUT, LIST, GET],
            Ok,
        ),
        row(
            "slashes escaped as \\/",
            Auto,
            vec![always(Target::Credentials, Fault::EscapeSlashes)],
            vec![PUT, LIST, GET],
            Ok,
        ),
        row(
            "delayed answers within the timeouts",
            Auto,
            vec![always(Target::Any, Fault::Delay(std::time::Duration::from_millis(30)))],
            vec![PUT, LIST, GET],
            Ok,
        ),
        row(
            "truncated body",
            Auto,
            vec![always(Target::Credentials, Fault::Truncate)],
            vec![PUT, LIST, GET],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::Response { error: ResponseError::BodyTruncated { .. }, .. })
                )
            }),
        ),
        row(
            "oversized body",
            Auto,
            vec![always(Target::Credentials, Fault::Oversized(100_000))],
            vec![PUT, LIST, GET],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::Response {
                        error: ResponseError::BodyTooLarge { limit: 6080 },
                        ..
                    })
                )
            }),
        ),
        row(
            "oversized chunked body",
            Auto,
            vec![
                always(Target::Credentials, Fault::Oversized(100_000)),
                always(Target::Credentials, Fault::Chunked(4096)),
            ],
            vec![PUT, LIST, GET],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::Response { error: ResponseError::BodyTooLarge { .. }, .. })
                )
            }),
        ),
        row(
            "closed without an answer",
            Auto,
            vec![always(Target::Credentials, Fault::Close)],
            vec![PUT, LIST, GET],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::Response {
                        error: ResponseError::ClosedBeforeHead { received: 0 },
                        ..
                    })
                )
            }),
        ),
        row(
            "connection reset: retried, then reported",
            Auto,
            vec![always(Target::Credentials, Fault::Reset)],
            vec![PUT, LIST, GET, GET, GET],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::Transport { error: TransportError::Reset, attempts: 3, .. })
                )
            }),
        ),
        row(
            "reset once, then fine",
            Auto,
            vec![once(Target::RoleList, Fault::Reset)],
            vec![PUT, LIST, LIST, GET],
            Ok,
        ),
        row(
            "garbage JSON",
            Auto,
            vec![always(Target::Credentials, Fault::GarbageJson)],
            vec![PUT, LIST, GET],
            Expect::Error(|e| matches!(e, Error::Imds(Imds::Document(DocumentError::Json { .. })))),
        ),
        row(
            "Code not Success",
            Auto,
            vec![always(Target::Credentials, Fault::Code("InternalError".into()))],
            vec![PUT, LIST, GET],
            Expect::Error(
                |e| matches!(e, Error::Imds(Imds::Document(DocumentError::CodeNotSuccess { code })) if code.as_str() == "InternalError"),
            ),
        ),
        row(
            "missing SecurityToken",
            Auto,
            vec![always(Target::Credentials, Fault::MissingField("SecurityToken".into()))],
            vec![PUT, LIST, GET],
            Expect::Error(|e| {
                matches!(
                    e,
                    Error::Imds(Imds::Document(DocumentError::MissingField(Field::SecurityToken)))
                )
            }),
        ),
        row(
            "expired credentials",
            Auto,
            vec![always(Target::Credentials, Fault::Expired)],
            vec![PUT, LIST, GET],
            Expect::Error(|e| matches!(e, Error::Imds(Imds::ExpiredOnArrival { .. }))),
        ),
    ]
}

/// Runs every scenario with `fetch` (an adapter's credentials call) and checks each.
pub fn run_all(fetch: impl Fn(Resolved) -> Result<Credentials, Error>) {
    for scenario in scenarios() {
        let server = Server::with(scenario.server.clone());
        for rule in &scenario.rules {
            server.inject(rule.clone());
        }
        let settings = Settings {
            mode: Some(scenario.mode),
            role: scenario.role.map(str::to_owned),
            ..server.settings()
        };
        let result = fetch(server.resolve(&settings));
        check(&scenario, &server, result);
    }
}

fn check(scenario: &Scenario, server: &Server, result: Result<Credentials, Error>) {
    let name = scenario.name;
    let seen: Vec<Sent> = server
        .requests()
        .iter()
        .map(|r| {
            let sent = scenario.sent.iter().find(|s| s.0 == r.method && s.1 == r.path);
            let (method, path) = sent.map_or(("?", "?"), |s| (s.0, s.1));
            Sent(method, path, r.header(TOKEN_HEADER).is_some())
        })
        .collect();
    assert_eq!(seen, scenario.sent, "{name}: requests seen");
    for request in server.requests() {
        assert!(
            request.header("User-Agent").is_some_and(|ua| ua.starts_with("aliyun-imds/")),
            "{name}"
        );
        assert_eq!(request.header("Host"), Some(server.endpoint().as_str()), "{name}");
        if request.method == "PUT" {
            assert_eq!(request.header(TTL_HEADER), Some("21600"), "{name}");
            assert_eq!(request.header("Content-Length"), Some("0"), "{name}");
        }
    }
    match (&scenario.expect, result) {
        (Expect::Credentials, Ok(credentials)) => {
            let issued = server.simulator.last_issued().expect("credentials were issued");
            assert_eq!(credentials.access_key_id(), issued.access_key_id, "{name}");
            assert_eq!(credentials.access_key_secret(), issued.access_key_secret, "{name}");
            assert_eq!(credentials.security_token(), issued.security_token, "{name}");
            let now = aliyun_imds::wall_clock().as_secs();
            let lifetime = credentials.expiration().as_secs().saturating_sub(now);
            assert!((6 * 3600 - 120..=6 * 3600).contains(&lifetime), "{name}: {lifetime}");
        }
        (Expect::Error(matches), Err(error)) => {
            assert!(matches(&error), "{name}: unexpected error {error:?}");
            assert!(!error.to_string().contains('\n'), "{name}: one line");
        }
        (Expect::Credentials, Err(error)) => panic!("{name}: expected credentials, got {error}"),
        (Expect::Error(_), Ok(c)) => panic!("{name}: expected an error, got {c}"),
    }
}
