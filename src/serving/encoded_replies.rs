//! `CheckStreamResponse` and `CheckBulkResponse` as the server sends them: the pipeline's
//! results are written straight into the message's bytes, without first building a
//! `pb::PhoneResult` (eight `String`s) for each. The two messages have the same fields
//! (1: `results`, 2: `progress`, 3: `summary`), so one type serves both; `build.rs` puts it in
//! the generated server trait in place of theirs.
//!
//! The bytes are exactly those prost writes for the `pb::PhoneResult` that
//! `From<NumberResult>` builds (fields in tag order, defaults left out), which the tests check
//! for every kind of result. Callers decode them with the generated types as usual.

use prost::Message;
use prost::bytes::{Buf, BufMut};
use prost::encoding::{self, DecodeContext, WireType};

use crate::checking::pipeline::{NumberResult, Outcome};
use crate::pb;
use crate::serving::status::{not_checked_status, rpc_status};

/// A `CheckStreamResponse` or `CheckBulkResponse`, encoded from the pipeline's results.
///
/// The server only sends it, so decoding one reads nothing: the generated types decode these
/// bytes.
#[derive(Debug, Default)]
pub struct ResultsReply {
    /// The `results` field, every result already encoded: each result's fields are worked out
    /// once (a province split, a timestamp, an error's details), not once for the length and
    /// again for the bytes.
    results: Vec<u8>,
    progress: Option<pb::Progress>,
    summary: Option<pb::CheckSummary>,
}

impl ResultsReply {
    /// A message holding `results`, and `progress` and `summary` when given.
    pub fn new(
        results: Vec<NumberResult>,
        progress: Option<pb::Progress>,
        summary: Option<pb::CheckSummary>,
    ) -> Self {
        // A checked result takes about 90 bytes: room for them at once.
        let mut encoded = Vec::with_capacity(results.len() * 96);
        for result in &results {
            let fields = Fields::of(result);
            let length = fields.len();
            encoding::encode_key(RESULTS, WireType::LengthDelimited, &mut encoded);
            encoding::encode_varint(length as u64, &mut encoded);
            fields.encode(&mut encoded);
        }
        ResultsReply {
            results: encoded,
            progress,
            summary,
        }
    }
}

/// `results`, `progress` and `summary` in both messages.
const RESULTS: u32 = 1;
const PROGRESS: u32 = 2;
const SUMMARY: u32 = 3;

impl Message for ResultsReply {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.results);
        if let Some(progress) = &self.progress {
            encoding::message::encode(PROGRESS, progress, buf);
        }
        if let Some(summary) = &self.summary {
            encoding::message::encode(SUMMARY, summary, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        encoding::skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.results.len()
            + self
                .progress
                .as_ref()
                .map_or(0, |p| encoding::message::encoded_len(PROGRESS, p))
            + self
                .summary
                .as_ref()
                .map_or(0, |s| encoding::message::encoded_len(SUMMARY, s))
    }

    fn clear(&mut self) {
        *self = ResultsReply::default();
    }
}

/// The fields of one `PhoneResult`, borrowed from a [`NumberResult`] where they can be.
struct Fields<'a> {
    result: &'a NumberResult,
    mobile: Option<[u8; 11]>,
    status: i32,
    /// status_name, area, province, city, carrier.
    labels: [&'a str; 5],
    checked_at: Option<prost_types::Timestamp>,
    invalid_reason: String,
    error: Option<tonic_types::pb::Status>,
}

impl<'a> Fields<'a> {
    fn of(result: &'a NumberResult) -> Self {
        let mut fields = Fields {
            result,
            mobile: result.mobile.map(|m| m.ascii_digits()),
            status: 0,
            labels: [""; 5],
            checked_at: None,
            invalid_reason: String::new(),
            error: None,
        };
        match &result.outcome {
            Outcome::Checked(report) => {
                let (province, city) = report.province_and_city();
                fields.status = pb::NumberStatus::from(report.status) as i32;
                fields.labels = [
                    &report.status_name,
                    &report.area,
                    province,
                    city,
                    &report.carrier,
                ];
                fields.checked_at = Some(report.checked_at.into());
            }
            Outcome::Invalid(reason) => {
                fields.status = pb::NumberStatus::Invalid as i32;
                fields.invalid_reason = reason.to_string();
            }
            Outcome::Failed(e) => fields.error = Some(rpc_status(e)),
            Outcome::NotChecked(cause) => {
                fields.error = Some(not_checked_status(cause.as_deref()));
            }
        }
        fields
    }

    /// The input as given: its own text, or the number's digits when it was exactly those.
    fn input(&self) -> &[u8] {
        match (&self.result.input, &self.mobile) {
            (Some(text), _) => text.as_bytes(),
            (None, Some(digits)) => digits,
            (None, None) => &[],
        }
    }

