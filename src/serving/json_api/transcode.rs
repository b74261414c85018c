//! JSON to protobuf and back, by proto3's canonical JSON mapping (through `prost-reflect` and
//! the API's own descriptors): request messages made of a path's variables, a query string and
//! a body; answers, and errors as `google.rpc.Status` with the HTTP status the standard gRPC to
//! HTTP mapping gives. Answers use the proto's own field names and say every field, zero
//! values included, so a client never has to know a default.

use bytes::Bytes;
use http::StatusCode;
use prost::Message as _;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, ReflectMessage, SerializeOptions,
    Value,
};
use serde_json::{Map, Value as Json};
use tonic::Code;

use super::routes::Route;
use crate::jobs::JobRecord;

/// Why an HTTP request could not become a call.
#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    /// No route has the path.
    #[error("no such path: {0} (the API's paths are in /openapi.yaml)")]
    NoSuchPath(String),
    /// The path has routes, but not for the request's method.
    #[error("{path} answers {allowed}, not {method}")]
    WrongMethod {
        /// The path.
        path: String,
        /// The request's method.
        method: String,
        /// The methods it answers, comma separated.
        allowed: String,
    },
    /// The body is not the request message as JSON.
    #[error("the body is not a {message} in JSON: {why}")]
    BadJson {
        /// The message expected.
        message: String,
        /// What the parser said.
        why: String,
    },
    /// A query parameter names no field or its value does not fit it.
    #[error("query parameter {name:?}: {why}")]
    BadQuery {
        /// The parameter.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// The body is larger than a request may be.
    #[error("the body is larger than {limit} bytes, the most this server takes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A file posted in a form is larger than `--max-upload` (always
    /// [`UploadError::TooLarge`](crate::jobs::uploads::UploadError::TooLarge)).
    #[error(transparent)]
    FileTooLarge(crate::jobs::uploads::UploadError),
    /// A multipart upload could not be read as a job's form and list.
    #[error("{0}")]
    BadUpload(String),
    /// The body's type is not one this path reads.
    #[error("Content-Type {given:?} is not read here: send {expected}")]
    MediaType {
        /// The type sent.
        given: String,
        /// What to send.
        expected: &'static str,
    },
    /// The body broke off while it was read.
    #[error("reading the body failed: {0}")]
    Body(String),
}

impl TranscodeError {
    /// The HTTP status when it is not the one the gRPC code maps to.
    pub fn http_status(&self) -> Option<StatusCode> {
        match self {
            TranscodeError::WrongMethod { .. } => Some(StatusCode::METHOD_NOT_ALLOWED),
            TranscodeError::TooLarge { .. } | TranscodeError::FileTooLarge(_) => {
                Some(StatusCode::PAYLOAD_TOO_LARGE)
            }
            TranscodeError::MediaType { .. } => Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
            _ => None,
        }
    }
}

/// How answers are written: the proto's field names, zero values said.
fn answer_options() -> SerializeOptions {
    SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
}

/// The HTTP status for a gRPC code, as `google/rpc/code.proto` maps them.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        // 499 Client Closed Request, as Google's APIs answer it.
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
    }
}

/// The request message of `route` from the path's `variables`, the `query` string and the
/// JSON `body` (`None`: no body).
pub fn request_message(
    route: &Route,
    variables: &[(String, String)],
    query: Option<&str>,
    body: Option<Json>,
) -> Result<DynamicMessage, TranscodeError> {
    let input = route.method.input();
    let mut fields = match body {
        None => Map::new(),
        Some(Json::Object(fields)) => fields,
        Some(other) => {
            return Err(bad_json(
                &input,
                format!("expected an object, found {other}"),
            ));
        }
    };
    for (name, value) in variables {
        // The path's value wins over the body's, under either spelling of the name.
        if let Some(field) = input.get_field_by_name(name) {
            fields.remove(field.json_name());
        }
        fields.insert(name.clone(), Json::String(value.clone()));
    }
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        query_field(&input, variables, &mut fields, &name, &value)?;
    }
    message_from_json(&input, Json::Object(fields))
}

