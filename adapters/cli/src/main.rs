//! The `aliyun-imds` command. See `aliyun-imds --help`.

mod args;
mod exit;
mod output;
mod serve;

use std::io::Write;
use std::process::ExitCode;

use aliyun_imds::{Error, ImdsClient, Settings};
use aliyun_imds_simulator::{Simulator, SimulatorConfig, TcpServer};
use aliyun_imds_tokio::{AsyncCredentialsProvider, AsyncImdsClient};

use crate::args::{Command, USAGE};
use crate::exit::Exit;

fn main() -> ExitCode {
    let exit = match args::parse(std::env::args_os().skip(1)) {
        Ok(command) => run(command),
        Err(e) => fail(Exit::Usage, &e),
    };
    ExitCode::from(exit as u8)
}

fn run(command: Command) -> Exit {
    match command {
        Command::Help => print(USAGE),
        Command::Version => print(&format!("aliyun-imds {}\n", env!("CARGO_PKG_VERSION"))),
        Command::Credentials { settings, simulated, format } => {
            fetch(settings, simulated, |imds| {
                imds.credentials().map(|c| output::render(&c, format))
            })
        }
        Command::Get { item, settings, simulated } => {
            fetch(settings, simulated, |imds| imds.item(&item).map(|value| format!("{value}\n")))
        }
        Command::Serve { listen, settings, simulated } => {
            serve_credentials(&listen, settings, simulated)
        }
        Command::Simulate { listen, role, hardened_only } => simulate(&listen, role, hardened_only),
    }
}

/// Points `settings` at a built-in simulator started on loopback (hardened mode enforced,
/// with the role the client will ask for attached); the simulator runs until dropped.
fn simulated(settings: &mut Settings) -> Result<TcpServer, Exit> {
    // Resolve first to learn the role; the endpoint is replaced once the simulator listens.
    settings.endpoint = Some("127.0.0.1".to_owned());
    let resolved = settings.resolve().map_err(|e| fail(exit::of(&e), &e))?;
    let mut config = SimulatorConfig { hardened_only: true, ..SimulatorConfig::default() };
    if let Some(role) = &resolved.config.role {
        config.role = Some(role.to_string());
    }
    let server = TcpServer::start("127.0.0.1:0", Simulator::new(config))
        .map_err(|e| fail(Exit::Unreachable, &format!("cannot start the simulator: {e}")))?;
    eprintln!("aliyun-imds: using the built-in simulator at {} (fake credentials)", server.addr());
    settings.endpoint = Some(server.addr().to_string());
    Ok(server)
}

/// Fetches (against a built-in simulator if asked), prints.
fn fetch(
    mut settings: Settings,
    simulate: bool,
    fetch: impl FnOnce(&mut ImdsClient) -> Result<String, Error>,
) -> Exit {
    let _simulator = match simulate.then(|| simulated(&mut settings)).transpose() {
        Ok(simulator) => simulator,
        Err(exit) => return exit,
    };
    match ImdsClient::new(&settings).and_then(|mut imds| fetch(&mut imds)) {
        Ok(text) => print(&text),
        Err(e) => fail(exit::of(&e), &e),
    }
}

/// Serves credentials to local SDKs until SIGINT or SIGTERM.
fn serve_credentials(listen: &str, mut settings: Settings, simulate: bool) -> Exit {
    let _simulator = match simulate.then(|| simulated(&mut settings)).transpose() {
        Ok(simulator) => simulator,
        Err(exit) => return exit,
    };
    let client = match AsyncImdsClient::new(&settings) {
        Ok(client) => client,
        Err(e) => return fail(exit::of(&e), &e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(Exit::Output, &format!("cannot start the runtime: {e}")),
    };
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| (Exit::Usage, e))?;
        let provider = AsyncCredentialsProvider::new(client);
        let _refresher = provider.refresh_in_background();
        let announce = |uri: &str| match print(&format!("{uri}\n")) {
            Exit::Ok => Ok(()),
            _ => Err(std::io::Error::other("stdout closed")),
        };
        serve::serve(listener, provider, announce).await.map_err(|e| (Exit::Output, e))
    });
    match served {
        Ok(()) => Exit::Ok,
        Err((exit, e)) => fail(exit, &format!("serve on {listen}: {e}")),
    }
}

fn simulate(listen: &str, role: Option<String>, hardened_only: bool) -> Exit {
    let mut config = SimulatorConfig { hardened_only, ..SimulatorConfig::default() };
    if role.is_some() {
        config.role = role;
    }
    let role = config.role.clone().unwrap_or_default();
    match TcpServer::start(listen, Simulator::new(config)) {
        Ok(server) => {
            let exit = print(&format!(
                "listening on http://{} (role {role}, hardened-only: {hardened_only})\n",
                server.addr()
            ));
            if exit == Exit::Ok {
                server.wait();
            }
            exit
        }
        Err(e) => fail(Exit::Usage, &format!("cannot listen on {listen}: {e}")),
    }
}

fn print(text: &str) -> Exit {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => fail(Exit::Output, &format!("cannot write the output: {e}")),
    }
}

fn fail(exit: Exit, error: &dyn std::fmt::Display) -> Exit {
    eprintln!("aliyun-imds: error: {error}");
    exit
}
