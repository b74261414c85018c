//! Phone-number parsing: splitting pasted lists, normalizing every common spelling of a mainland
//! China mobile number to its 11 digits, and de-duplicating a request.
//!
//! Everything here is a pure function: no I/O, no allocation beyond the results. A number that
//! fails here never reaches the upstream, so it is never billed.

use std::collections::HashMap;
use std::fmt;

use crate::checking::segments;

/// A map keyed by number, with a fast hasher (foldhash: randomly seeded, so callers cannot
/// choose colliding numbers); numbers are hashed several times each on their way through.
pub type MobileMap<V> = HashMap<Mobile, V, foldhash::fast::RandomState>;

/// A valid mainland China mobile number: 11 digits matching `^1[3-9]\d{9}$`.
///
/// Stored as an integer so that a million of them are cheap to hash, compare and keep.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mobile(u64);

impl Mobile {
    /// The 11 digits as a string, e.g. `"13111111111"`.
    pub fn digits(&self) -> String {
        self.ascii_digits().iter().map(|&b| char::from(b)).collect()
    }

    /// The 11 digits as ASCII bytes, worked out without formatting or allocating: results
    /// carry a number's digits a million times a second.
    pub fn ascii_digits(&self) -> [u8; 11] {
        let mut out = [b'0'; 11];
        let mut n = self.0;
        for d in out.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out
    }

    /// The number masked for logs, e.g. `131****1111`: enough to tell numbers apart, not
    /// enough to call one.
    pub fn masked(&self) -> String {
        let d = self.digits();
        format!("{}****{}", &d[..3], &d[7..])
    }

    /// The number as an integer, for compact storage (the job store keeps it so).
    pub fn as_u64(&self) -> u64 {
        self.0
    }

    /// A number [`Mobile::as_u64`] gave, kept where only valid numbers are kept (a parsed
    /// request's packed inputs).
    pub(crate) fn from_packed(n: u64) -> Mobile {
        Mobile(n)
    }

    /// The number stored by [`Mobile::as_u64`]; `None` unless it is a valid mobile number.
    /// Read back for every stored row, so it checks the range `normalize_mobile` accepts
    /// (11 digits, `1` then `3`–`9`) without formatting the number. It does not consult the
    /// segments table: a stored number was checked against it when it was stored.
    pub fn from_u64(n: u64) -> Option<Mobile> {
        (13_000_000_000..=19_999_999_999)
            .contains(&n)
            .then_some(Mobile(n))
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Always 11 digits: the first digit is 1, so no zero padding is ever needed.
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

impl std::str::FromStr for Mobile {
    type Err = InvalidReason;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        normalize_mobile(s)
    }
}

/// Why an input is not a valid mobile number. The text is shown to callers as
/// `PhoneResult.invalid_reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidReason {
    /// Nothing but separators.
    #[error("empty input")]
    Empty,
    /// A character that is neither a digit nor an accepted separator.
    #[error("unexpected character {0:?}")]
    UnexpectedCharacter(char),
    /// A `+` anywhere but at the start.
    #[error("'+' may only start the number")]
    MisplacedPlus,
    /// A country code other than China's +86.
    #[error("not a mainland China number (country code is not 86)")]
    ForeignCountryCode,
    /// Not 11 digits once prefixes are removed.
    #[error("expected 11 digits, found {0}")]
    WrongLength(usize),
    /// 11 digits, but not a mobile number (mobile numbers start with 13 to 19).
    #[error("not a mobile number: must start with 13 to 19")]
    NotMobile,
    /// 11 digits in a block no mobile carrier was given (`checking::segments`): no such line can
    /// exist, so it is not worth an upstream call.
    #[error("segment {0} is not allocated to any mobile carrier")]
    UnallocatedSegment(String),
    /// A number a spreadsheet wrote in scientific notation (`1.39E+10`): its digits are lost,
    /// and no reading can bring them back.
    #[error(
        "{0} is a number a spreadsheet turned into scientific notation, losing its digits; \
         format the column as text before exporting, or give the workbook itself"
    )]
    ScientificNotation(String),
    /// Several numbers in one input (a contacts export's `+86 139… ::: +86 131…`): each is
    /// checked only as an input of its own.
    #[error("holds {0} phone numbers; give each its own row (or its own element)")]
    SeveralNumbers(usize),
}