/// A message of type `input` from named text values, as a query string gives them (a form's
/// fields): each a scalar field by its name or dotted path.
pub fn fields_message(
    input: &MessageDescriptor,
    values: &[(String, String)],
) -> Result<DynamicMessage, TranscodeError> {
    let mut fields = Map::new();
    for (name, value) in values {
        query_field(input, &[], &mut fields, name, value)?;
    }
    message_from_json(input, Json::Object(fields))
}

/// A message of type `descriptor` from its JSON; unknown fields are refused, naming them.
pub fn message_from_json(
    descriptor: &MessageDescriptor,
    json: Json,
) -> Result<DynamicMessage, TranscodeError> {
    DynamicMessage::deserialize_with_options(
        descriptor.clone(),
        json,
        &DeserializeOptions::new().deny_unknown_fields(true),
    )
    .map_err(|e| bad_json(descriptor, e.to_string()))
}

fn bad_json(descriptor: &MessageDescriptor, why: String) -> TranscodeError {
    TranscodeError::BadJson {
        message: descriptor.full_name().to_owned(),
        why,
    }
}

/// Puts one query parameter into `fields`: a scalar field of the request by its proto or JSON
/// name, repeated when given more than once (for a repeated field); a field of a message
/// field by its dotted path (`read_options.column`), as grpc-gateway takes it.
fn query_field(
    input: &MessageDescriptor,
    variables: &[(String, String)],
    fields: &mut Map<String, Json>,
    name: &str,
    value: &str,
) -> Result<(), TranscodeError> {
    let bad = |why: &str| TranscodeError::BadQuery {
        name: name.to_owned(),
        why: why.to_owned(),
    };
    let mut message = input.clone();
    let mut fields = fields;
    let mut path = name.split('.').peekable();
    let field = loop {
        let part = path.next().unwrap_or_default();
        let field = message
            .get_field_by_name(part)
            .or_else(|| message.get_field_by_json_name(part))
            .ok_or_else(|| bad("no such field in the request (see /openapi.yaml)"))?;
        if path.peek().is_none() {
            break field;
        }
        let Kind::Message(inner) = field.kind() else {
            return Err(bad("only a message field has fields"));
        };
        if field.is_list() || field.is_map() {
            return Err(bad("a list of messages goes in a JSON body"));
        }
        let entry = fields
            .entry(field.name().to_owned())
            .or_insert_with(|| Json::Object(Map::new()));
        fields = match entry {
            Json::Object(inner_fields) => inner_fields,
            _ => return Err(bad("given both in the body and the query")),
        };
        message = inner;
    };
    if message == *input && variables.iter().any(|(v, _)| v == field.name()) {
        return Err(bad("already given in the path"));
    }
    let value = match field.kind() {
        // Well-known types whose JSON is a string: "3600s", "2026-12-07T00:00:00Z".
        Kind::Message(m)
            if matches!(
                m.full_name(),
                "google.protobuf.Duration" | "google.protobuf.Timestamp"
            ) =>
        {
            Json::String(value.to_owned())
        }
        Kind::Message(_) => {
            return Err(bad(
                "a message field goes in a JSON body, or its fields by their dotted names",
            ));
        }
        Kind::Bool => match value {
            "true" | "1" => Json::Bool(true),
            "false" | "0" => Json::Bool(false),
            _ => return Err(bad("expected true or false")),
        },
        Kind::Enum(e) => {
            if e.get_value_by_name(value).is_none() {
                let names: Vec<_> = e.values().map(|v| v.name().to_owned()).collect();
                return Err(bad(&format!("expected one of {}", names.join(", "))));
            }
            Json::String(value.to_owned())
        }
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            number::<i32>(value, "a whole number (32 bits)", &bad)?
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            number::<i64>(value, "a whole number (64 bits)", &bad)?
        }
        Kind::Uint32 | Kind::Fixed32 => {
            number::<u32>(value, "a whole number from 0 to 4294967295", &bad)?
        }
        Kind::Uint64 | Kind::Fixed64 => number::<u64>(value, "a whole number from 0", &bad)?,
        Kind::Float | Kind::Double => number::<f64>(value, "a number", &bad)?,
        // Canonical JSON takes bytes as base64 text, and strings as they are.
        Kind::String | Kind::Bytes => Json::String(value.to_owned()),
    };
    let key = field.name().to_owned();
    if field.is_list() {
        match fields.entry(key).or_insert_with(|| Json::Array(Vec::new())) {
            Json::Array(values) => values.push(value),
            _ => return Err(bad("given both in the body and the query")),
        }
    } else if fields.insert(key, value).is_some() {
        return Err(bad("given more than once"));
    }
    Ok(())
}

