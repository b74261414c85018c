//! Where bytes from outside become structure, each as one function taking any bytes: the
//! bodies of the coverage-guided fuzzers in `fuzz/` (cargo fuzz, libFuzzer), and of
//! `tests/fuzz_corpora.rs`, which replays their committed corpora on stable so that
//! `cargo test` alone proves every input they ever kept.
//!
//! Each function panics only when it finds a defect: a parser that panics, or a property that
//! fails (a decoding that depends on how its bytes were split, an encoding that differs from
//! prost's, a normalized number that does not normalize to itself, a signature that does not
//! verify). Errors for bad input are the expected answer and pass. [`TARGETS`] names them all,
//! so the fuzz crate, the replay test and CI cannot drift apart.
//!
//! Hidden from the docs: this is the project's own test surface, not an API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use arbitrary::{Arbitrary, Unstructured};
use prost::Message;
use prost::bytes::Buf;

use crate::checking::checked_line::{CheckedLine, LineStatus};
use crate::checking::number::normalize_mobile;
use crate::checking::pipeline::{NumberResult, Outcome};
use crate::checking::upstream::UpstreamError;
use crate::pb;
use crate::serving::encoded_replies::ResultsReply;
use crate::serving::parsed_requests::ParsedCheckRequest;

/// A target: any bytes in, a panic only on a defect.
pub type Target = fn(&[u8]);

/// Every target by name: its corpus is `fuzz/corpus/NAME/`, its fuzzer `fuzz/fuzz_targets/NAME.rs`.
pub const TARGETS: [(&str, Target); 10] = [
    ("check_request", check_request),
    ("results_reply", results_reply),
    ("mobile_number", mobile_number),
    ("upstream_answer", upstream_answer),
    ("list_file", list_file),
    ("door_form", door_form),
    ("page_token", page_token),
    ("keys_file", keys_file),
    ("segments_file", segments_file),
    ("webhook_signature", webhook_signature),
];

/// The hand-written `CheckRequest` decoder: any bytes decode or fail without panicking; a
/// message decodes the same however its bytes are split into pieces; what it decodes encodes
/// and decodes back to the same inputs and options; and it reads what prost's generated type
/// reads.
pub fn check_request(data: &[u8]) {
    let Some((&cuts, message)) = data.split_first() else {
        return;
    };
    let whole = ParsedCheckRequest::decode(message);
    let split = ParsedCheckRequest::decode(Pieces::new(message, cuts));
    let generated = pb::CheckRequest::decode(message);
    match (whole, split, generated) {
        (Ok(whole), Ok(split), Ok(generated)) => {
            let inputs = |r: &ParsedCheckRequest| -> Vec<String> {
                r.mobiles.inputs().map(|i| i.into_owned()).collect()
            };
            assert_eq!(inputs(&whole), inputs(&split), "split into pieces");
            assert_eq!(whole.options, split.options);
            assert_eq!(whole.options, generated.options, "prost's own decoding");
            let again = ParsedCheckRequest::decode(whole.encode_to_vec().as_slice())
                .expect("its own encoding decodes");
            assert_eq!(inputs(&again), inputs(&whole), "decode(encode(m)) == m");
            assert_eq!(again.options, whole.options);
            // The generated type's elements, parsed the same way, give the same inputs.
            let mut parser = crate::checking::request_inputs::RequestParser::default();
            for element in &generated.mobiles {
                parser.push_element(element);
            }
            let from_generated: Vec<String> = parser.inputs().map(|i| i.into_owned()).collect();
            assert_eq!(inputs(&whole), from_generated, "prost's own decoding");
        }
        (Err(_), Err(_), Err(_)) => {}
        (whole, split, generated) => panic!(
            "the decoders disagree: whole {:?}, split {:?}, generated {:?}",
            whole.err(),
            split.err(),
            generated.err()
        ),
    }
}

/// The hand-written results encoder: for any results, byte for byte what prost writes for the
/// `pb::CheckStreamResponse` the generated conversions build.
pub fn results_reply(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(results) = arbitrary_results(&mut u) else {
        return;
    };
    let ours = ResultsReply::new(results.clone(), None, None).encode_to_vec();
    let prosts = pb::CheckStreamResponse {
        results: results.into_iter().map(pb::PhoneResult::from).collect(),
        progress: None,
        summary: None,
    }
    .encode_to_vec();
    assert_eq!(
        ours, prosts,
        "the hand-written encoding differs from prost's"
    );
}