/// How many valid numbers `input` holds when it holds more than one, read as pieces between
/// the characters no number spells (`:`, `/`, `|`, letters…).
fn several_numbers(input: &str) -> Option<usize> {
    let spells_a_number = |c: char| {
        let c = to_ascii_digit(c);
        c.is_ascii_digit() || c == '+' || is_ignorable(c)
    };
    let found = input
        .split(|c: char| !spells_a_number(c))
        .flat_map(split_element)
        .filter(|piece| bare_mobile(piece.trim()).is_some() || normalize_mobile(piece).is_ok())
        .count();
    (found > 1).then_some(found)
}

/// Whether `input` is a number in scientific notation (`1.39E+10`, `1.3800138E10`): what a
/// spreadsheet writes for a long number in a cell not formatted as text.
pub fn is_scientific_notation(input: &str) -> bool {
    let text = input.trim();
    let Some((mantissa, exponent)) = text.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(mantissa),
    };
    mantissa_ok && digits(exponent)
}

/// Characters that may appear inside a number without meaning anything: spaces of every width,
/// invisible characters pasted from documents, dashes, dots and parentheses.
fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\u{00A0}' // no-break space
            | '\u{2000}'..='\u{200D}' // en quad … zero-width joiner (spaces and zero-widths)
            | '\u{2060}' // word joiner
            | '\u{202F}' // narrow no-break space
            | '\u{3000}' // ideographic space
            | '\u{FEFF}' // byte order mark / zero-width no-break space
            | '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FF0D}' // hyphens, dashes, minus
            | '.' | '\u{FF0E}' | '\u{00B7}' // dots
            | '(' | ')' | '\u{FF08}' | '\u{FF09}' // parentheses, ASCII and full-width
    )
}

/// Maps full-width digits and plus to ASCII; other characters pass through.
fn to_ascii_digit(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
        '\u{FF0B}' => '+',
        _ => c,
    }
}

/// Normalizes one input to a [`Mobile`], or says why it is not one.
///
/// Accepts `+86`, `0086` and `86` prefixes (a bare `86` only when 13 digits remain, so a real
/// number starting with 86 is never cut), and ignores spaces, dashes, dots, parentheses,
/// full-width digits and invisible characters.
pub fn normalize_mobile(input: &str) -> Result<Mobile, InvalidReason> {
    if let Some(mobile) = bare_mobile(input) {
        return Ok(mobile);
    }
    let mut digits = String::with_capacity(16);
    let mut plus = false;
    for c in input.chars().map(to_ascii_digit) {
        if is_ignorable(c) {
            continue;
        }
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            '+' => return Err(InvalidReason::MisplacedPlus),
            'E' | 'e' if is_scientific_notation(input) => {
                return Err(InvalidReason::ScientificNotation(input.trim().to_owned()));
            }
            other => {
                return Err(match several_numbers(input) {
                    Some(n) => InvalidReason::SeveralNumbers(n),
                    None => InvalidReason::UnexpectedCharacter(other),
                });
            }
        }
    }
    if digits.is_empty() {
        return Err(if plus {
            InvalidReason::WrongLength(0)
        } else {
            InvalidReason::Empty
        });
    }

    let national = if plus {
        digits
            .strip_prefix("86")
            .ok_or(InvalidReason::ForeignCountryCode)?
    } else if let Some(rest) = digits.strip_prefix("0086") {
        rest
    } else if digits.len() == 13 && digits.starts_with("86") {
        &digits[2..]
    } else if digits.starts_with("00") {
        return Err(InvalidReason::ForeignCountryCode);
    } else {
        &digits
    };

    if national.len() != 11 {
        return Err(InvalidReason::WrongLength(national.len()));
    }
    let bytes = national.as_bytes();
    if bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
        return Err(InvalidReason::NotMobile);
    }
    // 11 ASCII digits always fit in a u64.
    let n = national
        .parse::<u64>()
        .map_err(|_| InvalidReason::WrongLength(national.len()))?;
    match segments::current().unallocated_block(n) {
        None => Ok(Mobile(n)),
        Some(block) => Err(InvalidReason::UnallocatedSegment(block)),
    }
}