/// A query value checked as a number of type `T` and passed on as text (canonical JSON takes
/// numbers as strings), or the parameter's refusal naming the range.
fn number<T: std::str::FromStr>(
    value: &str,
    said: &str,
    bad: &dyn Fn(&str) -> TranscodeError,
) -> Result<Json, TranscodeError> {
    match value.parse::<T>() {
        Ok(_) => Ok(Json::String(value.to_owned())),
        Err(_) => Err(bad(&format!("expected {said}, found {value:?}"))),
    }
}

/// A message `descriptor` names, encoded, as canonical JSON.
pub fn answer_json(descriptor: &MessageDescriptor, encoded: &[u8]) -> Vec<u8> {
    match DynamicMessage::decode(descriptor.clone(), encoded) {
        Ok(message) => message_json(&message),
        Err(e) => {
            // The server made these bytes from this very descriptor: a defect, not input.
            tracing::error!(error = %e, message = descriptor.full_name(), "an answer did not decode");
            b"{}".to_vec()
        }
    }
}

/// `message` as canonical JSON.
pub fn message_json(message: &DynamicMessage) -> Vec<u8> {
    let mut out = serde_json::Serializer::new(Vec::new());
    match message.serialize_with_options(&mut out, &answer_options()) {
        Ok(()) => out.into_inner(),
        Err(e) => {
            tracing::error!(error = %e, "an answer did not become JSON");
            b"{}".to_vec()
        }
    }
}

/// `status` as the JSON of a `google.rpc.Status`, its details with their `@type`.
pub fn status_json(status: &tonic::Status) -> Vec<u8> {
    // The details travel as an encoded google.rpc.Status; the code and message said beside
    // them are the ones that count.
    let mut rpc = tonic_types::pb::Status::decode(status.details()).unwrap_or_default();
    rpc.code = status.code() as i32;
    rpc.message = status.message().to_owned();
    let dynamic = crate::pb::descriptor_pool()
        .and_then(|pool| pool.get_message_by_name("google.rpc.Status"))
        .and_then(|descriptor| {
            DynamicMessage::decode(descriptor, rpc.encode_to_vec().as_slice()).ok()
        });
    match dynamic {
        Some(message) => message_json(&message),
        None => serde_json::to_vec(&serde_json::json!({
            "code": rpc.code, "message": rpc.message, "details": []
        }))
        .unwrap_or_default(),
    }
}

/// A job as the API's JSON: what `GET /v1/jobs/{id}` answers, the console reads and webhooks
/// send.
pub fn job_json(job: &JobRecord) -> Vec<u8> {
    let encoded = crate::pb::Job::from(job.clone()).encode_to_vec();
    match crate::pb::descriptor_pool()
        .and_then(|pool| pool.get_message_by_name("phonecheck.v1.Job"))
    {
        Some(descriptor) => answer_json(&descriptor, &encoded),
        None => b"{}".to_vec(),
    }
}

