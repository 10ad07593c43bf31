//! The metadata service's names: paths and headers, as sent on the wire.

/// The token request path (`PUT`).
pub const TOKEN_PATH: &str = "/latest/api/token";
/// The role listing path; a role's credentials are at this path plus the role name.
pub const ROLES_PATH: &str = "/latest/meta-data/ram/security-credentials/";
/// The prefix of metadata item paths.
pub const ITEMS_PATH: &str = "/latest/meta-data/";
/// The header asking for a token lifetime, in seconds.
pub const TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
/// The header carrying the token.
pub const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