/// Results of every kind from fuzz bytes: inputs valid or not, answers with any texts and
/// times, failures with any upstream code and message.
fn arbitrary_results(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<NumberResult>> {
    let n = u.int_in_range(0..=8)?;
    let mut results = Vec::with_capacity(n);
    for _ in 0..n {
        let input = String::arbitrary(u)?;
        let mobile = normalize_mobile(&input).ok();
        let outcome = match (normalize_mobile(&input), u.int_in_range(0..=3)?) {
            (Err(reason), _) => Outcome::Invalid(reason),
            (Ok(_), 0) => Outcome::Checked(Arc::new(CheckedLine {
                status: *u.choose(&LineStatus::ALL)?,
                status_name: String::arbitrary(u)?.into(),
                area: String::arbitrary(u)?.into(),
                carrier: String::arbitrary(u)?.into(),
                checked_at: UNIX_EPOCH + Duration::from_millis(u.int_in_range(0..=u64::MAX >> 24)?),
            })),
            (Ok(_), 1) => Outcome::Failed(Arc::new(upstream_error(u)?)),
            (Ok(_), 2) => Outcome::NotChecked(Some(Arc::new(upstream_error(u)?))),
            (Ok(_), _) => Outcome::NotChecked(None),
        };
        results.push(NumberResult {
            index: u32::arbitrary(u)?,
            // A bare number's text is its digits (`None`), as the pipeline gives it.
            input: (mobile.map(|m| m.digits()).as_deref() != Some(input.as_str())).then_some(input),
            mobile,
            outcome,
            duplicate: bool::arbitrary(u)?,
            from_cache: bool::arbitrary(u)?,
        });
    }
    Ok(results)
}

/// An upstream failure from fuzz bytes. Without a log id: an ErrorInfo's metadata is a map,
/// written in no fixed order, so with two entries two encodings of one error may differ.
fn upstream_error(u: &mut Unstructured<'_>) -> arbitrary::Result<UpstreamError> {
    Ok(match u.int_in_range(0..=2)? {
        0 => UpstreamError::Api {
            code: i64::arbitrary(u)?,
            msg: String::arbitrary(u)?,
            log_id: None,
        },
        1 => UpstreamError::Http {
            status: u16::arbitrary(u)?,
        },
        _ => UpstreamError::Connect(String::arbitrary(u)?),
    })
}

/// The number normalizer: any text is a number or a reason, never a panic; a number's digits
/// normalize to that same number.
pub fn mobile_number(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(mobile) = normalize_mobile(&text) {
        let digits = mobile.digits();
        assert_eq!(digits.len(), 11, "{text:?} gave {digits}");
        assert_eq!(normalize_mobile(&digits), Ok(mobile), "{text:?} → {digits}");
    }
    // The splitter the door and the CLI use on a free-text element.
    for part in crate::checking::number::split_element(&text) {
        let _ = normalize_mobile(part);
    }
}

/// The upstream answer decoder: any HTTP status and body give an answer or an error.
pub fn upstream_answer(data: &[u8]) {
    let (status, body) = match data {
        [a, b, body @ ..] => (u16::from_le_bytes([*a, *b]) % 600, body),
        _ => (200, data),
    };
    let _ = crate::checking::upstream::wire::parse_answer(status, body);
}

/// The list readers: any file (text in any encoding, CSV or TSV, gzip, a workbook's zip and
/// XML), named by the first byte, reads as rows or fails with a reason.
pub fn list_file(data: &[u8]) {
    const NAMES: [&str; 8] = [
        "list.txt",
        "list.csv",
        "list.tsv",
        "list.csv.gz",
        "book.xlsx",
        "book.xls",
        "book.ods",
        "list",
    ];
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(name);
    let Ok(mut file) = std::fs::File::create(&path) else {
        return;
    };
    if file.write_all(content).is_err() {
        return;
    }
    drop(file);
    let options = crate::lists::InputOptions::default();
    if let Ok(reader) =
        crate::lists::RowReader::open(&crate::lists::Source::File(path.clone()), &options)
    {
        for row in reader.take(100_000) {
            if row.is_err() {
                break;
            }
        }
    }
    let _ = crate::lists::read::sheet_names(&path);
}

/// The ALAPI door's request: any query and form body give inputs or the upstream's refusal;
/// inputs it accepts are all valid numbers.
pub fn door_form(data: &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (query, body) = data.split_at(split);
    let query: HashMap<String, String> = form_urlencoded::parse(query)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let fields = crate::serving::alapi_door::door_fields(query, body);
    if let Ok(inputs) = crate::serving::alapi_door::door_inputs(&fields) {
        for input in inputs.inputs() {
            assert!(
                normalize_mobile(&input).is_ok(),
                "the door let {input:?} through"
            );
        }
    }
}

/// ListJobs' page tokens: any text is a position or refused; a token the server writes reads
/// back as the position it names.
pub fn page_token(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::jobs::parse_page_token(&text);
    if let Some((ms, id)) = data.split_first_chunk::<8>() {
        let ms = i64::from_le_bytes(*ms);
        let id = String::from_utf8_lossy(id);
        let token = crate::jobs::next_page_token(ms, &id);
        assert_eq!(
            crate::jobs::parse_page_token(&token),
            Some((ms, id.into_owned())),
            "{token:?}"
        );
    }
}

/// The API keys file: any text gives keys or a refusal naming the line (whose words are a
/// constant beside the path and the line number, by type: it cannot quote a key); a key it
/// accepts is found by its own secret (a line's second field).
pub fn keys_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(keys) = crate::serving::auth::ApiKeys::parse(&text, Path::new("keys")) else {
        return;
    };
    let mut seen = std::collections::HashSet::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(4, ':');
        let (name, secret) = (
            parts.next().unwrap_or("").trim(),
            parts.next().unwrap_or("").trim(),
        );
        // A line without a rate limit: checking its key spends nothing.
        if parts.next().is_none() && seen.insert(secret) {
            // Two names may share a secret; the first line holding it answers.
            assert!(
                keys.check_token(secret).is_ok(),
                "the key of {name:?} is not found"
            );
        }
    }
}