/// The number when `input` is exactly its 11 ASCII digits, as most inputs are: read without
/// allocating. `None` for anything else, which [`normalize_mobile`] reads (or refuses) in full.
pub fn bare_mobile(input: &str) -> Option<Mobile> {
    let bytes = input.as_bytes();
    if bytes.len() != 11 || bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
        return None;
    }
    let mut n = 0u64;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    segments::current().allocated(n).then_some(Mobile(n))
}

/// Splits one request element into the inputs it holds.
///
/// Commas, semicolons, enumeration commas and line breaks always separate. Whitespace separates
/// only when the piece as a whole is not one valid number, so `"+86 131 1111 1111"` stays one
/// number while `"13111111111 13222222222"` is two; a lone country prefix (`"+86"`) is kept with
/// the token that follows it. A blank element yields one empty input, so that callers who send
/// one number per element get one result per element.
pub fn split_element(element: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for piece in element.split(is_list_separator) {
        let piece = piece.trim_matches(is_blank);
        if piece.is_empty() {
            continue;
        }
        // Whether whitespace splits a piece is a question of its shape, not of the segments
        // table: `+86 154 0000 0000` is one (unallocated) number, not four inputs.
        let one_number = matches!(
            normalize_mobile(piece),
            Ok(_) | Err(InvalidReason::UnallocatedSegment(_))
        );
        if !piece.contains(is_blank) || one_number {
            out.push(piece);
            continue;
        }
        split_on_whitespace(piece, &mut out);
    }
    if out.is_empty() {
        out.push(element.trim_matches(|c| is_blank(c) || is_list_separator(c)));
    }
    out
}

fn is_list_separator(c: char) -> bool {
    matches!(c, ',' | ';' | '\n' | '\r' | '，' | '；' | '、' | '|')
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Pushes the whitespace-separated tokens of `piece`, keeping a lone country prefix with the
/// token after it (as a sub-slice of `piece`, so `input` still shows what was given).
fn split_on_whitespace<'a>(piece: &'a str, out: &mut Vec<&'a str>) {
    let mut start: Option<usize> = None;
    let mut rest = piece;
    let mut offset = 0;
    while !rest.is_empty() {
        let token_start = rest.find(|c| !is_blank(c)).unwrap_or(rest.len());
        let after_blank = &rest[token_start..];
        let token_len = after_blank.find(is_blank).unwrap_or(after_blank.len());
        if token_len == 0 {
            break;
        }
        let abs_start = offset + token_start;
        let abs_end = abs_start + token_len;
        let token = &piece[abs_start..abs_end];
        let begin = start.take().unwrap_or(abs_start);
        if is_country_prefix(token) && abs_end < piece.len() {
            start = Some(begin);
        } else {
            out.push(&piece[begin..abs_end]);
        }
        offset = abs_end;
        rest = &piece[abs_end..];
    }
    if let Some(begin) = start {
        out.push(&piece[begin..]);
    }
}

