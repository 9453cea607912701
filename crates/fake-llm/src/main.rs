//! `fake-llm [--addr 127.0.0.1:0] [--gap-ms 40]`: serve the fake vendor until SIGTERM/Ctrl-C.
//! The first line on standard output is `FAKE_LLM_URL=http://127.0.0.1:<port>`, for scripts.

use fake_llm::{FakeLlm, WORD_GAP};
use std::{io::Write, net::SocketAddr, time::Duration};

fn usage() -> ! {
    eprintln!("usage: fake-llm [--addr 127.0.0.1:0] [--gap-ms 40]");
    std::process::exit(2)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut gap = WORD_GAP;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--addr" => addr = value.parse().unwrap_or_else(|_| usage()),
            "--gap-ms" => gap = Duration::from_millis(value.parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    let server = match FakeLlm::start_with_gap(addr, gap).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-llm: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("FAKE_LLM_URL={}", server.url);
    let _ = std::io::stdout().flush();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    eprintln!("fake-llm: {} requests, {} streams abandoned", server.requests(), server.abandoned());
}
