//! The generated `phonecheck.v1` API: messages, the server trait and a client. The .proto
//! under `proto/` documents every field.
#![allow(missing_docs)]

tonic::include_proto!("phonecheck.v1");

/// The encoded descriptors of `phonecheck.v1` and its imports, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("phonecheck_descriptor");

impl PhoneResult {
    /// The result as a list's output record of row `row` (from 0) at line `line`: what the
    /// command-line client and the web console write.
    pub fn into_row(self, row: u64, line: u64) -> crate::lists::RowResult {
        use crate::lists::{RowResult, RowStatus};
        let r = self;
        let status = match r.status() {
            NumberStatus::Real => RowStatus::Real,
            NumberStatus::Empty => RowStatus::Empty,
            NumberStatus::Suspended => RowStatus::Suspended,
            NumberStatus::Silent => RowStatus::Silent,
            NumberStatus::Risk => RowStatus::Risk,
            NumberStatus::NotInDatabase => RowStatus::NotInDatabase,
            NumberStatus::Invalid => RowStatus::Invalid,
            NumberStatus::Unspecified => RowStatus::Error,
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
