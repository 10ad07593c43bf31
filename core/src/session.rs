//! What outlives one operation: the configuration, the cached token and role, the jitter
//! source and the slot the credentials are parsed into.

use crate::Instant;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::names::RoleName;
use crate::random::SplitMix64;
use crate::token::CachedToken;

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) config: Config,
    pub(crate) token: Option<CachedToken>,
    pub(crate) discovered_role: Option<RoleName>,
    pub(crate) credentials: Credentials,
    random: SplitMix64,
}

impl Session {
    pub(crate) fn new(config: Config) -> Self {
        let random = SplitMix64::new(config.jitter_seed);
        Self {
            config,
            token: None,
            discovered_role: None,
            credentials: Credentials::empty(),
            random,
        }
    }

    /// The configured role, else the discovered one.
    pub(crate) fn role(&self) -> Option<&RoleName> {
        self.config.role.as_ref().or(self.discovered_role.as_ref())
    }

    pub(crate) fn fresh_token(&self, now: Instant) -> Option<&CachedToken> {
        self.token.as_ref().filter(|t| t.is_fresh(now))
    }

    /// The next jitter number, from the sequence seeded by [`Config::jitter_seed`].
    pub(crate) fn next_random(&mut self) -> u64 {
        self.random.next()
    }
}
