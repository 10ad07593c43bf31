//! Fetch credentials with the tokio client from a simulator on loopback, and print them
//! redacted. On an ECS instance, use `AsyncImdsClient::from_env()` instead.
//!
//! `cargo run -p aliyun-imds-tokio --example tokio`

use aliyun_imds::Settings;
use aliyun_imds_simulator::{Simulator, SimulatorConfig, TcpServer};
use aliyun_imds_tokio::AsyncImdsClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = TcpServer::start("127.0.0.1:0", Simulator::new(SimulatorConfig::default()))?;

    let settings = Settings { endpoint: Some(server.addr().to_string()), ..Settings::default() };
    let mut imds = AsyncImdsClient::new(&settings)?;
    let credentials = imds.credentials().await?;
    println!("credentials: {credentials}"); // secrets are never displayed
    println!("region: {}", imds.item("region-id").await?);
    Ok(())
}