    fn len(&self) -> usize {
        let r = self.result;
        let text = |tag: u32, s: &[u8]| {
            if s.is_empty() {
                0
            } else {
                encoding::key_len(tag) + encoding::encoded_len_varint(s.len() as u64) + s.len()
            }
        };
        let flag = |tag: u32, b: bool| if b { encoding::key_len(tag) + 1 } else { 0 };
        let mut len = 0;
        if r.index != 0 {
            len += encoding::uint32::encoded_len(1, &r.index);
        }
        len += text(2, self.input());
        len += text(3, self.mobile.as_ref().map_or(&[][..], |m| &m[..]));
        if self.status != 0 {
            len += encoding::int32::encoded_len(4, &self.status);
        }
        for (tag, label) in (5..).zip(self.labels) {
            len += text(tag, label.as_bytes());
        }
        if let Some(t) = &self.checked_at {
            len += encoding::message::encoded_len(10, t);
        }
        len += text(11, self.invalid_reason.as_bytes());
        if let Some(e) = &self.error {
            len += encoding::message::encoded_len(12, e);
        }
        len + flag(13, r.duplicate) + flag(14, r.from_cache)
    }

    fn encode(&self, buf: &mut impl BufMut) {
        let r = self.result;
        let text = encode_text;
        if r.index != 0 {
            encoding::uint32::encode(1, &r.index, buf);
        }
        text(2, self.input(), buf);
        text(3, self.mobile.as_ref().map_or(&[][..], |m| &m[..]), buf);
        if self.status != 0 {
            encoding::int32::encode(4, &self.status, buf);
        }
        for (tag, label) in (5..).zip(self.labels) {
            text(tag, label.as_bytes(), buf);
        }
        if let Some(t) = &self.checked_at {
            encoding::message::encode(10, t, buf);
        }
        text(11, self.invalid_reason.as_bytes(), buf);
        if let Some(e) = &self.error {
            encoding::message::encode(12, e, buf);
        }
        if r.duplicate {
            encoding::bool::encode(13, &true, buf);
        }
        if r.from_cache {
            encoding::bool::encode(14, &true, buf);
        }
    }
}

/// A string field, left out when empty (as proto3 does).
fn encode_text(tag: u32, s: &[u8], buf: &mut impl BufMut) {
    if !s.is_empty() {
        encoding::encode_key(tag, WireType::LengthDelimited, buf);
        encoding::encode_varint(s.len() as u64, buf);
        buf.put_slice(s);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::checking::checked_line::{CheckedLine, LineStatus};
    use crate::checking::number::{InvalidReason, normalize_mobile};
    use crate::checking::upstream::UpstreamError;

    fn result(index: u32, input: &str, outcome: Outcome) -> NumberResult {
        NumberResult {
            index,
            // A bare number's text is its digits (`None`), as the pipeline gives it.
            input: (normalize_mobile(input).ok().map(|m| m.digits()).as_deref() != Some(input))
                .then(|| input.to_owned()),
            mobile: normalize_mobile(input).ok(),
            outcome,
            duplicate: index % 2 == 1,
            from_cache: index % 3 == 1,
        }
    }

    fn every_kind() -> Vec<NumberResult> {
        let report = |area: &str, secs: u64| CheckedLine {
            status: LineStatus::Silent,
            status_name: "沉默号".into(),
            area: area.into(),
            carrier: "中国联通".into(),
            checked_at: UNIX_EPOCH + Duration::from_secs(secs),
        };
        vec![
            result(
                0,
                "13111111111",
                Outcome::Checked(Arc::new(report("山西-临汾", 1_790_000_000))),
            ),
            result(
                1,
                "+86 131 1111 1111",
                Outcome::Checked(Arc::new(report("北京", 0))),
            ),
            result(2, "13222222222", Outcome::Checked(Arc::new(report("", 5)))),
            result(
                300,
                "12345",
                Outcome::Invalid(InvalidReason::WrongLength(5)),
            ),
            result(4, "", Outcome::Invalid(InvalidReason::Empty)),
            result(
                70_000,
                "13333333333",
                Outcome::Failed(Arc::new(UpstreamError::Api {
                    code: 429,
                    msg: "too many requests".into(),
                    // No log id: ErrorInfo's metadata is a map, written in no fixed order, so
                    // with two entries two encodings of the same error could differ.
                    log_id: None,
                })),
            ),
        ]
    }

    #[test]
    fn the_bytes_are_those_of_the_generated_message() {
        for r in every_kind() {
            let ours = ResultsReply::new(vec![r.clone()], None, None);
            let generated = pb::CheckStreamResponse {
                results: vec![pb::PhoneResult::from(r.clone())],
                progress: None,
                summary: None,
            };
            assert_eq!(ours.encode_to_vec(), generated.encode_to_vec(), "{r:?}");
            let read = pb::CheckStreamResponse::decode(ours.encode_to_vec().as_slice()).unwrap();
            assert_eq!(read, generated, "{r:?}");
            assert_eq!(ours.encoded_len(), generated.encoded_len());
            assert_eq!(ours.encoded_len(), ours.encode_to_vec().len());
        }
        let all = every_kind();
        let progress = Some(pb::Progress { done: 6, total: 9 });
        let summary = Some(pb::CheckSummary {
            total: 9,
            ..Default::default()
        });
        let ours = ResultsReply::new(all.clone(), progress, summary);
        let generated = pb::CheckBulkResponse {
            results: all.into_iter().map(pb::PhoneResult::from).collect(),
            progress,
            summary,
        };
        assert_eq!(ours.encode_to_vec(), generated.encode_to_vec());
        let read = pb::CheckBulkResponse::decode(ours.encode_to_vec().as_slice()).unwrap();
        assert_eq!(read, generated);
    }
}
