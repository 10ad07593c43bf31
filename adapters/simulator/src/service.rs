//! The metadata service itself: tokens, role listing, credentials and plain items, with the
//! injected faults applied. Sans-IO: a request and the time in, what to send out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aliyun_imds_core::Instant;
use aliyun_imds_core::protocol::{ITEMS_PATH, ROLES_PATH, TOKEN_HEADER, TOKEN_PATH, TTL_HEADER};

use crate::faults::{Fault, Rule, Target};
use crate::request::{RequestError, SeenRequest};
use crate::response::{Action, Reply, Response};

/// How the simulated instance is set up.
#[derive(Clone, Debug)]
pub struct SimulatorConfig {
    /// The attached RAM role; `None` means no role is attached.
    pub role: Option<String>,
    /// Refuse reads without a valid token (hardened mode enforced).
    pub hardened_only: bool,
    /// `region-id`.
    pub region_id: String,
    /// `instance-id`.
    pub instance_id: String,
    /// `zone-id`.
    pub zone_id: String,
    /// Lifetime of issued credentials (6 hours on the real service).
    pub credentials_lifetime: Duration,
    /// Seed of the generated tokens and keys.
    pub seed: u64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            role: Some("aliyun-imds-simulated-role".to_owned()),
            hardened_only: false,
            region_id: "cn-hangzhou".to_owned(),
            instance_id: "i-bp1simulated0000001".to_owned(),
            zone_id: "cn-hangzhou-k".to_owned(),
            credentials_lifetime: Duration::from_secs(6 * 3600),
            seed: 0x5eed,
        }
    }
}

/// A simulated metadata service. Cheap to clone: clones share state, so one simulator can
/// serve many connections (and tests can inspect it while it does).
#[derive(Clone, Debug)]
pub struct Simulator {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    config: SimulatorConfig,
    tokens: Vec<(String, Instant)>,
    rules: Vec<Rule>,
    log: Vec<SeenRequest>,
    random: u64,
    credentials_issued: usize,
    last_issued: Option<IssuedCredentials>,
}

/// The secret values of the last credentials handed out, for tests to compare against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `AccessKeySecret`.
    pub access_key_secret: String,
    /// `SecurityToken`.
    pub security_token: String,
}

/// Changes to the credentials document asked for by faults.
#[derive(Default)]
struct DocumentFaults {
    garbage: bool,
    code: Option<String>,
    missing: Vec<String>,
    expired: bool,
    escape_slashes: bool,
}

