//! A simulator on loopback and client settings that point at it.

use std::num::NonZeroU8;
use std::time::Duration;

use aliyun_imds::{Resolved, RetryPolicy, Settings};
use aliyun_imds_simulator::{Rule, SeenRequest, Simulator, SimulatorConfig, TcpServer};

/// An environment with no variables set, so tests never depend on the process's.
pub fn no_env(_: &str) -> Option<String> {
    None
}

/// A simulator serving on `127.0.0.1:<free port>` until dropped.
pub struct Imds {
    /// The simulator, for injecting faults and reading what it saw.
    pub simulator: Simulator,
    server: TcpServer,
}

impl Imds {
    /// The default simulated instance.
    pub fn start() -> Self {
        Self::with(SimulatorConfig::default())
    }

    /// A simulated instance set up as `config`.
    pub fn with(config: SimulatorConfig) -> Self {
        let simulator = Simulator::new(config);
        let server = TcpServer::start("127.0.0.1:0", simulator.clone()).expect("simulator listens");
        Self { simulator, server }
    }

    /// Adds a fault rule.
    pub fn inject(&self, rule: Rule) -> &Self {
        self.simulator.inject(rule);
        self
    }

    /// `host:port` of the simulator.
    pub fn endpoint(&self) -> String {
        self.server.addr().to_string()
    }

    /// Settings pointing at this simulator, with quick retries (10 ms backoff) so tests run
    /// fast, and generous timeouts so a loaded machine does not make them flaky.
    pub fn settings(&self) -> Settings {
        Settings {
            endpoint: Some(self.endpoint()),
            retry: Some(RetryPolicy {
                max_attempts: NonZeroU8::new(3).expect("3 > 0"),
                initial_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(40),
            }),
            connect_timeout: Some(Duration::from_secs(5)),
            read_timeout: Some(Duration::from_secs(5)),
            operation_timeout: Some(Duration::from_secs(20)),
            ..Settings::default()
        }
    }

    /// `settings` resolved with no environment.
    pub fn resolve(&self, settings: &Settings) -> Resolved {
        settings.resolve_with(no_env).expect("valid test settings")
    }

    /// Every request the simulator saw.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.simulator.requests()
    }
}
