//! Exit codes, as documented in `--help`.

use aliyun_imds::Error;
use aliyun_imds_core::{Error as Imds, Failure};

/// The process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Output = 1,
    Usage = 2,
    Unreachable = 3,
    Role = 4,
    Protocol = 5,
    Config = 6,
}

/// The exit code for a failed fetch.
pub fn of(error: &Error) -> Exit {
    match error {
        Error::Disabled | Error::InvalidEnv { .. } => Exit::Config,
        Error::Endpoint { .. } => Exit::Unreachable,
        Error::Imds(e) => match e {
            Imds::InvalidRoleName(_)
            | Imds::InvalidItemPath(_)
            | Imds::InvalidHost(_)
            | Imds::InvalidTokenTtl(_) => Exit::Usage,
            Imds::NoRoleAttached | Imds::RoleNotFound(_) | Imds::DiscoveredRoleInvalid(_) => {
                Exit::Role
            }
            Imds::Transport { .. }
            | Imds::DeadlineExceeded { .. }
            | Imds::HardenedModeRequired { cause: Failure::Transport(_), .. } => Exit::Unreachable,
            _ => Exit::Protocol,
        },
    }
}
