//! The stored form of one answer in Redis: a format byte, then a protobuf message.
//!
//! Replicas of different versions share one Redis during a rolling upgrade, so a value must be
//! readable by newer and older replicas, or refused by them without harm:
//!
//! - **Newer fields** are added as new protobuf fields. An older replica skips fields it does not
//!   know (protobuf's rule), and a newer one reads an absent field as its default.
//! - **A change no reader could skip** (a field changing meaning) takes the next [`FORMAT`]
//!   byte. A replica refuses a format byte it does not know: the number counts as a miss and is
//!   checked again, which costs one upstream check but never a wrong answer.
//! - **The text line of earlier builds** (`status \t ns \t label \t area \t carrier`, under
//!   the `phonecheck:v1:` keys) is still read by [`decode_text_line`], so that answers stored
//!   before an upgrade are not bought again. Those keys expire with their answers' time to live.
//!
//! A value is 45 to 50 bytes for a typical answer (49 for 沉默号, 山西-临汾, 中国联通), against 58
//! for the same answer as a text line.

use std::time::{Duration, UNIX_EPOCH};

use prost::Message;

use crate::checking::checked_line::{CheckedLine, LineStatus, intern};

/// The format byte this release writes and the only one it reads.
pub(super) const FORMAT: u8 = 1;

/// Format 1's message. Field numbers are forever; new fields take new numbers.
#[derive(Clone, PartialEq, Message)]
struct StoredAnswer {
    /// The upstream's status code (`LineStatus::code`).
    #[prost(uint32, tag = "1")]
    status: u32,
    /// When the answer arrived, in whole seconds since the Unix epoch.
    #[prost(uint64, tag = "2")]
    checked_at_secs: u64,
    /// The upstream's label for the status, e.g. "实号".
    #[prost(string, tag = "3")]
    status_name: String,
    /// Where the number is registered, e.g. "山西-临汾".
    #[prost(string, tag = "4")]
    area: String,
    /// The carrier, e.g. "中国联通".
    #[prost(string, tag = "5")]
    carrier: String,
}

/// Why a stored value was not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum Refused {
    /// Written by a release whose format this one does not know (or not by phonecheck).
    #[error("format byte {0} is not one this release reads")]
    UnknownFormat(u8),
    /// The value is empty, cut short or not a valid message.
    #[error("the value is not a well-formed answer")]
    Malformed,
    /// The status code is not one the upstream documents.
    #[error("status code {0} is unknown")]
    UnknownStatus(u32),
}

/// An answer as a value: [`FORMAT`], then the message.
pub(super) fn encode(r: &CheckedLine) -> Vec<u8> {
    let message = StoredAnswer {
        status: u32::try_from(r.status.code()).unwrap_or(u32::MAX),
        checked_at_secs: r
            .checked_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        status_name: r.status_name.to_string(),
        area: r.area.to_string(),
        carrier: r.carrier.to_string(),
    };
    let mut value = Vec::with_capacity(1 + message.encoded_len());
    value.push(FORMAT);
    message.encode(&mut value).unwrap_or_default();
    value
}

/// Reads a value [`encode`] (or a later release of format 1) wrote.
pub(super) fn decode(value: &[u8]) -> Result<CheckedLine, Refused> {
    let (&format, message) = value.split_first().ok_or(Refused::Malformed)?;
    if format != FORMAT {
        return Err(Refused::UnknownFormat(format));
    }
    let stored = StoredAnswer::decode(message).map_err(|_| Refused::Malformed)?;
    let status = LineStatus::from_code(i64::from(stored.status))
        .ok_or(Refused::UnknownStatus(stored.status))?;
    Ok(CheckedLine {
        status,
        checked_at: UNIX_EPOCH + Duration::from_secs(stored.checked_at_secs),
        status_name: intern(&stored.status_name),
        area: intern(&stored.area),
        carrier: intern(&stored.carrier),
    })
}

/// Reads the text line earlier builds stored; anything else is absent.
pub(super) fn decode_text_line(value: &[u8]) -> Option<CheckedLine> {
    let line = std::str::from_utf8(value).ok()?;
    let mut fields = line.splitn(5, '\t');
    let status = LineStatus::from_code(fields.next()?.parse().ok()?)?;
    let ns: u64 = fields.next()?.parse().ok()?;
    Some(CheckedLine {
        status,
        // Answers are compared and cached on whole seconds.
        checked_at: UNIX_EPOCH + Duration::from_secs(ns / 1_000_000_000),
        status_name: intern(fields.next()?),
        area: intern(fields.next()?),
        carrier: intern(fields.next()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> CheckedLine {
        CheckedLine {
            status: LineStatus::Silent,
            status_name: "沉默号".into(),
            area: "山西-临汾".into(),
            carrier: "中国联通".into(),
            checked_at: UNIX_EPOCH + Duration::from_secs(1_790_000_000),
        }
    }

    #[test]
    fn an_answer_survives_its_stored_form() {
        let value = encode(&report());
        assert_eq!(value[0], FORMAT);
        assert_eq!(value.len(), 49, "the size the module doc gives");
        assert_eq!(decode(&value), Ok(report()));
    }

    #[test]
    fn a_newer_replicas_extra_field_is_skipped() {
        let mut value = encode(&report());
        // Field 9, a string a later release might add.
        prost::encoding::string::encode(9, &"from the future".to_string(), &mut value);
        assert_eq!(decode(&value), Ok(report()));
    }

    #[test]
    fn an_older_value_without_a_field_reads_its_default() {
        // Format 1 with only the status and the time: labels read as empty.
        let mut value = vec![FORMAT];
        prost::encoding::uint32::encode(1, &1, &mut value);
        prost::encoding::uint64::encode(2, &1_790_000_000, &mut value);
        let read = decode(&value).unwrap();
        assert_eq!(read.status, LineStatus::Real);
        assert_eq!(&*read.carrier, "");
    }

    #[test]
    fn what_this_release_cannot_read_is_refused() {
        let mut future = encode(&report());
        future[0] = 2;
        assert_eq!(decode(&future), Err(Refused::UnknownFormat(2)));
        assert_eq!(decode(b""), Err(Refused::Malformed));
        assert_eq!(decode(&[FORMAT, 0xff]), Err(Refused::Malformed));
        let mut odd = vec![FORMAT];
        prost::encoding::uint32::encode(1, &9, &mut odd);
        assert_eq!(decode(&odd), Err(Refused::UnknownStatus(9)));
        // The old text line starts with a digit, never with the format byte.
        assert_eq!(decode(b"4\t1\ta\tb\tc"), Err(Refused::UnknownFormat(b'4')));
    }

    #[test]
    fn the_old_text_line_is_still_read() {
        let line = "4\t1790000000123456789\t沉默号\t山西-临汾\t中国联通";
        assert_eq!(decode_text_line(line.as_bytes()), Some(report()));
        assert_eq!(decode_text_line(b"9\t1\ta\tb\tc"), None, "unknown status");
        assert_eq!(decode_text_line(b"garbage"), None);
        assert_eq!(decode_text_line(&encode(&report())), None);
    }
}
