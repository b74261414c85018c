//! A request's inputs, parsed as they are decoded and kept in 8 bytes each.
//!
//! A `CheckStream` of a million numbers would otherwise hold a million `String`s before any work
//! starts. Here an element is parsed the moment it is read ([`RequestParser::push_element`],
//! which the gRPC codec calls straight from the message's bytes), and an input is one `u64`:
//!
//! - an input spelled as its bare 11 digits (nearly all of them) is the number itself; its text
//!   is given back by formatting the number;
//! - any other input (`+86 131 1111 1111`, `12345`, a blank) keeps its text and what it parsed
//!   to in a side list, and its word holds the index there.
//!
//! Repeats are linked after the last element ([`RequestParser::finish`]), by sorting one word
//! per valid input rather than by a hash map of every number, and the links take room only
//! when some number repeats.

use std::borrow::Cow;

use crate::checking::number::{
    InvalidReason, Mobile, bare_mobile, normalize_mobile, split_element,
};

/// One input in 8 bytes: the number of a bare input, or [`SPELLED`] and an index into
/// [`ParsedRequest`]'s spelled inputs; [`DUPLICATE`] marks a repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PackedInput(u64);

/// The input is not its bare 11 digits: the low 32 bits index the spelled inputs.
const SPELLED: u64 = 1 << 63;
/// An earlier input of the same request holds the same number.
const DUPLICATE: u64 = 1 << 62;
/// The bits holding a number or an index.
const VALUE: u64 = DUPLICATE - 1;

impl PackedInput {
    fn spelled_index(self) -> Option<usize> {
        (self.0 & SPELLED != 0).then_some((self.0 & VALUE) as usize)
    }

    fn is_duplicate(self) -> bool {
        self.0 & DUPLICATE != 0
    }
}

/// An input not given as its bare 11 digits: where its text is, and what it parsed to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SpelledInput {
    start: u32,
    end: u32,
    parsed: Result<Mobile, InvalidReason>,
}

/// A request's inputs in order, with the distinct valid numbers among them in first-seen order
/// (the only numbers that may go upstream) and where each number repeats.
#[derive(Debug, Default)]
pub struct ParsedRequest {
    inputs: Vec<PackedInput>,
    spelled: Vec<SpelledInput>,
    /// The texts of the spelled inputs, one after another.
    texts: String,
    /// For each input, the next input holding the same number ([`NO_INPUT`] at the end):
    /// every number's occurrences as a linked list. Empty when no number repeats.
    next_same: Vec<u32>,
    invalid: usize,
    duplicates: usize,
}

/// The end of an occurrence list.
pub const NO_INPUT: u32 = u32::MAX;

impl ParsedRequest {
    /// How many inputs the request holds.
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    /// True when the request holds no input at all.
    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// The number of input `index`, or why it is not one.
    pub fn parsed(&self, index: usize) -> Result<Mobile, &InvalidReason> {
        let packed = self.inputs[index];
        match packed.spelled_index() {
            None => Ok(Mobile::from_packed(packed.0 & VALUE)),
            Some(s) => self.spelled[s].parsed.as_ref().copied(),
        }
    }

    /// True when an earlier input holds the same number.
    pub fn is_duplicate(&self, index: usize) -> bool {
        self.inputs[index].is_duplicate()
    }

    /// The text of input `index` as given, with surrounding separators trimmed.
    pub fn input(&self, index: usize) -> Cow<'_, str> {
        match self.given_text(index) {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(Mobile::from_packed(self.inputs[index].0 & VALUE).digits()),
        }
    }

    /// The text of input `index` when it was anything but its number's bare 11 digits;
    /// `None` for a bare number, whose text is its number's digits.
    pub fn given_text(&self, index: usize) -> Option<&str> {
        let spelled = &self.spelled[self.inputs[index].spelled_index()?];
        Some(
            self.texts
                .get(spelled.start as usize..spelled.end as usize)
                .unwrap_or(""),
        )
    }

    /// The distinct valid numbers, in the order they first appear, each with the index of the
    /// input where it first appears.
    pub fn unique(&self) -> Vec<(Mobile, u32)> {
        let mut all = Vec::with_capacity(self.unique_count());
        self.unique_chunk(0, usize::MAX, &mut all);
        all
    }

    /// The number of input `index` with that index as its tag, if the input is valid.
    pub fn number_at(&self, index: u32) -> Option<(Mobile, u32)> {
        self.parsed(index as usize).ok().map(|m| (m, index))
    }

    /// Appends to `out` the next distinct numbers, at most `most`, looking from input `from` on
    /// (as [`ParsedRequest::unique`] gives them); returns the input to look from next time.
    pub fn unique_chunk(&self, from: usize, most: usize, out: &mut Vec<(Mobile, u32)>) -> usize {
        let mut i = from;
        let mut taken = 0;
        while i < self.inputs.len() && taken < most {
            if let Some(number) = self.number_at(i as u32)
                && !self.is_duplicate(i)
            {
                out.push(number);
                taken += 1;
            }
            i += 1;
        }
        i
    }

    /// How many distinct valid numbers the request holds.
    pub fn unique_count(&self) -> usize {
        self.inputs.len() - self.invalid - self.duplicates
    }

    /// The next input after `index` holding the same number, if any.
    pub fn next_occurrence(&self, index: u32) -> Option<u32> {
        self.next_same
            .get(index as usize)
            .copied()
            .filter(|&next| next != NO_INPUT)
    }

    /// The indexes of every input holding the same number as input `first`, from `first` on.
    #[cfg(test)]
    pub fn occurrences(&self, first: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(first), |&i| self.next_occurrence(i))
    }

    /// Inputs that are not valid numbers.
    pub fn invalid_count(&self) -> usize {
        self.invalid
    }

    /// Valid inputs that repeat an earlier number.
    pub fn duplicate_count(&self) -> usize {
        self.duplicates
    }
}

