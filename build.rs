//! Compiles proto/pomost/v1 with protox (pure Rust, no protoc) and generates the tonic
//! client and server code, the descriptor set for server reflection, and — from
//! proto/bounds.toml — the bound checks of every request message (`bounds.rs` in OUT_DIR),
//! which the codec runs on every decoded request before a handler sees it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::PathBuf;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorSet};

const PROTOS: &[&str] = &[
    "proto/pomost/v1/types.proto",
    "proto/pomost/v1/offers.proto",
    "proto/pomost/v1/participants.proto",
    "proto/pomost/v1/matching.proto",
    "proto/pomost/v1/audit.proto",
    "proto/pomost/v1/vocabulary.proto",
    "proto/pomost/v1/placement.proto",
];
const BOUNDS: &str = "proto/bounds.toml";
const PACKAGE: &str = "pomost.v1";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    println!("cargo:rerun-if-changed={BOUNDS}");
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("pomost_descriptor.bin"), prost::Message::encode_to_vec(&descriptors))?;
    std::fs::write(out_dir.join("bounds.rs"), bound_checks(&descriptors, &std::fs::read_to_string(BOUNDS)?)?)?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .codec_path("crate::codec::BoundedCodec")
        .compile_fds(descriptors)?;
    Ok(())
}

/// The bounds file: defaults per kind and bounds per field.
struct Bounds {
    string: u64,
    repeated: u64,
    fields: BTreeMap<String, u64>,
}

fn parse_bounds(text: &str) -> Result<Bounds, String> {
    let table: toml::Table = text.parse().map_err(|error| format!("{BOUNDS}: {error}"))?;
    let number = |value: &toml::Value, what: &str| {
        value.as_integer().and_then(|n| u64::try_from(n).ok()).ok_or_else(|| format!("{BOUNDS}: {what} is not a count"))
    };
    let default = table.get("default").and_then(toml::Value::as_table).ok_or(format!("{BOUNDS}: no [default]"))?;
    let mut fields = BTreeMap::new();
    if let Some(listed) = table.get("field").and_then(toml::Value::as_table) {
        for (name, value) in listed {
            fields.insert(name.clone(), number(value, name)?);
        }
    }
    Ok(Bounds {
        string: number(default.get("string").ok_or("no default string")?, "default.string")?,
        repeated: number(default.get("repeated").ok_or("no default repeated")?, "default.repeated")?,
        fields,
    })
}

