//! Calls any method by its path with raw bytes, so tests can send what the generated
//! client never would (garbage, messages built from descriptors, empty bodies).

use bytes::{Buf, BufMut};
use prost_reflect::{DescriptorPool, MethodDescriptor};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Status, metadata::MetadataValue};

/// Bytes in, bytes out.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

#[derive(Debug, Clone, Copy, Default)]
pub struct RawEncoder;

#[derive(Debug, Clone, Copy, Default)]
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut out = vec![0; buf.remaining()];
        buf.copy_to_slice(&mut out);
        Ok(Some(out))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// Every method of every `pomost.v1` service.
pub fn methods() -> Vec<MethodDescriptor> {
    let pool = DescriptorPool::decode(pomost::proto::FILE_DESCRIPTOR_SET).unwrap();
    pool.services()
        .filter(|service| service.package_name() == "pomost.v1")
        .flat_map(|service| service.methods().collect::<Vec<_>>())
        .collect()
}

/// The gRPC path of a method.
pub fn path(method: &MethodDescriptor) -> String {
    format!("/{}/{}", method.parent_service().full_name(), method.name())
}

/// Sends `body` to `path` (as a one-item stream for client-streaming methods), with an
/// optional bearer key; the status, and the response's `x-request-id`.
pub async fn call(
    channel: &Channel,
    method: &MethodDescriptor,
    body: Vec<u8>,
    key: Option<&str>,
) -> (Result<Vec<u8>, Status>, Option<String>) {
    let mut grpc = tonic::client::Grpc::new(channel.clone()).max_encoding_message_size(64 << 20);
    grpc.ready().await.unwrap();
    let path: http::uri::PathAndQuery = path(method).parse().unwrap();
    fn with_key<T>(mut request: tonic::Request<T>, key: Option<&str>) -> tonic::Request<T> {
        if let Some(key) = key {
            request.metadata_mut().insert("authorization", MetadataValue::try_from(format!("Bearer {key}")).unwrap());
        }
        request
    }
    let result = if method.is_client_streaming() {
        grpc.client_streaming(with_key(tonic::Request::new(tokio_stream::iter(vec![body])), key), path, RawCodec).await
    } else if method.is_server_streaming() {
        // The stream's first message (or its status) is the answer; the stream is dropped.
        match grpc.server_streaming(with_key(tonic::Request::new(body), key), path, RawCodec).await {
            Ok(response) => {
                let id =
                    response.metadata().get("x-request-id").and_then(|value| value.to_str().ok()).map(str::to_owned);
                let mut stream = response.into_inner();
                let first = tokio::time::timeout(std::time::Duration::from_secs(10), stream.message())
                    .await
                    .unwrap_or_else(|_| Err(Status::deadline_exceeded("no first message within 10 s")));
                return (first.map(Option::unwrap_or_default), id);
            }
            Err(status) => Err(status),
        }
    } else {
        grpc.unary(with_key(tonic::Request::new(body), key), path, RawCodec).await
    };
    match result {
        Ok(response) => {
            let id = response.metadata().get("x-request-id").and_then(|value| value.to_str().ok()).map(str::to_owned);
            (Ok(response.into_inner()), id)
        }
        Err(status) => {
            let id = status.metadata().get("x-request-id").and_then(|value| value.to_str().ok()).map(str::to_owned);
            (Err(status), id)
        }
    }
}
