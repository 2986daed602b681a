//! The benchmark's floor: a bare russh client with nothing of ferry in it. For every host of
//! an inventory written by `scripts/testhosts.sh`, at once: connect, authenticate with the
//! key, open one `sh` on a session channel, run `/bin/true` K times through it (each followed
//! by an end marker it waits for), close. What ferry adds on top of this is its own cost.
//!
//! Usage: bare_ssh INVENTORY K

use std::sync::Arc;

use russh::client::{self, Handle};
use russh::keys::{load_secret_key, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::ChannelMsg;

struct Accept;

impl client::Handler for Accept {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

struct Host {
    address: String,
    port: u16,
    key: String,
}

fn hosts(inventory: &str) -> Vec<Host> {
    let text = std::fs::read_to_string(inventory).expect("the inventory reads");
    text.lines()
        .filter(|l| l.starts_with("host"))
        .map(|line| {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(&format!("{name}=")))
                    .unwrap_or_default()
                    .to_string()
            };
            Host {
                address: field("ansible_host"),
                port: field("ansible_port").parse().unwrap_or(22),
                key: field("ansible_ssh_private_key_file"),
            }
        })
        .collect()
}

async fn run(host: Host, tasks: usize) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let config = Arc::new(client::Config {
        nodelay: true,
        ..Default::default()
    });
    let tcp = tokio::net::TcpStream::connect((host.address.as_str(), host.port)).await?;
    let mut handle: Handle<Accept> = client::connect_stream(config, tcp, Accept).await?;
    let key = Arc::new(load_secret_key(&host.key, None)?);
    let auth = handle
        .authenticate_publickey("root", PrivateKeyWithHashAlg::new(key, None))
        .await?;
    if !auth.success() {
        return Err("authentication refused".into());
    }
    let mut channel = handle.channel_open_session().await?;
    channel.exec(true, "sh").await?;
    for i in 0..tasks {
        let marker = format!("__done_{i}__");
        channel
            .data(format!("/bin/true; echo {marker}$?\n").as_bytes())
            .await?;
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains(&marker) {
            match channel.wait().await {
                Some(ChannelMsg::Data { data }) => seen.extend_from_slice(&data),
                Some(_) => {}
                None => return Err("the shell ended".into()),
            }
        }
    }
    channel.eof().await?;
    handle
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (inventory, tasks) = match args.as_slice() {
        [_, inv, k] => (inv.clone(), k.parse().expect("K is a number")),
        _ => panic!("usage: bare_ssh INVENTORY K"),
    };
    let jobs: Vec<_> = hosts(&inventory)
        .into_iter()
        .map(|h| tokio::spawn(run(h, tasks)))
        .collect();
    let mut failed = 0;
    for job in jobs {
        if !matches!(job.await, Ok(Ok(()))) {
            failed += 1;
        }
    }
    if failed > 0 {
        panic!("{failed} hosts failed");
    }
}
