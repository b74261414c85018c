//! The HTTP/JSON API (`/v1/…`) against a real server: every method over real HTTP, its answers
//! decoded with the API's own descriptors and found identical to the gRPC answers for the same
//! request; errors as `google.rpc.Status` with their HTTP status; keys, owners and request ids
//! as on gRPC; streams as NDJSON and Server-Sent Events, ending with an explicit error record
//! when they fail after they started.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{connect, eventually, form, numbers, start_server_with_http, test_config};
use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::pb::{
    CheckOptions, CheckRequest, CheckResponse, CheckStreamRequest, CheckStreamResponse,
    CreateJobRequest, GetJobRequest, GetJobResultsRequest, GetJobResultsResponse,
    GetJobSummaryRequest, GetUsageRequest, GetUsageResponse, Job, JobState, JobSummary,
    ListJobsRequest, ListJobsResponse, PhoneResult,
};
use prost::Message;
use prost_reflect::DynamicMessage;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A JSON answer decoded as the message `name`, through the API's descriptors: what a client
/// generated from the proto would read.
fn decode<M: Message + Default>(name: &str, json: &str) -> M {
    let pool = phonecheck::pb::descriptor_pool().expect("descriptors");
    let descriptor = pool.get_message_by_name(name).expect(name);
    let mut de = serde_json::Deserializer::from_str(json);
    let dynamic = DynamicMessage::deserialize(descriptor, &mut de)
        .unwrap_or_else(|e| panic!("{name}: {e}: {json}"));
    M::decode(dynamic.encode_to_vec().as_slice()).expect("re-encodes")
}

/// The `result` of every line of an NDJSON answer, and its error record if it has one.
fn ndjson(body: &str) -> (Vec<String>, Option<Value>) {
    let mut results = Vec::new();
    let mut error = None;
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        assert!(error.is_none(), "nothing follows an error record: {line}");
        let value: Value = serde_json::from_str(line).expect("each line is JSON");
        match (value.get("result"), value.get("error")) {
            (Some(result), None) => results.push(result.to_string()),
            (None, Some(e)) => error = Some(e.clone()),
            _ => panic!("a line is a result or an error: {line}"),
        }
    }
    (results, error)
}

/// A result as compared across the two doors: when it was checked is the clock's business.
fn timeless(mut result: PhoneResult) -> PhoneResult {
    result.checked_at = None;
    result
}

