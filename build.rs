//! Compiles proto/pomost/v1 with protox (pure Rust, no protoc) and generates the tonic
//! client and server code, plus the descriptor set for server reflection.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/pomost/v1/types.proto",
    "proto/pomost/v1/offers.proto",
    "proto/pomost/v1/participants.proto",
    "proto/pomost/v1/matching.proto",
    "proto/pomost/v1/audit.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("pomost_descriptor.bin"), prost::Message::encode_to_vec(&descriptors))?;
    tonic_prost_build::configure().build_client(true).build_server(true).compile_fds(descriptors)?;
    Ok(())
}
