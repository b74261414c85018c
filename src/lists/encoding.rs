//! Which text encoding a list is in, and reading it as UTF-8. Spreadsheet programs in China
//! save CSV as GBK, and Excel's "Unicode text" is UTF-16 with a byte-order mark; both are
//! decoded here so that names and notes survive. A UTF-8 file without a mark is passed
//! through untouched (the fast path).

use std::io::{self, BufRead, BufReader};

use encoding_rs::{Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

/// An encoding named on the command line (`--encoding gbk`): any WHATWG label (utf-8, gbk,
/// gb18030, utf-16le, utf-16be, big5, …); `utf-16` means little-endian, as Windows writes it.
pub fn parse_label(label: &str) -> Result<&'static Encoding, String> {
    let label = label.trim().to_ascii_lowercase();
    if label == "utf-16" || label == "utf16" {
        return Ok(UTF_16LE);
    }
    Encoding::for_label(label.as_bytes()).ok_or_else(|| {
        format!("unknown encoding {label:?} (try utf-8, gbk, gb18030, utf-16le, utf-16be)")
    })
}

/// The encoding of a file that starts with `head`: its byte-order mark when it has one; else
/// UTF-16 when every other byte is zero; else UTF-8 when the head is valid UTF-8 (a character
/// cut at the end of the head allowed); else GB18030, the superset of GBK.
pub fn detect(head: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return encoding;
    }
    let sample = &head[..head.len().min(4096)];
    let zeros = |start: usize| {
        sample
            .iter()
            .skip(start)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let half = sample.len() / 2;
    if half >= 8 {
        if zeros(1) * 10 > half * 3 && zeros(0) * 10 < half {
            return UTF_16LE;
        }
        if zeros(0) * 10 > half * 3 && zeros(1) * 10 < half {
            return UTF_16BE;
        }
    }
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => GB18030,
    }
}

/// `reader` as UTF-8 text: `forced` or the detected encoding, its byte-order mark removed.
/// Returns the encoding used.
pub fn decoded(
    mut reader: Box<dyn BufRead + Send>,
    forced: Option<&'static Encoding>,
) -> io::Result<(Box<dyn BufRead + Send>, &'static Encoding)> {
    let head = reader.fill_buf()?;
    let bom = Encoding::for_bom(head);
    let encoding = forced.unwrap_or_else(|| detect(head));
    if encoding == UTF_8 {
        if let Some((found, len)) = bom
            && found == UTF_8
        {
            reader.consume(len);
        }
        return Ok((reader, UTF_8));
    }
    let decoder = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(forced.is_none())
        .strip_bom(true)
        .build(reader);
    Ok((
        Box::new(BufReader::with_capacity(256 * 1024, decoder)),
        encoding,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn text(bytes: &[u8], forced: Option<&'static Encoding>) -> (String, &'static str) {
        let (mut reader, encoding) =
            decoded(Box::new(io::Cursor::new(bytes.to_vec())), forced).unwrap();
        let mut s = String::new();
        reader.read_to_string(&mut s).unwrap();
        (s, encoding.name())
    }

    #[test]
    fn gbk_utf16_and_marked_utf8_read_as_the_same_text() {
        let want = "客户,手机号\n张三,13111111111\n";
        let (gbk, _, _) = GB18030.encode(want);
        assert_eq!(text(&gbk, None), (want.to_owned(), "gb18030"));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(want.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(text(&utf16, None), (want.to_owned(), "UTF-16LE"));
        let unmarked: Vec<u8> = want.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(text(&unmarked, None), (want.to_owned(), "UTF-16BE"));
        let marked = [b"\xEF\xBB\xBF".as_slice(), want.as_bytes()].concat();
        assert_eq!(text(&marked, None), (want.to_owned(), "UTF-8"));
        assert_eq!(text(&gbk, Some(parse_label("gbk").unwrap())).0, want);
        assert!(parse_label("klingon").is_err());
    }
}