struct Env {
    grpc: SocketAddr,
    base: String,
    http: reqwest::Client,
    _sim: phonecheck::checking::upstream::simulator::RunningSimulator,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(tweak: impl FnOnce(&mut phonecheck::serving::ServeConfig)) -> Env {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let mut config = test_config(sim.url());
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    tweak(&mut config);
    let (grpc, http, stop) = start_server_with_http(config).await;
    Env {
        grpc,
        base: format!("http://{}", http.expect("http listens")),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        _sim: sim,
        _stop: stop,
    }
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (u16, String) {
        let response = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

#[tokio::test]
async fn json_answers_are_the_grpc_answers_for_the_same_request() {
    let env = start(|_| {}).await;
    let mut grpc = connect(env.grpc).await;
    let fresh = Some(CheckOptions {
        skip_cache: true,
        ..Default::default()
    });
    let mobiles = [numbers(5), vec!["12".into(), numbers(1)[0].clone()]].concat();

    // Check.
    let by_grpc = grpc
        .check(CheckRequest {
            mobiles: mobiles.clone(),
            options: fresh,
        })
        .await
        .unwrap()
        .into_inner();
    let (status, body) = env
        .post(
            "/v1/check",
            json!({"mobiles": mobiles, "options": {"skip_cache": true}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let by_json: CheckResponse = decode("phonecheck.v1.CheckResponse", &body);
    let strip = |r: CheckResponse| -> (Vec<PhoneResult>, _) {
        (r.results.into_iter().map(timeless).collect(), r.summary)
    };
    assert_eq!(strip(by_json), strip(by_grpc));
    let raw: Value = serde_json::from_str(&body).unwrap();
    assert!(
        raw["results"][0]["status_name"].is_string(),
        "fields by their proto names"
    );
    assert_eq!(
        raw["results"][5]["status"], "NUMBER_STATUS_INVALID",
        "enums by name"
    );

    // CheckStream: the same results, in whatever order batches finish.
    let mut stream = grpc
        .check_stream(CheckStreamRequest {
            mobiles: mobiles.clone(),
            options: fresh,
        })
        .await
        .unwrap()
        .into_inner();
    let mut grpc_results = Vec::new();
    let mut grpc_summary = None;
    while let Some(message) = stream.message().await.unwrap() {
        grpc_results.extend(message.results.into_iter().map(timeless));
        grpc_summary = message.summary.or(grpc_summary);
    }
    let (status, body) = env
        .post(
            "/v1/check:stream",
            json!({"mobiles": mobiles, "options": {"skip_cache": true}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (lines, error) = ndjson(&body);
    assert!(error.is_none(), "{body}");
    let mut json_results = Vec::new();
    let mut json_summary = None;
    for line in &lines {
        let message: CheckStreamResponse = decode("phonecheck.v1.CheckStreamResponse", line);
        json_results.extend(message.results.into_iter().map(timeless));
        json_summary = message.summary.or(json_summary);
    }
    grpc_results.sort_by_key(|r| r.index);
    json_results.sort_by_key(|r| r.index);
    assert_eq!(json_results, grpc_results);
    assert_eq!(json_summary, grpc_summary);
    assert!(
        json_summary.is_some(),
        "the last message carries the summary"
    );

    // A job made over gRPC, read through both doors.
    let job = grpc
        .create_job(tokio_stream::iter([CreateJobRequest {
            name: "both doors".into(),
            mobiles: numbers(30),
            ..Default::default()
        }]))
        .await
        .unwrap()
        .into_inner();
    let done: Job = eventually("the job succeeds", Duration::from_secs(20), || {
        let mut grpc = grpc.clone();
        let id = job.id.clone();
        async move {
            let job = grpc.get_job(GetJobRequest { id }).await.ok()?.into_inner();
            (job.state == JobState::Succeeded as i32).then_some(job)
        }
    })
    .await;
    let (status, body) = env.get(&format!("/v1/jobs/{}", job.id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(decode::<Job>("phonecheck.v1.Job", &body), done);
    let raw: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(raw["total"], "30", "64-bit counts as strings");
    assert_eq!(raw["state"], "JOB_STATE_SUCCEEDED");

    let listed = grpc
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let (_, body) = env.get("/v1/jobs?page_size=50").await;
    assert_eq!(
        decode::<ListJobsResponse>("phonecheck.v1.ListJobsResponse", &body),
        listed
    );

    let mut results = grpc
        .get_job_results(GetJobResultsRequest {
            id: job.id.clone(),
            from_index: 7,
        })
        .await
        .unwrap()
        .into_inner();
    let mut grpc_pages = Vec::new();
    while let Some(page) = results.message().await.unwrap() {
        grpc_pages.push(page);
    }
    let (status, body) = env
        .get(&format!("/v1/jobs/{}/results?from_index=7", job.id))
        .await;
    assert_eq!(status, 200, "{body}");
    let (lines, error) = ndjson(&body);
    assert!(error.is_none());
    let json_pages: Vec<GetJobResultsResponse> = lines
        .iter()
        .map(|l| decode("phonecheck.v1.GetJobResultsResponse", l))
        .collect();
    assert_eq!(json_pages, grpc_pages);
    assert_eq!(
        json_pages.iter().map(|p| p.results.len()).sum::<usize>(),
        23
    );

    // WatchJob: NDJSON by default, Server-Sent Events when asked for; the ended job, once.
    let (status, body) = env.get(&format!("/v1/jobs/{}:watch", job.id)).await;
    assert_eq!(status, 200);
    let (lines, _) = ndjson(&body);
    assert_eq!(
        decode::<Job>("phonecheck.v1.Job", lines.last().unwrap()),
        done
    );
    let response = env
        .http
        .get(env.url(&format!("/v1/jobs/{}:watch", job.id)))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream",
        "SSE"
    );
    let events = response.text().await.unwrap();
    let data: Vec<&str> = events
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert!(events.starts_with("event: message\n"), "{events}");
    assert_eq!(
        decode::<Job>("phonecheck.v1.Job", data.last().unwrap()),
        done
    );

    // GetJobSummary.
    let summary = grpc
        .get_job_summary(GetJobSummaryRequest {
            id: job.id.clone(),
            top: 3,
        })
        .await
        .unwrap()
        .into_inner();
    let (_, body) = env.get(&format!("/v1/jobs/{}/summary?top=3", job.id)).await;
    assert_eq!(
        decode::<JobSummary>("phonecheck.v1.JobSummary", &body),
        summary
    );
    assert!(!summary.carriers.is_empty() && summary.carriers.len() <= 3);

    // GetUsage.
    let usage = grpc
        .get_usage(GetUsageRequest::default())
        .await
        .unwrap()
        .into_inner();
    let (_, body) = env.get("/v1/usage").await;
    assert_eq!(
        decode::<GetUsageResponse>("phonecheck.v1.GetUsageResponse", &body),
        usage
    );
    assert!(!usage.days.is_empty());

    // Errors: the same status through both doors.
    let missing = grpc
        .get_job(GetJobRequest {
            id: "j_gone".into(),
        })
        .await
        .unwrap_err();
    let (status, body) = env.get("/v1/jobs/j_gone").await;
    assert_eq!(status, 404);
    let by_json: tonic_types::pb::Status = decode("google.rpc.Status", &body);
    assert_eq!(by_json.code, missing.code() as i32);
    assert_eq!(by_json.message, missing.message());
    let grpc_details = tonic_types::pb::Status::decode(missing.details()).unwrap();
    assert_eq!(by_json.details, grpc_details.details);

    // Cancel, resume and delete answer as their gRPC methods do.
    let (status, body) = env
        .post(&format!("/v1/jobs/{}:cancel", job.id), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(decode::<Job>("phonecheck.v1.Job", &body).id, job.id);
    let response = env
        .http
        .delete(env.url(&format!("/v1/jobs/{}", job.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "{}");
    let (status, _) = env.get(&format!("/v1/jobs/{}", job.id)).await;
    assert_eq!(status, 404, "deleted");
}

#[tokio::test]
async fn errors_are_google_rpc_status_with_the_http_status_of_their_code() {
    let env = start(|c| {
        c.limits.max_check_numbers = 3;
        // Messages (and so bodies) of at most the 4 MiB floor.
        c.limits.max_stream_numbers = 10;
    })
    .await;
    let error = |body: &str| -> Value { serde_json::from_str(body).expect("JSON error") };
    let reason = |e: &Value| {
        e["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["@type"] == "type.googleapis.com/google.rpc.ErrorInfo")
            .map(|d| d["reason"].as_str().unwrap().to_owned())
    };

    let (status, body) = env.post("/v1/check", json!({"mobiles": numbers(4)})).await;
    assert_eq!(status, 400, "{body}");
    let e = error(&body);
    assert_eq!(e["code"], 3);
    assert_eq!(reason(&e).as_deref(), Some("TOO_MANY_NUMBERS"));
    let violation = e["details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["@type"] == "type.googleapis.com/google.rpc.BadRequest")
        .expect("BadRequest");
    assert_eq!(violation["field_violations"][0]["field"], "mobiles");

    let (status, body) = env.post("/v1/check", json!({"numbers": ["1"]})).await;
    assert_eq!(status, 400);
    let e = error(&body);
    assert_eq!(reason(&e).as_deref(), Some("BAD_JSON"));
    assert!(e["message"].as_str().unwrap().contains("numbers"), "{body}");

    let (status, body) = env.get("/v1/jobs?page_sise=2").await;
    assert_eq!(status, 400);
    assert_eq!(reason(&error(&body)).as_deref(), Some("BAD_QUERY"));
    // A value that does not fit its field is refused naming the parameter, as is an enum name
    // the field does not have.
    for (query, says) in [
        (
            "page_size=ten",
            "query parameter \"page_size\": expected a whole number",
        ),
        (
            "read_options.header=yes",
            "query parameter \"read_options.header\": expected one of HEADER_ROW_UNSPECIFIED",
        ),
    ] {
        let path = if query.starts_with("page") {
            "/v1/jobs"
        } else {
            "/v1/uploads/u_1"
        };
        let (status, body) = env.get(&format!("{path}?{query}")).await;
        assert_eq!(status, 400, "{body}");
        let e = error(&body);
        assert_eq!(reason(&e).as_deref(), Some("BAD_QUERY"), "{body}");
        assert!(e["message"].as_str().unwrap().contains(says), "{body}");
    }
    assert!(body.contains("page_sise"), "{body}");

    let (status, body) = env.post("/v1/check", json!({"mobiles": [], "x": 1})).await;
    assert_eq!(status, 400, "{body}");

    let (status, body) = env.post("/v1/check", json!({"mobiles": []})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(reason(&error(&body)).as_deref(), Some("NO_NUMBERS"));

    let (status, body) = env.get("/v1/nothing/here").await;
    assert_eq!(status, 404);
    assert_eq!(reason(&error(&body)).as_deref(), Some("NO_SUCH_PATH"));

    let response = env.http.put(env.url("/v1/jobs/j_1")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, DELETE");

    let (status, body) = env.get("/v1/jobs/j_1:watch").await;
    assert_eq!(
        status, 404,
        "a failed stream before its first message is an error response"
    );
    assert_eq!(reason(&error(&body)).as_deref(), Some("JOB_NOT_FOUND"));

    let huge = "x".repeat(5 * 1024 * 1024);
    let response = env
        .http
        .post(env.url("/v1/check"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let e = error(&response.text().await.unwrap());
    assert_eq!(reason(&e).as_deref(), Some("BODY_TOO_LARGE"));

    let response = env
        .http
        .post(env.url("/v1/check"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn keys_owners_and_request_ids_are_those_of_grpc() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(
        &keys,
        "alice:alice-key-0123456789\nbob:bob-key-0123456789\nslow:slow-key-0123456789:1\n",
    )
    .unwrap();
    let env = start(|c| c.api_keys_file = Some(keys)).await;
    let with = |key: &str, request: reqwest::RequestBuilder| {
        request.header("authorization", format!("Bearer {key}"))
    };

    let response = env
        .http
        .post(env.url("/v1/check"))
        .json(&json!({"mobiles": ["13800138000"]}))
        .header("x-request-id", "order-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["x-request-id"], "order-42");
    assert!(
        response.text().await.unwrap().contains("API_KEY_INVALID"),
        "no key"
    );

    let response = with(
        "alice-key-0123456789",
        env.http
            .post(env.url("/v1/jobs"))
            .json(&json!({"name": "alice's", "mobiles": numbers(3)}))
            .header("x-request-id", "order-43"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "order-43");
    let job: Job = decode("phonecheck.v1.Job", &response.text().await.unwrap());
    assert_eq!(job.owner, "alice");

    let read = |key: &'static str| {
        with(key, env.http.get(env.url(&format!("/v1/jobs/{}", job.id)))).send()
    };
    assert_eq!(read("alice-key-0123456789").await.unwrap().status(), 200);
    assert_eq!(
        read("bob-key-0123456789").await.unwrap().status(),
        404,
        "another key's job does not exist"
    );

    // The per-key rate limit: RESOURCE_EXHAUSTED as 429, with when to retry.
    let mut limited = None;
    for _ in 0..5 {
        let response = with(
            "slow-key-0123456789",
            env.http
                .post(env.url("/v1/check"))
                .json(&json!({"mobiles": ["13800138000"]})),
        )
        .send()
        .await
        .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("a key of 1 call a second is limited");
    assert!(limited.headers().contains_key("retry-after"));
    assert!(
        limited
            .text()
            .await
            .unwrap()
            .contains("API_KEY_RATE_LIMITED")
    );
}

#[tokio::test]
async fn streams_take_messages_one_after_another_and_end_with_an_explicit_error() {
    let env = start(|c| c.limits.max_bulk_chunk = 10).await;

    // CheckBulk: two messages in one body, answered as one stream with its summary last.
    let body = format!(
        "{}\n{}\n",
        json!({"mobiles": numbers(4)}),
        json!({"mobiles": ["12", numbers(1)[0]]})
    );
    let response = env
        .http
        .post(env.url("/v1/check:bulk"))
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let (lines, error) = ndjson(&response.text().await.unwrap());
    assert!(error.is_none());
    let messages: Vec<CheckStreamResponse> = lines
        .iter()
        .map(|l| decode("phonecheck.v1.CheckBulkResponse", l))
        .collect();
    let answered: usize = messages.iter().map(|m| m.results.len()).sum();
    assert_eq!(answered, 6);
    let summary = messages.last().unwrap().summary.expect("summary last");
    assert_eq!(
        (summary.total, summary.invalid, summary.duplicates),
        (6, 1, 1)
    );

    // A body that breaks after its first message was answered: what was answered, then the
    // error record, never a summary that would pass for a whole list. Written by hand, so
    // that the break comes after the first answer has left.
    let addr = env.base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let chunk = |data: &str| format!("{:x}\r\n{data}\r\n", data.len());
    let head = "POST /v1/check:bulk HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n";
    let first = format!("{}\n", json!({"mobiles": numbers(2)}));
    tcp.write_all(format!("{head}{}", chunk(&first)).as_bytes())
        .await
        .unwrap();
    let mut received = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&received).contains("\"result\"") {
        let mut buffer = [0_u8; 4096];
        let n = tokio::time::timeout_at(deadline, tcp.read(&mut buffer))
            .await
            .expect("the first answer comes before the body ends")
            .unwrap();
        assert!(n > 0, "the server closed early");
        received.extend_from_slice(&buffer[..n]);
    }
    tcp.write_all(format!("{}0\r\n\r\n", chunk("{\"mobiles\": [\"1380013")).as_bytes())
        .await
        .unwrap();
    tokio::time::timeout_at(deadline, tcp.read_to_end(&mut received))
        .await
        .expect("the answer ends")
        .unwrap();
    let text = String::from_utf8_lossy(&received).into_owned();
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "the stream had started: {text}"
    );
    let lines: Vec<&str> = text.split("\r\n").filter(|l| l.starts_with('{')).collect();
    let (results, error) = ndjson(&lines.join("\n"));
    let error = error.unwrap_or_else(|| panic!("an error record ends it: {text}"));
    assert_eq!(error["code"], 3);
    assert!(
        error["message"].as_str().unwrap().contains("message 2"),
        "{error}"
    );
    assert!(!results.is_empty());
    assert!(
        results.iter().all(|l| !l.contains("\"summary\":{")),
        "no summary: {text}"
    );

    // CreateJob: a list longer than a chunk is split by the server, all of it stored.
    let (status, body) = env
        .post(
            "/v1/jobs",
            json!({"name": "long", "mobiles": numbers(25), "rows": (0..25).map(|i| json!({"line": i + 2})).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let job: Job = decode("phonecheck.v1.Job", &body);
    assert_eq!(job.total, 25);
    let body = eventually("the job ends", Duration::from_secs(20), || {
        let path = format!("/v1/jobs/{}/results", job.id);
        let env = &env;
        async move {
            let (status, body) = env.get(&path).await;
            (status == 200
                && ndjson(&body)
                    .0
                    .iter()
                    .map(|l| l.matches("\"index\"").count())
                    .sum::<usize>()
                    == 25)
                .then_some(body)
        }
    })
    .await;
    let (lines, _) = ndjson(&body);
    let first: GetJobResultsResponse = decode("phonecheck.v1.GetJobResultsResponse", &lines[0]);
    assert_eq!(first.rows[0].line, 2, "rows kept beside their numbers");
}

#[tokio::test]
async fn the_openapi_document_is_served_as_generated() {
    let env = start(|_| {}).await;
    let response = env.http.get(env.url("/openapi.yaml")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/yaml");
    assert_eq!(
        response.text().await.unwrap(),
        include_str!("../clients/openapi.yaml")
    );
}

#[tokio::test]
async fn a_list_file_sent_as_a_form_becomes_a_job_with_its_rows_whole() {
    let env = start(|_| {}).await;
    let send = |(kind, body): (String, Vec<u8>)| {
        env.http
            .post(env.url("/v1/jobs"))
            .header("content-type", kind)
            .body(body)
            .send()
    };
    let csv = include_bytes!("../examples/customers.csv").as_slice();
    let response = send(form(&[("request_id", "form-1")], Some(("客户.csv", csv))))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let job: Job = decode("phonecheck.v1.Job", &response.text().await.unwrap());
    assert_eq!(job.name, "客户.csv", "named after its file");
    assert_eq!((job.total, job.invalid), (4, 1), "the header is not a row");
    assert_eq!(job.header, ["客户", "手机号", "城市"]);

    let body = eventually("the job ends", Duration::from_secs(20), || {
        let path = format!("/v1/jobs/{}/results", job.id);
        let env = &env;
        async move {
            let (status, body) = env.get(&path).await;
            (status == 200 && body.matches("\"index\"").count() == 4).then_some(body)
        }
    })
    .await;
    let (lines, _) = ndjson(&body);
    let page: GetJobResultsResponse = decode("phonecheck.v1.GetJobResultsResponse", &lines[0]);
    assert_eq!(page.rows[2].cells, ["王五", "+86 139-2222-3333", "厦门"]);
    assert_eq!(page.rows[2].line, 4, "the file's own line");
    assert_eq!(page.results[2].mobile, "13922223333");

    // The results as files, each row whole, chosen by Accept.
    let file = |accept: &'static str| {
        env.http
            .get(env.url(&format!("/v1/jobs/{}/results", job.id)))
            .header("accept", accept)
            .send()
    };
    let response = file("text/csv").await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("results.csv")
    );
    let csv_out = response.text().await.unwrap();
    let lines: Vec<&str> = csv_out.lines().collect();
    assert_eq!(lines.len(), 5, "a header and four rows: {csv_out}");
    assert!(
        lines[0].starts_with("客户,手机号,城市,mobile,status"),
        "{csv_out}"
    );
    assert!(
        lines[3].starts_with("王五,+86 139-2222-3333,厦门,13922223333,"),
        "{csv_out}"
    );
    assert!(lines[2].contains(",invalid,"), "{csv_out}");

    let response = file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = calamine::Reader::worksheet_range_at(&mut book, 0)
        .unwrap()
        .unwrap();
    assert_eq!(sheet.height(), 5);
    assert_eq!(sheet.get((4, 0)).unwrap().to_string(), "赵六");

    let response = file("application/zip").await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert!(
        zip.file_names()
            .any(|n| n.is_ok_and(|n| n == "invalid.csv")),
        "one file per status"
    );

    // The same request id answers the same job: nothing is stored twice.
    let again = send(form(&[("request_id", "form-1")], Some(("客户.csv", csv))))
        .await
        .unwrap();
    let again: Job = decode("phonecheck.v1.Job", &again.text().await.unwrap());
    assert_eq!(again.id, job.id);

    // A preview counts and stores nothing.
    let preview = send(form(&[("validate_only", "true")], Some(("list.csv", csv))))
        .await
        .unwrap();
    let preview: Job = decode("phonecheck.v1.Job", &preview.text().await.unwrap());
    assert_eq!((preview.id.as_str(), preview.total), ("", 4));

    // What cannot be a job is refused, naming why.
    for (request, says) in [
        (
            form(&[("colour", "red")], Some(("a.csv", csv))),
            "field \"colour\": no such field",
        ),
        (form(&[("name", "x")], None), "no file part"),
        (
            form(&[("read_options.column", "second")], Some(("a.csv", csv))),
            "field \"read_options.column\": expected a whole number from 0 to 4294967295, found \"second\"",
        ),
        (
            form(&[("mobiles", "13800138000")], Some(("a.csv", csv))),
            "the form's file is the list",
        ),
        (
            form(&[], Some(("photo.csv", b"\0\x01\x02binary"))),
            "photo.csv",
        ),
    ] {
        let response = send(request).await.unwrap();
        assert_eq!(response.status(), 400, "{says}");
        let error: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(error["details"][0]["reason"], "BAD_UPLOAD", "{error}");
        assert!(
            error["message"].as_str().unwrap().contains(says),
            "{says}: {error}"
        );
        assert!(
            !error["message"].as_str().unwrap().contains("stream"),
            "a form is not a stream: {error}"
        );
    }
    let (status, body) = env.get("/v1/jobs").await;
    assert_eq!(status, 200);
    let listed: ListJobsResponse = decode("phonecheck.v1.ListJobsResponse", &body);
    assert_eq!(
        listed.jobs.len(),
        1,
        "one job: the refused forms stored nothing"
    );
}

#[tokio::test]
async fn a_json_stream_open_at_shutdown_finishes_and_new_calls_are_refused() {
    let sim = common::simulator(SimulatorConfig {
        latency: Duration::from_millis(100),
        ..SimulatorConfig::default()
    })
    .await;
    let mut config = test_config(sim.url());
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    // 20 batches one after another: about two seconds of stream.
    config.concurrency = 1;
    let (_, http, stop) = start_server_with_http(config).await;
    let base = format!("http://{}", http.unwrap());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let mut stream = client
        .post(format!("{base}/v1/check:stream"))
        .json(&json!({"mobiles": numbers(40_000)}))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut body = stream
        .chunk()
        .await
        .unwrap()
        .expect("a first batch")
        .to_vec();
    drop(stop);
    while let Some(chunk) = stream.chunk().await.expect("the stream runs to its end") {
        body.extend_from_slice(&chunk);
    }
    let (lines, error) = ndjson(&String::from_utf8(body).unwrap());
    assert!(error.is_none());
    let last: CheckStreamResponse =
        decode("phonecheck.v1.CheckStreamResponse", lines.last().unwrap());
    assert_eq!(last.summary.expect("the summary").total, 40_000);

    // New calls are refused: the listener is closed, or the call is told the server stops.
    match reqwest::Client::new()
        .post(format!("{base}/v1/check"))
        .json(&json!({"mobiles": ["13800138000"]}))
        .send()
        .await
    {
        Err(e) => assert!(e.is_connect() || e.is_request(), "{e}"),
        Ok(response) => {
            assert_eq!(response.status(), 503);
            assert!(response.text().await.unwrap().contains("SHUTTING_DOWN"));
        }
    }
}

#[tokio::test]
async fn json_sent_to_the_grpc_port_is_told_where_the_json_api_is() {
    let env = start(|_| {}).await;
    let response = env
        .http
        .post(format!("http://{}/v1/check", env.grpc))
        .json(&json!({"mobiles": ["13800138000"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(&format!("POST {}/v1/check", env.base)),
        "{text}"
    );
    // gRPC on the same port is unchanged.
    let mut grpc = connect(env.grpc).await;
    let answer = grpc
        .check(CheckRequest {
            mobiles: numbers(1),
            options: None,
        })
        .await
        .unwrap();
    assert_eq!(answer.into_inner().results.len(), 1);
}

#[tokio::test]
async fn an_upload_sent_in_pieces_is_read_the_same_through_both_doors_and_made_a_job_once() {
    use phonecheck::pb::{
        CreateJobRequest, CreateUploadRequest, GetUploadRequest, ReadOptions, Upload,
    };
    let env = start(|_| {}).await;
    let mut grpc = connect(env.grpc).await;
    // Pieces cut inside a character: the file is the pieces in order, whatever their size.
    let csv = include_bytes!("../examples/customers.csv");
    let pieces: Vec<CreateUploadRequest> = csv
        .chunks(7)
        .enumerate()
        .map(|(i, piece)| CreateUploadRequest {
            name: if i == 0 {
                "lists/客户.csv".to_owned()
            } else {
                String::new()
            },
            data: piece.to_vec(),
        })
        .collect();
    let upload = grpc
        .create_upload(futures::stream::iter(pieces))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(upload.name, "客户.csv");
    assert_eq!(upload.size_bytes, csv.len() as u64);
    assert_eq!(upload.columns, ["客户", "手机号", "城市"]);
    assert_eq!((upload.column, upload.has_header), (2, true));
    assert_eq!(upload.rows.len(), 4);
    assert_eq!(upload.rows[3].cells, ["赵六", "13800138000", "上海"]);
    assert_eq!(upload.rows[3].line, 5);

    // The same upload, read another way, through each door: the same answer.
    let as_data = ReadOptions {
        column: 2,
        header: phonecheck::pb::HeaderRow::Absent as i32,
        ..ReadOptions::default()
    };
    let by_grpc = grpc
        .get_upload(GetUploadRequest {
            id: upload.id.clone(),
            read_options: Some(as_data),
        })
        .await
        .unwrap()
        .into_inner();
    let (status, body) = env
        .get(&format!(
            "/v1/uploads/{}?read_options.column=2&readOptions.header=HEADER_ROW_ABSENT",
            upload.id
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let by_json: Upload = decode("phonecheck.v1.Upload", &body);
    assert_eq!(by_json, by_grpc);
    assert!(!by_json.has_header && by_json.rows.len() == 5, "{body}");

    // A preview of its job (nothing stored), then the job, over gRPC; the upload goes with it.
    let job_of = |validate_only| CreateJobRequest {
        upload_id: upload.id.clone(),
        validate_only,
        ..CreateJobRequest::default()
    };
    let preview = grpc
        .create_job(futures::stream::iter([job_of(true)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (preview.id.as_str(), preview.total, preview.invalid),
        ("", 4, 1)
    );
    let job = grpc
        .create_job(futures::stream::iter([job_of(false)]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((job.name.as_str(), job.total), ("客户.csv", 4));
    assert_eq!(job.header, ["客户", "手机号", "城市"]);
    let (status, body) = env.get(&format!("/v1/uploads/{}", upload.id)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("UPLOAD_NOT_FOUND"), "{body}");

    // JSON alone: the bytes in base64; a list of numbers alone has no columns.
    let (status, body) = env
        .post(
            "/v1/uploads",
            json!({"name": "b.txt", "data": "MTM4MDAxMzgwMDAKMTM5MDAxMzkwMDAK"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let numbers: Upload = decode("phonecheck.v1.Upload", &body);
    assert!(numbers.columns.is_empty() && numbers.column == 0, "{body}");
    assert_eq!(numbers.rows[1].cells, ["13900139000"]);
    assert_eq!(numbers.rows[1].line, 2);
    // A form to the uploads path takes the file alone.
    let (kind, form_body) = form(&[("name", "x")], Some(("a.csv", csv)));
    let response = env
        .http
        .post(env.url("/v1/uploads"))
        .header("content-type", kind)
        .body(form_body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("takes one part, \\\"file\\\"") && text.contains("BAD_UPLOAD"),
        "{text}"
    );
}