/// The number segments file: any text gives a table or a refusal naming the line.
pub fn segments_file(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::checking::segments::Segments::parse(&text);
}

/// The webhook signature check: any header is accepted or refused without panicking; a
/// signature the server writes verifies for its body and fails for any other.
pub fn webhook_signature(data: &[u8]) {
    use crate::jobs::webhooks::{signature, verify_signature};
    let text = String::from_utf8_lossy(data);
    let (secret, rest) = text.split_once('\n').unwrap_or(("secret", &text));
    let (header, body) = rest.split_once('\n').unwrap_or((rest, ""));
    let now = 1_800_000_000;
    let _ = verify_signature(secret.as_bytes(), header, body.as_bytes(), now, 300);
    let signed = signature(secret.as_bytes(), now, body.as_bytes());
    assert_eq!(
        verify_signature(secret.as_bytes(), &signed, body.as_bytes(), now, 300),
        Ok(()),
        "{signed}"
    );
    let other = format!("{body}.");
    assert!(verify_signature(secret.as_bytes(), &signed, other.as_bytes(), now, 300).is_err());
}

/// A message's bytes as a `Buf` of several pieces, cut where `cuts`' bits say: a decoder must
/// read the same message whatever the pieces, as it does off the network.
struct Pieces<'a> {
    pieces: Vec<&'a [u8]>,
    at: usize,
}

impl<'a> Pieces<'a> {
    fn new(bytes: &'a [u8], cuts: u8) -> Self {
        let mut pieces = Vec::new();
        let mut rest = bytes;
        let mut step = 0;
        while !rest.is_empty() {
            // Piece lengths from 1 to 8, chosen by the seed's bits in turn.
            let len = (usize::from(cuts.rotate_left(step) & 7) + 1).min(rest.len());
            let (piece, tail) = rest.split_at(len);
            pieces.push(piece);
            rest = tail;
            step += 3;
        }
        Pieces { pieces, at: 0 }
    }
}

impl Buf for Pieces<'_> {
    fn remaining(&self) -> usize {
        self.pieces.iter().map(|p| p.len()).sum::<usize>() - self.at
    }

    fn chunk(&self) -> &[u8] {
        let mut at = self.at;
        for piece in &self.pieces {
            if at < piece.len() {
                return &piece[at..];
            }
            at -= piece.len();
        }
        &[]
    }

    fn advance(&mut self, cnt: usize) {
        assert!(cnt <= self.remaining(), "advanced past the end");
        self.at += cnt;
    }
}