impl Simulator {
    /// A simulator set up as `config`.
    pub fn new(config: SimulatorConfig) -> Self {
        let random = config.seed;
        let state = State {
            config,
            tokens: vec![],
            rules: vec![],
            log: vec![],
            random,
            credentials_issued: 0,
            last_issued: None,
        };
        Self { state: Arc::new(Mutex::new(state)) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a fault rule (rules apply in the order added; all matching rules apply).
    pub fn inject(&self, rule: Rule) {
        self.state().rules.push(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state().rules.clear();
    }

    /// Every complete request seen so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.state().log.clone()
    }

    /// Forgets the requests seen so far.
    pub fn clear_requests(&self) {
        self.state().log.clear();
    }

    /// How many credentials documents were handed out.
    pub fn credentials_issued(&self) -> usize {
        self.state().credentials_issued
    }

    /// The last credentials handed out (also those a fault then damaged).
    pub fn last_issued(&self) -> Option<IssuedCredentials> {
        self.state().last_issued.clone()
    }

    /// Changes the configuration (e.g. to attach another role).
    pub fn configure(&self, change: impl FnOnce(&mut SimulatorConfig)) {
        change(&mut self.state().config);
    }

    /// The answer to a request that could not be read.
    pub fn refuse(&self, error: RequestError) -> Reply {
        Response::text(error.status(), &error.to_string()).into_reply()
    }

    /// Answers `request`, received at `now`.
    pub fn respond(&self, request: &SeenRequest, now: Instant) -> Reply {
        let mut state = self.state();
        state.log.push(request.clone());
        let target = target_of(request);
        let faults = state.take_faults(&target);

        let mut document = DocumentFaults::default();
        let mut delay = Duration::ZERO;
        let mut dribble = false;
        let mut truncate = false;
        let mut chunked = None;
        let mut replaced = None;
        for fault in faults {
            match fault {
                Fault::Status(status) => {
                    replaced = Some(Response::html(status, "Simulated failure"));
                }
                Fault::Redirect(location) => {
                    replaced = Some(
                        Response::html(302, "Found").with_header("Location", location.as_str()),
                    );
                }
                Fault::Oversized(len) => replaced = Some(Response::new(200, vec![b'a'; len])),
                Fault::Delay(d) => delay += d,
                Fault::Dribble => dribble = true,
                Fault::Truncate => truncate = true,
                Fault::Chunked(size) => chunked = Some(size.max(1)),
                Fault::GarbageJson => document.garbage = true,
                Fault::Code(code) => document.code = Some(code),
                Fault::MissingField(field) => document.missing.push(field),
                Fault::Expired => document.expired = true,
                Fault::EscapeSlashes => document.escape_slashes = true,
                Fault::Reset => return Reply::new(vec![Action::Sleep(delay), Action::Reset]),
                Fault::Close => return Reply::new(vec![Action::Sleep(delay), Action::Close]),
                Fault::Hang => return Reply::new(vec![Action::Hang]),
            }
        }
        let response = match replaced {
            Some(response) => response,
            None => state.answer(request, &target, now, &document),
        };
        let bytes = match chunked {
            Some(size) => response.encode_chunked(size),
            None => response.encode(),
        };
        let mut actions = vec![Action::Sleep(delay)];
        match (truncate, dribble) {
            (true, _) => {
                let cut = bytes.len() - response.body_len() / 2;
                actions.push(Action::Write(bytes[..cut].to_vec()));
            }
            (false, true) => actions.push(Action::WriteDribbled(bytes)),
            (false, false) => actions.push(Action::Write(bytes)),
        }
        actions.push(Action::Close);
        Reply::new(actions)
    }
}

fn target_of(request: &SeenRequest) -> Target {
    match request.path.as_str() {
        TOKEN_PATH => Target::Token,
        ROLES_PATH => Target::RoleList,
        path if path.starts_with(ROLES_PATH) => Target::Credentials,
        _ => Target::Item,
    }
}

impl State {
    /// The faults of all rules matching `target`, each rule used once more.
    fn take_faults(&mut self, target: &Target) -> Vec<Fault> {
        let mut faults = vec![];
        for rule in self.rules.iter_mut().filter(|r| r.matches(target)) {
            if let Some(times) = &mut rule.times {
                *times -= 1;
            }
            faults.push(rule.fault.clone());
        }
        faults
    }

    fn answer(
        &mut self,
        request: &SeenRequest,
        target: &Target,
        now: Instant,
        document: &DocumentFaults,
    ) -> Response {
        if *target == Target::Token {
            return self.issue_token(request, now);
        }
        if request.method != "GET" {
            return Response::html(405, "Method Not Allowed");
        }
        match request.header(TOKEN_HEADER) {
            Some(token) if !self.token_is_valid(token, now) => {
                return Response::html(401, "Unauthorized: invalid or expired token");
            }
            None if self.config.hardened_only => {
                return Response::html(401, "Unauthorized: a metadata token is required");
            }
            _ => {}
        }
        let role = self.config.role.clone();
        match (target, request.path.strip_prefix(ROLES_PATH)) {
            (Target::RoleList, _) => match role {
                Some(role) => Response::text(200, &role),
                None => Response::html(404, "Not Found"),
            },
            (Target::Credentials, Some(asked)) if role.as_deref() == Some(asked) => {
                self.credentials_issued += 1;
                let body = self.credentials_document(now, document);
                Response::new(200, body.into_bytes()).with_header("Content-Type", "text/plain")
            }
            _ => match request.path.strip_prefix(ITEMS_PATH).and_then(|item| self.item(item)) {
                Some(value) => Response::text(200, &value),
                None => Response::html(404, "Not Found"),
            },
        }
    }

    fn item(&self, item: &str) -> Option<String> {
        Some(match item {
            "region-id" => self.config.region_id.clone(),
            "instance-id" => self.config.instance_id.clone(),
            "zone-id" => self.config.zone_id.clone(),
            _ => return None,
        })
    }

    fn issue_token(&mut self, request: &SeenRequest, now: Instant) -> Response {
        if request.method != "PUT" {
            return Response::html(405, "Method Not Allowed");
        }
        let ttl = request.header(TTL_HEADER).and_then(|v| v.parse::<u64>().ok());
        let Some(ttl) = ttl.filter(|ttl| (1..=21_600).contains(ttl)) else {
            return Response::html(400, "Bad Request: token TTL must be 1..=21600 seconds");
        };
        let token = self
            .random_text(56, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
        let expires = now.saturating_add(Duration::from_secs(ttl));
        self.tokens.retain(|(_, expiry)| *expiry > now);
        self.tokens.push((token.clone(), expires));
        Response::text(200, &token)
    }

    fn token_is_valid(&self, token: &str, now: Instant) -> bool {
        self.tokens.iter().any(|(t, expiry)| t == token && now < *expiry)
    }

    fn credentials_document(&mut self, now: Instant, faults: &DocumentFaults) -> String {
        if faults.garbage {
            return "<html>this is not json {\"AccessKeyId\":".to_owned();
        }
        let (issued, expiration) = if faults.expired {
            let expired = now.saturating_sub(Duration::from_secs(3600));
            (expired.saturating_sub(self.config.credentials_lifetime), expired)
        } else {
            (now, now.saturating_add(self.config.credentials_lifetime))
        };
        let issued_credentials = IssuedCredentials {
            access_key_id: format!("STS.NU{}", self.random_text(22, ALNUM)),
            access_key_secret: self.random_text(44, ALNUM),
            security_token: self.security_token(),
        };
        let mut fields = serde_json::Map::new();
        fields.insert("AccessKeyId".into(), issued_credentials.access_key_id.clone().into());
        fields
            .insert("AccessKeySecret".into(), issued_credentials.access_key_secret.clone().into());
        fields.insert("Expiration".into(), expiration.to_string().into());
        fields.insert("SecurityToken".into(), issued_credentials.security_token.clone().into());
        self.last_issued = Some(issued_credentials);
        fields.insert("LastUpdated".into(), issued.to_string().into());
        let code = faults.code.clone().unwrap_or_else(|| "Success".to_owned());
        fields.insert("Code".into(), code.into());
        for missing in &faults.missing {
            fields.remove(missing);
        }
        let json = serde_json::Value::Object(fields).to_string();
        if faults.escape_slashes { json.replace('/', "\\/") } else { json }
    }

    /// A realistic SecurityToken: `CAIS` and about 1.5 KiB of base64 with `/`, `+` and `=`.
    fn security_token(&mut self) -> String {
        let body = self.random_text(1530, BASE64);
        format!("CAIS{body}/+==")
    }

    fn random_text(&mut self, len: usize, alphabet: &[u8]) -> String {
        (0..len)
            .map(|_| {
                let index = crate::random::next(&mut self.random) % alphabet.len() as u64;
                alphabet[index as usize] as char
            })
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