fn snake(name: &str) -> String {
    let mut out = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn rust_field(name: &str) -> String {
    match name {
        "type" | "match" | "ref" | "self" | "mod" | "use" | "fn" | "in" | "as" | "loop" | "move" => format!("r#{name}"),
        other => other.to_owned(),
    }
}

/// The message a field refers to, by its short name, if it is one of this package's.
fn message_type(field: &FieldDescriptorProto) -> Option<String> {
    (field.r#type() == Type::Message)
        .then(|| field.type_name().strip_prefix(&format!(".{PACKAGE}.")).map(str::to_owned))
        .flatten()
}

fn bound_checks(set: &FileDescriptorSet, bounds_text: &str) -> Result<String, String> {
    let bounds = parse_bounds(bounds_text)?;
    let messages: BTreeMap<String, &DescriptorProto> = set
        .file
        .iter()
        .filter(|file| file.package() == PACKAGE)
        .flat_map(|file| file.message_type.iter())
        .map(|message| (message.name().to_owned(), message))
        .collect();
    // Messages a client can send: method inputs and everything inside them.
    let mut reachable = BTreeSet::new();
    let mut queue: VecDeque<String> = set
        .file
        .iter()
        .flat_map(|file| file.service.iter())
        .flat_map(|service| service.method.iter())
        .filter_map(|method| method.input_type().strip_prefix(&format!(".{PACKAGE}.")).map(str::to_owned))
        .collect();
    while let Some(name) = queue.pop_front() {
        if !reachable.insert(name.clone()) {
            continue;
        }
        if let Some(message) = messages.get(&name) {
            queue.extend(message.field.iter().filter_map(message_type));
        }
    }
    for name in bounds.fields.keys() {
        let (message, field) = name
            .strip_prefix(&format!("{PACKAGE}."))
            .and_then(|rest| rest.split_once('.'))
            .ok_or_else(|| format!("{BOUNDS}: {name} is not a {PACKAGE} field"))?;
        let known = messages.get(message).is_some_and(|m| m.field.iter().any(|f| f.name() == field));
        if !known {
            return Err(format!("{BOUNDS}: {name} names no field of the proto"));
        }
    }
    let mut out = String::from("// Generated by build.rs from proto/bounds.toml; do not edit.\n\n");
    for (name, message) in &messages {
        if message.options.as_ref().is_some_and(|options| options.map_entry()) {
            continue;
        }
        writeln!(out, "impl crate::bounds::Bounded for {name} {{").ok();
        if !reachable.contains(name) {
            writeln!(
                out,
                "    fn check_bounds(&self, _at: &str) -> Result<(), pomost_domain::ValidationError> {{ Ok(()) }}\n}}\n"
            )
            .ok();
            continue;
        }
        writeln!(out, "    fn check_bounds(&self, at: &str) -> Result<(), pomost_domain::ValidationError> {{").ok();
        writeln!(out, "        let _ = at;").ok();
        let mut oneofs: BTreeMap<i32, Vec<&FieldDescriptorProto>> = BTreeMap::new();
        for field in &message.field {
            if field.oneof_index.is_some() && !field.proto3_optional() {
                oneofs.entry(field.oneof_index()).or_default().push(field);
                continue;
            }
            let full = format!("{PACKAGE}.{name}.{}", field.name());
            let rust = rust_field(field.name());
            let label = field.name();
            let repeated = field.label() == Label::Repeated;
            if repeated {
                let bound = bounds.fields.get(&full).copied().unwrap_or(bounds.repeated);
                writeln!(out, "        crate::bounds::list(at, \"{label}\", self.{rust}.len(), {bound})?;").ok();
            }
            match field.r#type() {
                Type::String | Type::Bytes => {
                    let bound = if repeated {
                        bounds.string
                    } else {
                        bounds.fields.get(&full).copied().unwrap_or(bounds.string)
                    };
                    if repeated {
                        writeln!(out, "        for (i, item) in self.{rust}.iter().enumerate() {{ crate::bounds::text(at, &format!(\"{label}[{{i}}]\"), item.len(), {bound})?; }}").ok();
                    } else if field.proto3_optional() {
                        writeln!(out, "        if let Some(item) = &self.{rust} {{ crate::bounds::text(at, \"{label}\", item.len(), {bound})?; }}").ok();
                    } else {
                        writeln!(out, "        crate::bounds::text(at, \"{label}\", self.{rust}.len(), {bound})?;")
                            .ok();
                    }
                }
                Type::Message
                    if message_type(field).is_some_and(|t| {
                        !messages.get(&t).is_some_and(|m| m.options.as_ref().is_some_and(|o| o.map_entry()))
                    }) =>
                {
                    if repeated {
                        writeln!(out, "        for (i, item) in self.{rust}.iter().enumerate() {{ item.check_bounds(&crate::bounds::join(at, &format!(\"{label}[{{i}}]\")))?; }}").ok();
                    } else {
                        writeln!(out, "        if let Some(item) = &self.{rust} {{ item.check_bounds(&crate::bounds::join(at, \"{label}\"))?; }}").ok();
                    }
                }
                Type::Message => {}
                Type::Double
                | Type::Float
                | Type::Int32
                | Type::Int64
                | Type::Uint32
                | Type::Uint64
                | Type::Sint32
                | Type::Sint64
                | Type::Fixed32
                | Type::Fixed64
                | Type::Sfixed32
                | Type::Sfixed64 => {
                    if let Some(bound) = bounds.fields.get(&full) {
                        if repeated || field.proto3_optional() {
                            return Err(format!("{BOUNDS}: {full}: numeric bounds only on plain fields"));
                        }
                        writeln!(
                            out,
                            "        crate::bounds::number(at, \"{label}\", self.{rust} as f64, {bound}_u64 as f64)?;"
                        )
                        .ok();
                    }
                }
                _ => {}
            }
        }
        for (index, fields) in oneofs {
            let oneof = &message.oneof_decl[index as usize];
            let module = snake(name);
            let rust = rust_field(oneof.name());
            writeln!(out, "        match &self.{rust} {{").ok();
            for field in fields {
                let variant = camel(field.name());
                let label = field.name();
                match field.r#type() {
                    Type::String | Type::Bytes => {
                        let full = format!("{PACKAGE}.{name}.{}", field.name());
                        let bound = bounds.fields.get(&full).copied().unwrap_or(bounds.string);
                        writeln!(out, "            Some({module}::{}::{variant}(item)) => crate::bounds::text(at, \"{label}\", item.len(), {bound})?,", camel(oneof.name())).ok();
                    }
                    Type::Message => {
                        writeln!(out, "            Some({module}::{}::{variant}(item)) => item.check_bounds(&crate::bounds::join(at, \"{label}\"))?,", camel(oneof.name())).ok();
                    }
                    _ => {
                        writeln!(out, "            Some({module}::{}::{variant}(_)) => {{}}", camel(oneof.name())).ok();
                    }
                }
            }
            writeln!(out, "            None => {{}}\n        }}").ok();
        }
        writeln!(out, "        Ok(())\n    }}\n}}\n").ok();
    }
    Ok(out)
}