fn is_country_prefix(token: &str) -> bool {
    let t: String = token
        .chars()
        .map(to_ascii_digit)
        .filter(|c| !is_ignorable(*c))
        .collect();
    matches!(t.as_str(), "+86" | "0086" | "86")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Result<String, InvalidReason> {
        normalize_mobile(s).map(|m| m.digits())
    }

    #[test]
    fn accepts_real_world_spellings() {
        let ok = "13111111111";
        for input in [
            "13111111111",
            "+8613111111111",
            "+86 131 1111 1111",
            "+86-131-1111-1111",
            "0086 13111111111",
            "008613111111111",
            "8613111111111",
            "86 131 1111 1111",
            "(131) 1111-1111",
            "131.1111.1111",
            "131—1111—1111",
            "１３１１１１１１１１１",
            "＋８６ １３１１１１１１１１１",
            "\u{FEFF}13111111111",
            "131\u{200B}1111\u{200B}1111",
            "\u{00A0}13111111111\u{00A0}",
            "131\u{3000}1111\u{3000}1111",
            "（131）11111111",
            "\t13111111111\t",
        ] {
            assert_eq!(norm(input).as_deref(), Ok(ok), "input {input:?}");
        }
    }

    #[test]
    fn keeps_a_number_that_starts_with_86_when_it_is_not_a_prefix() {
        // 11 digits starting with 86 are not a mobile number, but the 86 must not be cut.
        assert_eq!(norm("86131111111"), Err(InvalidReason::NotMobile));
        // 13 digits starting with 86: the 86 is the country code.
        assert_eq!(norm("8619912345678").as_deref(), Ok("19912345678"));
    }

    #[test]
    fn rejects_with_a_reason() {
        let cases: &[(&str, InvalidReason)] = &[
            ("", InvalidReason::Empty),
            ("  - ", InvalidReason::Empty),
            ("12345", InvalidReason::WrongLength(5)),
            ("131111111112", InvalidReason::WrongLength(12)),
            ("12111111111", InvalidReason::NotMobile),
            ("23111111111", InvalidReason::NotMobile),
            ("01011111111", InvalidReason::NotMobile),
            ("1311111111a", InvalidReason::UnexpectedCharacter('a')),
            ("131/1111/1111", InvalidReason::UnexpectedCharacter('/')),
            ("+1 415 555 0100", InvalidReason::ForeignCountryCode),
            ("001 4155550100", InvalidReason::ForeignCountryCode),
            ("131+11111111", InvalidReason::MisplacedPlus),
            ("+", InvalidReason::WrongLength(0)),
            ("+86", InvalidReason::WrongLength(0)),
            ("+86 1311111111", InvalidReason::WrongLength(10)),
            ("tel:13111111111", InvalidReason::UnexpectedCharacter('t')),
            (
                "1.39E+10",
                InvalidReason::ScientificNotation("1.39E+10".to_owned()),
            ),
            (
                " 1.3800138e10 ",
                InvalidReason::ScientificNotation("1.3800138e10".to_owned()),
            ),
            ("1.39E+1x", InvalidReason::UnexpectedCharacter('E')),
            (
                "+86 139 0013 9000 ::: +86 131 1111 1111",
                InvalidReason::SeveralNumbers(2),
            ),
            (
                "13800138000/13900139000|x",
                InvalidReason::SeveralNumbers(2),
            ),
            (
                "13800138000 ::: 12345",
                InvalidReason::UnexpectedCharacter(':'),
            ),
            ("13E", InvalidReason::UnexpectedCharacter('E')),
        ];
        for (input, reason) in cases {
            assert_eq!(norm(input).as_ref(), Err(reason), "input {input:?}");
        }
    }

    #[test]
    fn scientific_notation_is_told_apart_from_other_letters() {
        for yes in ["1.39E+10", "1.39e10", "13900000000E0", "1E+10"] {
            assert!(is_scientific_notation(yes), "{yes}");
        }
        for no in [
            "E+10",
            "1.E10",
            ".5E3",
            "1.39E",
            "1.39E-10",
            "139E+1O",
            "13900000000",
        ] {
            assert!(!is_scientific_notation(no), "{no}");
        }
        let said = InvalidReason::ScientificNotation("1.39E+10".to_owned()).to_string();
        assert!(
            said.contains("losing its digits") && said.contains("as text"),
            "{said}"
        );
    }

    #[test]
    fn every_mobile_prefix_from_13_to_19_has_allocated_segments() {
        for n in [
            "13000000000",
            "14500000000",
            "15000000000",
            "16200000000",
            "19900000000",
            "18000000000",
            "19000000000",
        ] {
            assert_eq!(norm(n).as_deref(), Ok(n));
        }
    }

    #[test]
    fn a_number_in_an_unallocated_segment_is_invalid_and_named() {
        let reason = norm("15400000000").unwrap_err();
        assert_eq!(reason, InvalidReason::UnallocatedSegment("154".to_owned()));
        assert_eq!(
            reason.to_string(),
            "segment 154 is not allocated to any mobile carrier"
        );
        assert_eq!(
            norm("+86 174 0612 3456"),
            Err(InvalidReason::UnallocatedSegment("17406".to_owned()))
        );
    }

    #[test]
    fn masks_for_logs() {
        let m = normalize_mobile("13112345678").unwrap();
        assert_eq!(m.masked(), "131****5678");
        assert_eq!(format!("{m:?}"), "Mobile(131****5678)");
        assert_eq!(m.to_string(), "13112345678");
    }

    #[test]
    fn splits_pasted_lists() {
        assert_eq!(split_element("13111111111"), ["13111111111"]);
        assert_eq!(
            split_element("13111111111,13222222222\n13333333333;13444444444"),
            ["13111111111", "13222222222", "13333333333", "13444444444"]
        );
        assert_eq!(
            split_element("13111111111，13222222222、13333333333"),
            ["13111111111", "13222222222", "13333333333"]
        );
        assert_eq!(
            split_element("13111111111 13222222222\t13333333333"),
            ["13111111111", "13222222222", "13333333333"]
        );
        assert_eq!(split_element("+86 131-1111-1111"), ["+86 131-1111-1111"]);
        assert_eq!(split_element("131 1111 1111"), ["131 1111 1111"]);
        assert_eq!(
            split_element("+86 13111111111 +86 13222222222"),
            ["+86 13111111111", "+86 13222222222"]
        );
        assert_eq!(split_element("13111111111,,\r\n"), ["13111111111"]);
        assert_eq!(split_element("12345 abc"), ["12345", "abc"]);
        assert_eq!(split_element("  "), [""]);
        assert_eq!(split_element(""), [""]);
        assert_eq!(split_element(",\n,"), [""]);
        assert_eq!(split_element("13111111111 +86"), ["13111111111", "+86"]);
    }
}

