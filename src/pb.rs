//! The generated `phonecheck.v1` API: messages and a client (the server trait is generated
//! apart, for `serving/grpc.rs`), and the one mapping between the API's `NumberStatus` and the
//! checking core's [`LineStatus`]. The .proto under `proto/` documents every field.
#![allow(missing_docs)]

tonic::include_proto!("phonecheck.v1");

/// The encoded descriptors of `phonecheck.v1` and its imports, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("phonecheck_descriptor");

use crate::checking::checked_line::LineStatus;

/// The API's status for each line status: the one table between the two enums.
const NUMBER_STATUSES: [(LineStatus, NumberStatus); 6] = [
    (LineStatus::Empty, NumberStatus::Empty),
    (LineStatus::Real, NumberStatus::Real),
    (LineStatus::Suspended, NumberStatus::Suspended),
    (LineStatus::NotInDatabase, NumberStatus::NotInDatabase),
    (LineStatus::Silent, NumberStatus::Silent),
    (LineStatus::Risk, NumberStatus::Risk),
];

impl From<LineStatus> for NumberStatus {
    fn from(line: LineStatus) -> Self {
        NUMBER_STATUSES[line.code() as usize].1
    }
}

impl NumberStatus {
    /// The line status this API status stands for; `None` for INVALID and UNSPECIFIED.
    pub fn line_status(self) -> Option<LineStatus> {
        NUMBER_STATUSES
            .iter()
            .find(|(_, api)| *api == self)
            .map(|(line, _)| *line)
    }
}

impl PhoneResult {
    /// The result as a list's output record of row `row` (from 0) at line `line`: what the
    /// command-line client and the web console write.
    pub fn into_row(self, row: u64, line: u64) -> crate::lists::RowResult {
        use crate::lists::{RowResult, RowStatus};
        let r = self;
        let status = match r.status() {
            NumberStatus::Invalid => RowStatus::Invalid,
            status => status
                .line_status()
                .map_or(RowStatus::Error, RowStatus::Checked),
        };
        let note = match (&r.error, status) {
            (Some(e), _) => e.message.clone(),
            (None, RowStatus::Invalid) => r.invalid_reason.clone(),
            (None, RowStatus::Error) => "no status in the answer".to_owned(),
            (None, _) => String::new(),
        };
        RowResult {
            index: row,
            line,
            input: r.input,
            mobile: r.mobile,
            status,
            status_name: r.status_name,
            area: r.area,
            province: r.province,
            city: r.city,
            carrier: r.carrier,
            checked_at: r.checked_at.map(|t| t.to_string()).unwrap_or_default(),
            duplicate: r.duplicate,
            from_cache: r.from_cache,
            note,
            cells: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_status_has_the_api_status_of_its_name() {
        for line in LineStatus::ALL {
            let api = NumberStatus::from(line);
            let expected = format!("NUMBER_STATUS_{}", line.name().to_uppercase());
            assert_eq!(api.as_str_name(), expected);
            assert_eq!(api.line_status(), Some(line));
        }
        assert_eq!(NumberStatus::Invalid.line_status(), None);
        assert_eq!(NumberStatus::Unspecified.line_status(), None);
    }
}