/// The request holds more inputs than allowed; nothing was kept past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("more than {limit} numbers in one request")]
pub struct TooManyInputs {
    /// The most inputs a request may hold.
    pub limit: usize,
}

/// Builds a [`ParsedRequest`] one element at a time, as the request is read.
#[derive(Debug)]
pub struct RequestParser {
    request: ParsedRequest,
    limit: usize,
    /// An input past `limit` was seen (and not kept).
    over: bool,
}

impl Default for RequestParser {
    /// A parser without a limit of its own: the message-size limit bounds what it reads.
    fn default() -> Self {
        RequestParser::new(usize::MAX)
    }
}

impl RequestParser {
    /// A parser keeping at most `limit` inputs.
    pub fn new(limit: usize) -> Self {
        RequestParser {
            request: ParsedRequest::default(),
            limit,
            over: false,
        }
    }

    /// Makes room for `inputs` more inputs at once, so that a long request's list is not
    /// copied as it grows (which would briefly hold it twice).
    pub fn reserve(&mut self, inputs: usize) {
        let room = inputs.min(self.limit.saturating_sub(self.request.inputs.len()));
        self.request.inputs.reserve(room);
    }

    /// The texts of the inputs read so far, in order.
    pub fn inputs(&self) -> impl Iterator<Item = Cow<'_, str>> {
        (0..self.request.len()).map(|i| self.request.input(i))
    }

    /// Inputs read so far.
    pub fn len(&self) -> usize {
        self.request.inputs.len()
    }

    /// True before the first input.
    pub fn is_empty(&self) -> bool {
        self.request.inputs.is_empty()
    }

    /// Reads one request element: one input, or several (commas, semicolons and line breaks
    /// separate; whitespace only between what are not one number).
    pub fn push_element(&mut self, element: &str) {
        if let Some(mobile) = bare_mobile(element) {
            self.push(PackedInput(mobile.as_u64()));
            return;
        }
        for piece in split_element(element) {
            match normalize_mobile(piece) {
                Ok(mobile) if bare_mobile(piece) == Some(mobile) => {
                    self.push(PackedInput(mobile.as_u64()));
                }
                parsed => self.push_spelled(piece, parsed),
            }
        }
    }

    /// Whether one more input may be kept; past the limit, notes that one was not.
    fn has_room(&mut self) -> bool {
        self.over |= self.request.inputs.len() >= self.limit;
        !self.over
    }

    fn push(&mut self, input: PackedInput) {
        if self.has_room() {
            self.request.inputs.push(input);
        }
    }

    fn push_spelled(&mut self, text: &str, parsed: Result<Mobile, InvalidReason>) {
        if !self.has_room() {
            return;
        }
        let r = &mut self.request;
        if parsed.is_err() {
            r.invalid += 1;
        }
        // Texts are parts of one message, far below 4 GiB (the message-size limit).
        let start = r.texts.len() as u32;
        r.texts.push_str(text);
        let index = r.spelled.len() as u64;
        r.spelled.push(SpelledInput {
            start,
            end: r.texts.len() as u32,
            parsed,
        });
        r.inputs.push(PackedInput(SPELLED | index));
    }

    /// Whether the request holds more than `limit` inputs (or more than the parser's own
    /// limit, past which it kept none).
    pub fn exceeds(&self, limit: usize) -> bool {
        self.over || self.request.inputs.len() > limit
    }

    /// The parsed request, with repeats found and linked. Linking sorts the valid inputs, so a
    /// caller does this off the path that decodes requests.
    pub fn finish(self) -> ParsedRequest {
        let mut request = self.request;
        request.inputs.shrink_to_fit();
        link_repeats(&mut request);
        request
    }
}