/// One line of a streamed answer: `{"result": MESSAGE}`.
pub fn result_line(descriptor: &MessageDescriptor, encoded: &[u8]) -> Bytes {
    let mut line = Vec::with_capacity(encoded.len() * 2 + 16);
    line.extend_from_slice(b"{\"result\":");
    line.extend_from_slice(&answer_json(descriptor, encoded));
    line.extend_from_slice(b"}\n");
    Bytes::from(line)
}

/// The last line of a stream that failed after it started: `{"error": STATUS}`.
pub fn error_line(status: &tonic::Status) -> Bytes {
    let mut line = b"{\"error\":".to_vec();
    line.extend_from_slice(&status_json(status));
    line.extend_from_slice(b"}\n");
    Bytes::from(line)
}

/// Splits a client-streamed request whose `mobiles` (and `rows`, kept beside them) hold more
/// than `chunk` entries into messages of at most `chunk`, the first one keeping every other
/// field: how a long JSON list fits the gRPC method's per-message limit.
pub fn split_chunks(mut message: DynamicMessage, chunk: usize) -> Vec<DynamicMessage> {
    let chunk = chunk.max(1);
    let take = |message: &mut DynamicMessage, name: &str| match message.take_field_by_name(name) {
        Some(Value::List(values)) => values,
        _ => Vec::new(),
    };
    let mobiles = take(&mut message, "mobiles");
    if mobiles.len() <= chunk {
        message.set_field_by_name("mobiles", Value::List(mobiles));
        return vec![message];
    }
    let has_rows = message.descriptor().get_field_by_name("rows").is_some();
    let mut rows = if has_rows {
        take(&mut message, "rows").into_iter()
    } else {
        Vec::new().into_iter()
    };
    let descriptor = message.descriptor();
    let mut messages = Vec::new();
    let mut first = Some(message);
    let mut mobiles = mobiles.into_iter().peekable();
    while mobiles.peek().is_some() {
        let mut part = first
            .take()
            .unwrap_or_else(|| DynamicMessage::new(descriptor.clone()));
        let numbers: Vec<Value> = mobiles.by_ref().take(chunk).collect();
        let count = numbers.len();
        part.set_field_by_name("mobiles", Value::List(numbers));
        if has_rows {
            let part_rows: Vec<Value> = rows.by_ref().take(count).collect();
            if !part_rows.is_empty() {
                part.set_field_by_name("rows", Value::List(part_rows));
            }
        }
        messages.push(part);
    }
    // Rows beyond the numbers go with the last part, where the server counts the mismatch.
    let rest: Vec<Value> = rows.collect();
    if !rest.is_empty()
        && let Some(last) = messages.last_mut()
    {
        let mut all = take(last, "rows");
        all.extend(rest);
        last.set_field_by_name("rows", Value::List(all));
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serving::json_api::routes::{Found, find, routes};

    fn route(verb: http::Method, path: &str) -> (Route, Vec<(String, String)>) {
        let pool = crate::pb::descriptor_pool().expect("descriptors");
        let all = routes(pool, "phonecheck.v1.PhoneCheck").expect("routes");
        match find(&all, &verb, path) {
            Found::Route(route, variables) => (route.clone(), variables),
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn a_request_is_made_of_path_query_and_body() {
        let (list, variables) = route(http::Method::GET, "/v1/jobs");
        let message =
            request_message(&list, &variables, Some("page_size=2&pageToken=abc"), None).unwrap();
        assert_eq!(
            message.get_field_by_name("page_size").unwrap().as_u32(),
            Some(2)
        );
        assert_eq!(
            message.get_field_by_name("page_token").unwrap().as_str(),
            Some("abc")
        );

        let (resume, variables) = route(http::Method::POST, "/v1/jobs/j_9:resume");
        let body = serde_json::json!({"id": "other", "max_billed": "100"});
        let message = request_message(&resume, &variables, None, Some(body)).unwrap();
        assert_eq!(
            message.get_field_by_name("id").unwrap().as_str(),
            Some("j_9")
        );
        assert_eq!(
            message.get_field_by_name("max_billed").unwrap().as_u64(),
            Some(100)
        );
    }

    #[test]
    fn what_is_not_the_message_is_refused_by_name() {
        let (list, variables) = route(http::Method::GET, "/v1/jobs");
        let e = request_message(&list, &variables, Some("pagesize=2"), None).unwrap_err();
        assert!(e.to_string().contains("\"pagesize\""), "{e}");
        // A value that does not fit is refused naming the parameter, not as JSON.
        let e = request_message(&list, &variables, Some("page_size=lots"), None).unwrap_err();
        assert!(
            matches!(&e, TranscodeError::BadQuery { name, .. } if name == "page_size"),
            "{e}"
        );

        let (check, variables) = route(http::Method::POST, "/v1/check");
        let body = serde_json::json!({"mobile": ["13800138000"]});
        let e = request_message(&check, &variables, None, Some(body)).unwrap_err();
        assert!(e.to_string().contains("mobile"), "{e}");
        let e = request_message(&check, &variables, None, Some(Json::Null)).unwrap_err();
        assert!(e.to_string().contains("expected an object"), "{e}");
    }

    #[test]
    fn errors_keep_their_details_with_their_type() {
        let status = tonic::Status::from(crate::serving::auth::AuthError::Unauthenticated);
        let json: Json = serde_json::from_slice(&status_json(&status)).unwrap();
        assert_eq!(json["code"], 16);
        assert_eq!(
            json["details"][0]["@type"],
            "type.googleapis.com/google.rpc.ErrorInfo"
        );
        assert_eq!(json["details"][0]["reason"], "API_KEY_INVALID");
        assert_eq!(http_status(status.code()), StatusCode::UNAUTHORIZED);

        let plain: Json =
            serde_json::from_slice(&status_json(&tonic::Status::not_found("gone"))).unwrap();
        assert_eq!(
            plain,
            serde_json::json!({"code": 5, "message": "gone", "details": []})
        );
    }

    #[test]
    fn a_long_list_is_split_with_its_rows_and_its_options_kept_first() {
        let (create, _) = route(http::Method::POST, "/v1/jobs");
        let body = serde_json::json!({
            "name": "list",
            "mobiles": ["1", "2", "3", "4", "5"],
            "rows": [{"line": 1}, {"line": 2}, {"line": 3}, {"line": 4}, {"line": 5}],
        });
        let message = message_from_json(&create.method.input(), body).unwrap();
        let parts = split_chunks(message, 2);
        assert_eq!(parts.len(), 3);
        let count = |m: &DynamicMessage, f: &str| {
            m.get_field_by_name(f)
                .and_then(|v| v.as_list().map(<[Value]>::len))
                .unwrap_or(0)
        };
        assert_eq!(
            parts
                .iter()
                .map(|p| count(p, "mobiles"))
                .collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(
            parts.iter().map(|p| count(p, "rows")).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(
            parts[0].get_field_by_name("name").unwrap().as_str(),
            Some("list")
        );
        assert_eq!(
            parts[1].get_field_by_name("name").unwrap().as_str(),
            Some("")
        );
    }

    #[test]
    fn a_job_is_the_apis_json_error_details_included() {
        use crate::checking::upstream::UpstreamError;
        use crate::jobs::JobState;
        use std::time::{Duration, UNIX_EPOCH};
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
        let json: Json = serde_json::from_slice(&job_json(&job)).unwrap();
        assert_eq!(json["id"], "j_1");
        assert_eq!(json["state"], "JOB_STATE_FAILED");
        assert_eq!(json["total"], "12000000000");
        assert_eq!(json["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(json["by_status"]["not_in_database"], 0);
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
