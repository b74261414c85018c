//! A job in the API's JSON mapping (the proto3 canonical JSON: `"state":
//! "JOB_STATE_SUCCEEDED"`, 64-bit counts as strings, RFC 3339 times), as webhooks send it.
//! Built by `prost-reflect` from the same descriptors reflection serves, so it follows the
//! .proto exactly, `google.rpc` error details included.

use std::sync::LazyLock;

use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor};

use crate::jobs::JobRecord;
use crate::pb;

/// `phonecheck.v1.Job`, from the API's descriptors.
static JOB: LazyLock<Option<MessageDescriptor>> =
    LazyLock::new(|| pb::descriptor_pool()?.get_message_by_name("phonecheck.v1.Job"));

/// The JSON name a job's `by_status` count of `field` has (`not_in_database` →
/// `notInDatabase`), from the same descriptors the job's JSON is made from.
pub(crate) fn status_count_key(field: &str) -> Option<String> {
    let job = JOB.as_ref()?;
    let by_status = job.get_field_by_name("by_status")?;
    let counts = by_status.kind();
    let counts = counts.as_message()?;
    Some(counts.get_field_by_name(field)?.json_name().to_owned())
}

/// The JSON body announcing `job`.
pub fn job_json(job: &JobRecord) -> Vec<u8> {
    serde_json::to_vec(&job_value(job)).unwrap_or_else(|_| b"{}".to_vec())
}

/// `job` as a JSON value (`{}` if it cannot be made, which is logged), for a reply that holds
/// several jobs.
pub fn job_value(job: &JobRecord) -> serde_json::Value {
    let empty = || serde_json::Value::Object(serde_json::Map::new());
    let Some(descriptor) = JOB.clone() else {
        return empty();
    };
    let encoded = pb::Job::from(job.clone()).encode_to_vec();
    let json = DynamicMessage::decode(descriptor, encoded.as_slice())
        .map_err(|e| e.to_string())
        .and_then(|m| serde_json::to_value(&m).map_err(|e| e.to_string()));
    json.unwrap_or_else(|e| {
        tracing::error!(error = %e, job = %job.id, "a job did not turn into JSON");
        empty()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checking::upstream::UpstreamError;
    use crate::jobs::JobState;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn a_job_is_the_apis_json_error_details_included() {
        let job = JobRecord {
            id: "j_1".to_owned(),
            owner: String::new(),
            name: "list".to_owned(),
            state: JobState::Failed,
            created_at: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            updated_at: UNIX_EPOCH + Duration::from_secs(1_700_000_100),
            finished_at: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_100)),
            max_age: None,
            skip_cache: false,
            total: 12_000_000_000,
            unique: 1,
            invalid: 0,
            duplicates: 0,
            done: 1,
            billed: 1,
            cache_hits: 0,
            by_status: [1, 0, 0, 0, 0, 0],
            failed: 0,
            error: Some(UpstreamError::Api {
                code: 102,
                msg: "quota used up".to_owned(),
                log_id: None,
            }),
            header: vec!["客户".to_owned()],
            callback_url: Some("https://example.com/hook".to_owned()),
            webhook: None,
            max_billed: None,
            trace_parent: None,
        };
        let json: serde_json::Value = serde_json::from_slice(&job_json(&job)).unwrap();
        assert_eq!(json["id"], "j_1");
        assert_eq!(json["state"], "JOB_STATE_FAILED");
        assert_eq!(json["total"], "12000000000");
        assert_eq!(json["createdAt"], "2023-11-14T22:13:20Z");
        assert_eq!(json["header"][0], "客户");
        assert_eq!(json["error"]["code"], 8, "RESOURCE_EXHAUSTED");
        let details = json["error"]["details"].as_array().unwrap();
        let info = details
            .iter()
            .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
            .unwrap();
        assert_eq!(info["reason"], "UPSTREAM_QUOTA_EXHAUSTED");
    }
}