/// Marks every repeat of an earlier number and links each number's occurrences.
///
/// One word per valid input, the number above the input's index, sorted: equal numbers end up
/// side by side in input order. 8 bytes an input for the sort, against about 20 for a hash map
/// of every number.
fn link_repeats(request: &mut ParsedRequest) {
    // Numbers take 35 bits, so up to 2^29 inputs a number and its index share one word.
    const INDEX_BITS: u32 = 29;
    let n = request.inputs.len();
    if n < 2 {
        return;
    }
    let valid = |i: usize| request.parsed(i).ok().map(|m| (m.as_u64(), i as u32));
    let links = if n < 1 << INDEX_BITS {
        let mut words: Vec<u64> = (0..n)
            .filter_map(valid)
            .map(|(m, i)| (m << INDEX_BITS) | u64::from(i))
            .collect();
        words.sort_unstable();
        adjacent_repeats(
            words
                .iter()
                .map(|&w| (w >> INDEX_BITS, (w & ((1 << INDEX_BITS) - 1)) as u32)),
        )
    } else {
        let mut pairs: Vec<(u64, u32)> = (0..n).filter_map(valid).collect();
        pairs.sort_unstable();
        adjacent_repeats(pairs.into_iter())
    };
    if links.is_empty() {
        return;
    }
    request.next_same = vec![NO_INPUT; n];
    request.duplicates = links.len();
    for (from, to) in links {
        request.next_same[from as usize] = to;
        request.inputs[to as usize].0 |= DUPLICATE;
    }
}

/// For (number, index) pairs sorted by number then index: each (index, next index) of the
/// same number.
fn adjacent_repeats(sorted: impl Iterator<Item = (u64, u32)>) -> Vec<(u32, u32)> {
    let mut links = Vec::new();
    let mut previous: Option<(u64, u32)> = None;
    for (mobile, index) in sorted {
        if let Some((last, last_index)) = previous
            && last == mobile
        {
            links.push((last_index, index));
        }
        previous = Some((mobile, index));
    }
    links
}

