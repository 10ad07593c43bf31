//! The `aliyun-imds` command. See `aliyun-imds --help`.

mod args;
mod exit;
mod output;

use std::io::Write;
use std::process::ExitCode;

use aliyun_imds::{Error, ImdsClient, Settings};
use aliyun_imds_simulator::{Simulator, SimulatorConfig, TcpServer};

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
        Command::Simulate { listen, role, hardened_only } => simulate(&listen, role, hardened_only),
    }
}

/// Resolves the settings (against a built-in simulator if asked), fetches, prints.
fn fetch(
    mut settings: Settings,
    simulated: bool,
    fetch: impl FnOnce(&mut ImdsClient) -> Result<String, Error>,
) -> Exit {
    // Kept alive until the fetch is over.
    let mut _simulator = None;
    if simulated {
        // Resolve first (the simulator attaches the role the client will ask for); the
        // endpoint is replaced by the simulator's once it listens.
        settings.endpoint = Some("127.0.0.1".to_owned());
        let resolved = match settings.resolve() {
            Ok(resolved) => resolved,
            Err(e) => return fail(exit::of(&e), &e),
        };
        let mut config = SimulatorConfig { hardened_only: true, ..SimulatorConfig::default() };
        if let Some(role) = &resolved.config.role {
            config.role = Some(role.to_string());
        }
        match TcpServer::start("127.0.0.1:0", Simulator::new(config)) {
            Ok(server) => {
                eprintln!(
                    "aliyun-imds: using the built-in simulator at {} (fake credentials)",
                    server.addr()
                );
                settings.endpoint = Some(server.addr().to_string());
                _simulator = Some(server);
            }
            Err(e) => return fail(Exit::Unreachable, &format!("cannot start the simulator: {e}")),
        }
    }
    let result = ImdsClient::new(&settings).and_then(|mut imds| fetch(&mut imds));
    match result {
        Ok(text) => print(&text),
        Err(e) => fail(exit::of(&e), &e),
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
