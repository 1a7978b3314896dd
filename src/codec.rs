//! The codec of every Pomost service: prost's, with two changes at the edge. A body that
//! does not decode is the client's fault (INVALID_ARGUMENT, not INTERNAL), and every
//! decoded request is checked against its bounds (proto/bounds.toml) before any handler
//! work; over a bound: INVALID_ARGUMENT naming the field and the bound.

use std::marker::PhantomData;

use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder};
use tonic_prost::ProstCodec;

use crate::bounds::Bounded;

/// The codec tonic's generated services use (`codec_path` in build.rs).
#[derive(Debug, Clone)]
pub struct BoundedCodec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Default for BoundedCodec<T, U> {
    fn default() -> Self {
        Self { inner: ProstCodec::default() }
    }
}

impl<T, U> Codec for BoundedCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Bounded + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = <ProstCodec<T, U> as Codec>::Encoder;
    type Decoder = BoundedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        BoundedDecoder(PhantomData)
    }
}

/// Decodes with prost, then checks bounds.
#[derive(Debug)]
pub struct BoundedDecoder<U>(PhantomData<U>);

impl<U: prost::Message + Default + Bounded> Decoder for BoundedDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        let message = U::decode(buf)
            .map_err(|error| Status::invalid_argument(format!("the request body is not a valid message: {error}")))?;
        crate::bounds::check(&message, "").map_err(|error| crate::error::invalid_argument(&error))?;
        Ok(Some(message))
    }
}
