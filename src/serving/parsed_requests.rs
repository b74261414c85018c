//! `CheckRequest` and `CheckStreamRequest` as the server decodes them: each element of
//! `mobiles` is parsed the moment it is read from the message's bytes, into a
//! [`RequestParser`] (8 bytes an input), so a million-number request never becomes a million
//! `String`s. The two messages have the same fields (1: `mobiles`, 2: `options`), so one type
//! serves both; `build.rs` puts it in the generated server trait in place of theirs.
//!
//! Callers (the CLI, tests, other languages) build the generated `pb::CheckRequest` as usual:
//! the bytes on the wire are the same.

use prost::Message;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{self, DecodeContext, WireType};

use crate::checking::request_inputs::RequestParser;
use crate::pb;

/// A `CheckRequest` or `CheckStreamRequest`, decoded with its numbers already parsed.
#[derive(Debug, Default)]
pub struct ParsedCheckRequest {
    /// `mobiles`, parsed element by element.
    pub mobiles: RequestParser,
    /// `options`.
    pub options: Option<pb::CheckOptions>,
    /// One element's text while it is parsed, reused for every element.
    element: String,
}

/// The tag of `mobiles` in both messages.
const MOBILES: u32 = 1;
/// The tag of `options` in both messages.
const OPTIONS: u32 = 2;

/// The smallest an element usually takes on the wire: an 11-digit number, its tag and length.
const TYPICAL_ELEMENT_BYTES: usize = 13;

impl Message for ParsedCheckRequest {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        // One element per input: the same inputs, whatever elements they came in.
        for input in self.mobiles.inputs() {
            encoding::string::encode(MOBILES, &input.into_owned(), buf);
        }
        if let Some(options) = &self.options {
            encoding::message::encode(OPTIONS, options, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        match tag {
            MOBILES => {
                if self.mobiles.is_empty() {
                    // What is left of the message bounds how many elements follow: room for
                    // them at once, so the list is not copied as it grows.
                    self.mobiles
                        .reserve(buf.remaining() / TYPICAL_ELEMENT_BYTES + 1);
                }
                // prost's own string decoding: the same UTF-8 check and errors as any field.
                encoding::string::merge(wire_type, &mut self.element, buf, ctx)?;
                self.mobiles.push_element(&self.element);
                Ok(())
            }
            OPTIONS => encoding::message::merge(
                wire_type,
                self.options.get_or_insert_with(Default::default),
                buf,
                ctx,
            ),
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        let mobiles: usize = self
            .mobiles
            .inputs()
            .map(|input| {
                encoding::key_len(MOBILES)
                    + encoding::encoded_len_varint(input.len() as u64)
                    + input.len()
            })
            .sum();
        mobiles
            + self
                .options
                .as_ref()
                .map_or(0, |o| encoding::message::encoded_len(OPTIONS, o))
    }

    fn clear(&mut self) {
        *self = ParsedCheckRequest::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(request: &pb::CheckRequest) -> ParsedCheckRequest {
        ParsedCheckRequest::decode(request.encode_to_vec().as_slice()).unwrap()
    }

    #[test]
    fn a_generated_request_decodes_into_parsed_inputs() {
        let request = pb::CheckRequest {
            mobiles: vec![
                "13111111111".into(),
                "+86 132 2222 2222, 12345".into(),
                "13111111111".into(),
            ],
            options: Some(pb::CheckOptions {
                skip_cache: true,
                max_age: None,
                validate_only: true,
            }),
        };
        let parsed = decoded(&request);
        assert_eq!(parsed.options, request.options);
        let inputs: Vec<String> = parsed.mobiles.inputs().map(|i| i.into_owned()).collect();
        assert_eq!(
            inputs,
            ["13111111111", "+86 132 2222 2222", "12345", "13111111111"]
        );
        let finished = parsed.mobiles.finish();
        assert_eq!(finished.unique_count(), 2);
        assert_eq!(finished.duplicate_count(), 1);
        assert_eq!(finished.invalid_count(), 1);
    }

    #[test]
    fn it_encodes_back_to_the_same_inputs() {
        let request = pb::CheckStreamRequest {
            mobiles: vec!["13111111111,13222222222".into(), "x".into()],
            options: None,
        };
        let parsed = ParsedCheckRequest::decode(request.encode_to_vec().as_slice()).unwrap();
        let again = pb::CheckStreamRequest::decode(parsed.encode_to_vec().as_slice()).unwrap();
        assert_eq!(again.mobiles, ["13111111111", "13222222222", "x"]);
        assert_eq!(parsed.encoded_len(), parsed.encode_to_vec().len());
    }

    #[test]
    fn bad_bytes_are_a_decode_error_not_a_panic() {
        // Field 1 holding invalid UTF-8.
        let mut bytes = vec![0x0a, 0x02, 0xff, 0xfe];
        assert!(ParsedCheckRequest::decode(bytes.as_slice()).is_err());
        // Cut short.
        bytes.truncate(3);
        assert!(ParsedCheckRequest::decode(bytes.as_slice()).is_err());
        // Field 1 with the wrong wire type.
        assert!(ParsedCheckRequest::decode([0x08, 0x01].as_slice()).is_err());
        // An unknown field is skipped.
        let parsed = ParsedCheckRequest::decode([0x18, 0x01, 0x0a, 0x01, b'7'].as_slice()).unwrap();
        assert_eq!(parsed.mobiles.len(), 1);
    }
}
