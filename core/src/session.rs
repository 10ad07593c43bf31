//! What outlives one operation: the configuration, the cached token and role, the jitter
//! source and the slot the credentials are parsed into.

use crate::Instant;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::names::RoleName;
use crate::token::CachedToken;

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) config: Config,
    pub(crate) token: Option<CachedToken>,
    pub(crate) discovered_role: Option<RoleName>,
    pub(crate) credentials: Credentials,
    random_state: u64,
}

impl Session {
    pub(crate) fn new(config: Config) -> Self {
        let random_state = config.jitter_seed;
        Self {
            config,
            token: None,
            discovered_role: None,
            credentials: Credentials::empty(),
            random_state,
        }
    }

    /// The configured role, else the discovered one.
    pub(crate) fn role(&self) -> Option<&RoleName> {
        self.config.role.as_ref().or(self.discovered_role.as_ref())
    }

    pub(crate) fn fresh_token(&self, now: Instant) -> Option<&CachedToken> {
        self.token.as_ref().filter(|t| t.is_fresh(now))
    }

    /// Next number of a SplitMix64 sequence seeded by [`Config::jitter_seed`]: a jitter
    /// source with no entropy of its own.
    pub(crate) fn next_random(&mut self) -> u64 {
        self.random_state = self.random_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