/// Splits, normalizes and de-duplicates a request's elements, stopping as soon as the inputs
/// exceed `limit`.
pub fn parse_request<S: AsRef<str>>(
    elements: &[S],
    limit: usize,
) -> Result<ParsedRequest, TooManyInputs> {
    let mut parser = RequestParser::new(limit);
    parser.reserve(elements.len());
    for element in elements {
        parser.push_element(element.as_ref());
        if parser.over {
            return Err(TooManyInputs { limit });
        }
    }
    Ok(parser.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_with_duplicates_and_invalid_inputs() {
        let req = parse_request(
            &[
                "13111111111",
                "+86 131 1111 1111",
                "12345,13222222222",
                "",
                "13222222222",
            ],
            100,
        )
        .unwrap();
        let inputs: Vec<_> = (0..req.len()).map(|i| req.input(i)).collect();
        assert_eq!(
            inputs,
            [
                "13111111111",
                "+86 131 1111 1111",
                "12345",
                "13222222222",
                "",
                "13222222222"
            ]
        );
        let dup: Vec<_> = (0..req.len()).map(|i| req.is_duplicate(i)).collect();
        assert_eq!(dup, [false, true, false, false, false, true]);
        let unique: Vec<_> = req
            .unique()
            .into_iter()
            .map(|(m, i)| (m.digits(), i))
            .collect();
        assert_eq!(
            unique,
            [("13111111111".to_owned(), 0), ("13222222222".to_owned(), 3)]
        );
        assert_eq!(req.occurrences(0).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(req.occurrences(3).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(req.occurrences(2).collect::<Vec<_>>(), [2]);
        assert_eq!(req.invalid_count(), 2);
        assert_eq!(req.duplicate_count(), 2);
        assert_eq!(req.unique_count(), 2);
        assert_eq!(req.parsed(2), Err(&InvalidReason::WrongLength(5)));
    }

    #[test]
    fn a_request_without_repeats_keeps_no_links() {
        let req = parse_request(&["13111111111", "13222222222", "x"], 100).unwrap();
        assert!(req.next_same.is_empty());
        assert_eq!(req.next_occurrence(0), None);
        assert_eq!(req.unique_count(), 2);
    }

    #[test]
    fn a_bare_input_takes_no_room_beyond_its_word() {
        let req = parse_request(&["13111111111", " 13222222222 ", "1,2"], 100).unwrap();
        // The trimmed bare number is bare; "1" and "2" are kept as text.
        assert_eq!(req.spelled.len(), 2);
        assert_eq!(req.texts, "12");
        assert_eq!(req.input(1), "13222222222");
    }

    #[test]
    fn stops_at_the_limit() {
        assert_eq!(
            parse_request(&["13111111111,13222222222,13333333333"], 2).unwrap_err(),
            TooManyInputs { limit: 2 }
        );
        assert_eq!(parse_request(&["1,2"], 2).unwrap().len(), 2);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::checking::number::properties::{ALLOCATED, pasted};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsing_never_panics_and_inputs_are_what_was_given(
            elements in prop::collection::vec(pasted(), 0..8)
        ) {
            let parsed = parse_request(&elements, 1000).unwrap();
            prop_assert!(parsed.len() >= elements.len());
            let mut repeats = 0;
            for i in 0..parsed.len() {
                let text = parsed.input(i);
                prop_assert!(elements.iter().any(|e| e.contains(&*text)));
                if let Ok(m) = parsed.parsed(i) {
                    let d = m.digits();
                    prop_assert_eq!(d.len(), 11);
                    prop_assert!(d.starts_with('1') && (b'3'..=b'9').contains(&d.as_bytes()[1]));
                    prop_assert_eq!(normalize_mobile(&d), Ok(m));
                    prop_assert_eq!(normalize_mobile(&text), Ok(m));
                    repeats += usize::from(parsed.is_duplicate(i));
                } else {
                    prop_assert!(normalize_mobile(&text).is_err());
                }
            }
            prop_assert_eq!(repeats, parsed.duplicate_count());
            let unique: Vec<(Mobile, u32)> = parsed.unique();
            let distinct: std::collections::HashSet<_> = unique.iter().map(|(m, _)| *m).collect();
            prop_assert_eq!(distinct.len(), unique.len());
            prop_assert_eq!(unique.len(), parsed.unique_count());
            // Every input is reachable from its number's first occurrence, exactly once.
            let mut reached = vec![0u32; parsed.len()];
            for &(m, first) in &unique {
                for i in parsed.occurrences(first) {
                    prop_assert_eq!(parsed.parsed(i as usize), Ok(m));
                    reached[i as usize] += 1;
                }
            }
            for (i, &r) in reached.iter().enumerate() {
                prop_assert_eq!(r, u32::from(parsed.parsed(i).is_ok()));
            }
        }

        #[test]
        fn a_pasted_list_of_valid_numbers_reads_back_in_order(
            list in prop::collection::vec(
                (ALLOCATED,
                 prop::sample::select(vec!["", "+86", "+86 ", "0086", "(+86) "]),
                 prop::sample::select(vec!["", " ", "-"])),
                1..12,
            ),
            separators in prop::collection::vec(
                prop::sample::select(vec![",", ";", "\n", "\r\n", "，", "；", "、", "|", " , ", "\t\n"]),
                12,
            ),
        ) {
            let mut pasted = String::new();
            for (i, (digits, prefix, sep)) in list.iter().enumerate() {
                if i > 0 {
                    pasted.push_str(separators[i]);
                }
                let (a, rest) = digits.split_at(3);
                let (b, c) = rest.split_at(4);
                pasted.push_str(&format!("{prefix}{a}{sep}{b}{sep}{c}"));
            }
            let parsed = parse_request(&[pasted], 1000).unwrap();
            let read: Vec<String> = (0..parsed.len())
                .map(|i| parsed.parsed(i).map(|m| m.digits()).unwrap_or_default())
                .collect();
            let expected: Vec<String> = list.iter().map(|(d, _, _)| d.clone()).collect();
            prop_assert_eq!(read, expected);
        }

        #[test]
        fn repeats_are_linked_in_input_order(
            picks in prop::collection::vec(0usize..6, 0..60)
        ) {
            let pool = ["13111111111", "13222222222", "+86 131 1111 1111", "x", "13333333333", ""];
            let elements: Vec<&str> = picks.iter().map(|&p| pool[p]).collect();
            let parsed = parse_request(&elements, 1000).unwrap();
            let mut seen = std::collections::HashMap::new();
            for i in 0..parsed.len() {
                if let Ok(m) = parsed.parsed(i) {
                    let first = *seen.entry(m).or_insert(i);
                    prop_assert_eq!(parsed.is_duplicate(i), first != i);
                    let next = (i + 1..parsed.len()).find(|&j| parsed.parsed(j) == Ok(m));
                    prop_assert_eq!(parsed.next_occurrence(i as u32), next.map(|j| j as u32));
                }
            }
        }
    }
}