#[cfg(test)]
pub(crate) mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Numbers in segments the built-in table lists (three of 13x, 15x, 18x and 19x).
    pub(crate) const ALLOCATED: &str = "1(3[0-9]|5[0-35-9]|8[0-9]|9[0-35-9])[0-9]{8}";

    /// Strings made of the characters pasted lists are made of, and anything else.
    pub(crate) fn pasted() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9+ ,;\\n\\t()\\-.、，０-９\u{200B}\u{FEFF}\u{00A0}]{0,40}",
            "\\PC{0,30}",
            "(\\+86 ?)?1[3-9][0-9]{9}",
        ]
    }

    proptest! {
        #[test]
        fn a_valid_number_survives_any_accepted_decoration(
            digits in ALLOCATED,
            prefix in prop::sample::select(vec!["", "+86", "+86 ", "0086", "86", "(+86) "]),
            sep in prop::sample::select(vec!["", " ", "-", ".", "\u{200B}", "\u{00A0}"]),
        ) {
            let (a, rest) = digits.split_at(3);
            let (b, c) = rest.split_at(4);
            let decorated = format!("{prefix}{a}{sep}{b}{sep}{c}");
            prop_assert_eq!(normalize_mobile(&decorated).map(|m| m.digits()), Ok(digits));
        }

        #[test]
        fn an_integer_is_a_mobile_exactly_when_its_digits_are(
            n in prop_oneof![0u64..100_000_000_000, 12_999_999_990u64..13_000_000_010, 19_999_999_990u64..20_000_000_010]
        ) {
            // from_u64 reads back stored numbers, which were checked against the segments
            // table when they were stored; parsing checks it too.
            if let Some(m) = Mobile::from_u64(n) {
                prop_assert_eq!(m.digits(), n.to_string());
            }
            let allocated = Mobile::from_u64(n).filter(|m| segments::current().allocated(m.0));
            prop_assert_eq!(allocated, normalize_mobile(&n.to_string()).ok());
        }

        #[test]
        fn normalizing_is_idempotent(input in pasted()) {
            if let Ok(m) = normalize_mobile(&input) {
                prop_assert_eq!(normalize_mobile(&m.digits()), Ok(m));
                prop_assert_eq!(normalize_mobile(&m.to_string()), Ok(m));
            }
        }
    }
}
