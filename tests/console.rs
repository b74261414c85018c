//! The web console on `--http-listen`: the public API calls it makes, over real HTTP (uploads,
//! preview, cost, jobs, downloads and their builds, keys, limits), and the page itself in a
//! real browser: Debian's chromium driven
//! by playwright-core (`tests/console/e2e.mjs`) uploads a 5,000-row CSV, follows the job,
//! downloads the results and the per-status zip, and leaves a screenshot under
//! `target/tmp/console/`.
//!
//! The browser part needs `chromium` and `npm ci` in `tests/console`; without them it prints
//! `SKIPPED` and passes, unless `PHONECHECK_REQUIRE_BROWSER=1` (CI) makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// The media type of an Excel workbook.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::serving::config::{ServeConfig, UpstreamTarget};
use serde_json::{Value, json};

use common::{eventually, form, simulator, start_server_with_http, test_config};

const KEYS: &str = "team-a:team-a-key-0123456789\nteam-b:team-b-key-0123456789\n";
const KEY_A: &str = "team-a-key-0123456789";
const KEY_B: &str = "team-b-key-0123456789";

/// A server with the console on a free port; `tweak` adjusts it. Returns the console's base
/// URL and what keeps the server (and its upstream and data) alive.
async fn console(tweak: impl FnOnce(&mut ServeConfig)) -> (String, Box<dyn std::any::Any>) {
    let sim = simulator(SimulatorConfig::default()).await;
    let data = tempfile::tempdir().unwrap();
    let mut config = test_config(sim.url());
    config.data_dir = data.path().join("jobs");
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    tweak(&mut config);
    let (_, http, stop) = start_server_with_http(config).await;
    let http: SocketAddr = http.unwrap();
    (format!("http://{http}"), Box::new((sim, data, stop)))
}

fn customers(n: usize) -> String {
    let mut csv = String::from("客户,手机号,备注\n");
    for i in 0..n {
        let note = match i % 3 {
            0 => "<script>window.__xss=1</script>",
            1 => "<img src=x onerror=\"window.__xss=1\">",
            _ => "vip, \"gold\"",
        };
        let phone = if i % 50 == 7 {
            "n/a".to_owned()
        } else {
            format!("139{i:08}")
        };
        csv.push_str(&format!(
            "客户{i},{phone},\"{}\"\n",
            note.replace('"', "\"\"")
        ));
    }
    csv
}

async fn json(response: reqwest::Response) -> Value {
    response.json().await.unwrap()
}

/// Uploads `body` as the file `name` (`POST /v1/uploads`, a form as the page sends it), with
/// `key` when given.
async fn upload(
    http: &reqwest::Client,
    base: &str,
    key: Option<&str>,
    name: &str,
    body: &[u8],
) -> reqwest::Response {
    let (kind, body) = form(&[], Some((name, body)));
    let mut request = http
        .post(format!("{base}/v1/uploads"))
        .header("content-type", kind)
        .body(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

/// The message and the ErrorInfo reason of a refusal.
async fn refusal(response: reqwest::Response) -> (String, String) {
    let error = json(response).await;
    (
        error["message"].as_str().unwrap().to_owned(),
        error["details"][0]["reason"].as_str().unwrap().to_owned(),
    )
}

/// A downloaded results CSV (customer rows, the row at index 7 invalid): `mobile`, after the
/// three input columns, holds the number as read for a checked row and nothing for an
/// invalid one.
fn assert_numbers_as_read(records: &[csv::StringRecord]) {
    assert_eq!(&records[7][4], "invalid");
    assert_eq!(&records[7][3], "", "an invalid row has no number");
    assert!(
        records[0][3].len() == 11 && records[0][3].bytes().all(|b| b.is_ascii_digit()),
        "each checked row carries its number as read: {:?}",
        &records[0]
    );
}

/// Uploads `body` as `name` and starts a job from it with `key`; returns the job.
async fn job_from(
    http: &reqwest::Client,
    base: &str,
    key: Option<&str>,
    name: &str,
    body: String,
) -> Value {
    let uploaded = upload(http, base, key, name, body.as_bytes()).await;
    assert_eq!(uploaded.status(), 200);
    let preview = json(uploaded).await;
    let mut start = http
        .post(format!("{base}/v1/jobs"))
        .json(&serde_json::json!({ "upload_id": preview["id"] }));
    if let Some(key) = key {
        start = start.bearer_auth(key);
    }
    let started = start.send().await.unwrap();
    assert_eq!(started.status(), 200);
    json(started).await
}

#[tokio::test]
async fn uploads_are_previewed_made_into_jobs_and_downloaded_whole() {
    let (base, _alive) = console(|_| {}).await;
    let http = reqwest::Client::new();
    let page = http.get(&base).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"upload-input\"") && html.contains("data-keys=\"0\""));
    assert!(
        html.contains("data-statuses=\"[[&quot;real&quot;,&quot;real&quot;,&quot;实号&quot;],")
            && html.contains("[&quot;risk&quot;,&quot;risk&quot;,&quot;风险&quot;]")
            && html.contains(
                "[&quot;not_in_database&quot;,&quot;not in database&quot;,&quot;库无&quot;]"
            ),
        "the page carries the status table"
    );
    let zh = http
        .get(&base)
        .header("accept-language", "zh-CN,zh;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(zh.contains("<html lang=\"zh\""));

    let uploaded = upload(
        &http,
        &base,
        None,
        "C:\\fakepath\\客户 名单.csv",
        customers(300).as_bytes(),
    )
    .await;
    assert_eq!(uploaded.status(), 200);
    let preview = json(uploaded).await;
    assert_eq!(
        preview["name"], "客户 名单.csv",
        "the path is dropped from the name"
    );
    assert_eq!(preview["column"], 2);
    assert_eq!(preview["columns"][1], "手机号");
    assert_eq!(
        preview["rows"][0]["cells"][2],
        "<script>window.__xss=1</script>"
    );
    assert_eq!(preview["rows"][0]["line"], "2");
    assert_eq!(preview["rows"].as_array().unwrap().len(), 10);
    let id = preview["id"].as_str().unwrap();
    // Read another way: column 1 as the numbers (all invalid), no header.
    let other = http
        .get(format!(
            "{base}/v1/uploads/{id}?read_options.column=1&read_options.header=HEADER_ROW_ABSENT"
        ))
        .send()
        .await
        .unwrap();
    let other = json(other).await;
    assert_eq!(
        (other["column"].as_u64(), other["has_header"].as_bool()),
        (Some(1), Some(false))
    );
    // What it would bill, read as the page chose: nothing is stored or sent.
    let cost = json(
        http.post(format!("{base}/v1/jobs"))
            .json(&serde_json::json!({
                "upload_id": id, "read_options": { "column": 2 }, "validate_only": true,
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            &cost["id"],
            &cost["total"],
            &cost["invalid"],
            &cost["billable"]
        ),
        (&json!(""), &json!("300"), &json!("6"), &json!("294")),
        "{cost}"
    );
    let job = json(
        http.post(format!("{base}/v1/jobs"))
            .json(&serde_json::json!({
                "upload_id": id, "read_options": { "column": 2 }, "name": "march",
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(job["total"], "300");
    assert_eq!(job["header"][0], "客户");
    let again = http
        .post(format!("{base}/v1/jobs"))
        .json(&serde_json::json!({ "upload_id": id }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "an upload makes one job");
    assert_eq!(refusal(again).await.1, "UPLOAD_NOT_FOUND");
    let job_id = job["id"].as_str().unwrap().to_owned();
    let done = eventually("the job to end", Duration::from_secs(30), || {
        let (http, url) = (http.clone(), format!("{base}/v1/jobs/{job_id}"));
        async move {
            let job: Value = http.get(url).send().await.ok()?.json().await.ok()?;
            (job["state"] == "JOB_STATE_SUCCEEDED").then_some(job)
        }
    })
    .await;
    assert_eq!(done["done"], "300");

    let results = format!("{base}/v1/jobs/{job_id}/results");
    let csv = http
        .get(&results)
        .header("accept", "text/csv; bom=true")
        .send()
        .await
        .unwrap();
    let disposition = csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename=\"march-results.csv\""),
        "{disposition}"
    );
    let body = csv.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().take(5).collect::<Vec<_>>(),
        ["客户", "手机号", "备注", "mobile", "status"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 300);
    assert_eq!(&records[7][1], "n/a");
    assert_numbers_as_read(&records);
    assert_eq!(&records[2][2], "vip, \"gold\"");

    // A workbook is built whole first; the page names it to ask how far the build got.
    let xlsx = http
        .get(&results)
        .header("accept", XLSX)
        .header("phonecheck-build", "page-token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
    let build = json(
        http.get(format!("{base}/v1/builds/page-token-1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        build,
        serde_json::json!({"rows": "300", "total": "300", "done": true}),
        "every row was handed to the workbook"
    );
    let unknown = http
        .get(format!("{base}/v1/builds/page-token-2"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(refusal(unknown).await.1, "BUILD_NOT_FOUND");
    let bad = http
        .get(&results)
        .header("accept", "application/zip")
        .header("phonecheck-build", "no")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("token is 8 to 64"));

    let zip = http
        .get(&results)
        .header("accept", "application/zip")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    let (mut rows, mut invalid_rows) = (0, 0);
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let invalid = file.name().unwrap() == "invalid.csv";
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            ["客户", "手机号", "备注", "mobile"],
            "the input's own header, then the number as read"
        );
        for record in reader.records() {
            let record = record.unwrap();
            assert_eq!(record[3].is_empty(), invalid, "{record:?}");
            rows += 1;
            invalid_rows += u64::from(invalid);
        }
    }
    assert_eq!(rows, 300, "every row in one status file");

    let summary = json(
        http.get(format!("{base}/v1/jobs/{job_id}/summary"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!summary["provinces"].as_array().unwrap().is_empty());
    // The charts count every answered row (the simulator gives each a carrier), from the
    // counts the job kept as it was checked.
    let carriers: u64 = summary["carriers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["inputs"].as_str().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(carriers, 300 - invalid_rows, "{summary}");

    let listed = json(http.get(format!("{base}/v1/jobs")).send().await.unwrap()).await;
    assert_eq!(listed["jobs"][0]["id"], job_id.as_str());
    let deleted = http
        .delete(format!("{base}/v1/jobs/{job_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
}

#[tokio::test]
async fn a_demo_servers_console_says_its_answers_are_simulated() {
    let http = reqwest::Client::new();
    let (real, _alive) = console(|_| {}).await;
    let page = http.get(&real).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("data-demo=\"0\""),
        "a real upstream: no banner"
    );
    let (demo, _alive) = console(|c| c.upstream = UpstreamTarget::Demo).await;
    let page = http.get(&demo).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("data-demo=\"1\"") && page.contains("data-testid=\"demo\""),
        "the page shows the demo banner"
    );
}

#[tokio::test]
async fn bad_files_and_big_files_are_refused_with_a_clear_message() {
    let (base, _alive) = console(|c| c.max_upload = 10_000).await;
    let http = reqwest::Client::new();
    let big = upload(&http, &base, None, "big.csv", customers(1000).as_bytes()).await;
    assert_eq!(big.status(), 413);
    let (message, reason) = refusal(big).await;
    assert_eq!(reason, "UPLOAD_TOO_LARGE");
    assert!(
        message.contains("larger than this server accepts (10.0 kB)"),
        "{message}"
    );
    let png = upload(
        &http,
        &base,
        None,
        "photo.csv",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .await;
    assert_eq!(png.status(), 400);
    assert_eq!(
        refusal(png).await,
        (
            "photo.csv: this is a PNG image, not a list of numbers".to_owned(),
            "LIST_UNREADABLE".to_owned()
        )
    );

    // A text without numbers: the advice names the API's choices, not the CLI's flags.
    let notes = upload(&http, &base, None, "notes.txt", b"hello\nworld\n").await;
    assert_eq!(notes.status(), 400);
    let (message, reason) = refusal(notes).await;
    assert_eq!(reason, "LIST_UNREADABLE");
    assert!(
        message.contains("a file name ending .csv or .tsv")
            && message.contains("read_options.column")
            && !message.contains("--"),
        "{message}"
    );

    // An empty file is refused at upload, before any job exists (the page says it in the
    // browser's language, by the reason).
    let empty = upload(&http, &base, None, "empty.csv", b"\n\n").await;
    assert_eq!(empty.status(), 400);
    let (message, reason) = refusal(empty).await;
    assert_eq!(reason, "NO_NUMBERS");
    assert!(message.contains("empty.csv holds no numbers"), "{message}");

    // A column past the last is refused, for the preview and for the job, and the upload is
    // kept for another try.
    let uploaded = upload(&http, &base, None, "list.csv", customers(5).as_bytes()).await;
    assert_eq!(uploaded.status(), 200);
    let id = json(uploaded).await["id"].as_str().unwrap().to_owned();
    let past = http
        .get(format!("{base}/v1/uploads/{id}?read_options.column=9"))
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 400);
    let (message, reason) = refusal(past).await;
    assert_eq!(reason, "LIST_UNREADABLE");
    assert!(
        message.contains("there is no column 9; the table has 3 columns"),
        "{message}"
    );
    let start = http
        .post(format!("{base}/v1/jobs"))
        .json(&serde_json::json!({ "upload_id": id, "read_options": { "column": 9 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 400);
    let (message, reason) = refusal(start).await;
    assert_eq!(reason, "LIST_UNREADABLE");
    assert!(message.contains("there is no column 9"), "{message}");
    let kept = http
        .get(format!("{base}/v1/uploads/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 200, "a refused job leaves its upload");
    // A job of an upload is the upload alone.
    let both = http
        .post(format!("{base}/v1/jobs"))
        .json(&serde_json::json!({ "upload_id": id, "mobiles": ["13800138000"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    assert_eq!(refusal(both).await.1, "UPLOAD_WITH_MOBILES");
    let listed = json(http.get(format!("{base}/v1/jobs")).send().await.unwrap()).await;
    assert!(
        listed["jobs"].as_array().unwrap().is_empty(),
        "nothing refused became a job: {listed}"
    );
}

#[tokio::test]
async fn with_keys_every_route_needs_one_and_shows_only_that_names_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, KEYS).unwrap();
    let (base, _alive) = console(|c| c.api_keys_file = Some(keys)).await;
    let http = reqwest::Client::new();
    let html = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-keys=\"1\"") && html.contains("data-testid=\"api-key\""));
    for path in ["/v1/jobs", "/v1/usage"] {
        let refused = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(refused.status(), 401, "{path}");
    }
    let refused = upload(&http, &base, None, "a.csv", customers(5).as_bytes()).await;
    assert_eq!(refused.status(), 401);
    // An upload is its key name's: another name is told there is none.
    let of_a =
        json(upload(&http, &base, Some(KEY_A), "a.csv", customers(5).as_bytes()).await).await;
    let upload_of_a = of_a["id"].as_str().unwrap();
    for (key, status) in [(KEY_A, 200), (KEY_B, 404)] {
        let read = http
            .get(format!("{base}/v1/uploads/{upload_of_a}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), status, "{key}");
    }
    let job = job_from(&http, &base, Some(KEY_A), "a.csv", customers(20)).await;
    let id = job["id"].as_str().unwrap();
    let of_b = json(
        http.get(format!("{base}/v1/jobs"))
            .bearer_auth(KEY_B)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        of_b["jobs"].as_array().unwrap().is_empty(),
        "B sees none of A's jobs"
    );
    for (path, accept) in [
        ("/v1/jobs/{id}", "application/json"),
        ("/v1/jobs/{id}:watch", "text/event-stream"),
        ("/v1/jobs/{id}/results", "text/csv"),
        ("/v1/jobs/{id}/results", "application/zip"),
    ] {
        let path = path.replace("{id}", id);
        let other = http
            .get(format!("{base}{path}"))
            .header("accept", accept)
            .bearer_auth(KEY_B)
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404, "{path}");
    }
    // A's workbook build is A's to follow: B is told there is none.
    let built = http
        .get(format!("{base}/v1/jobs/{id}/results"))
        .header("accept", XLSX)
        .header("phonecheck-build", "build-of-a")
        .bearer_auth(KEY_A)
        .send()
        .await
        .unwrap();
    assert_eq!(built.status(), 200);
    for (key, status) in [(KEY_A, 200), (KEY_B, 404)] {
        let build = http
            .get(format!("{base}/v1/builds/build-of-a"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(build.status(), status, "{key}");
    }
    let of_a = json(
        http.get(format!("{base}/v1/jobs"))
            .bearer_auth(KEY_A)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(of_a["jobs"][0]["id"], id);

    if let Some(browser) = Browser::find("with_keys (in the browser)") {
        let out = browser.out("keys");
        let seen = browser
            .run(&["keys", &base, out.to_str().unwrap(), KEY_A, KEY_B])
            .await;
        assert_eq!(seen["signInShown"], true, "{seen}");
        assert_eq!(seen["uploadHidden"], true, "{seen}");
        assert_eq!(seen["badKeyRefused"], true);
        assert_eq!(seen["jobsOfA"], 1);
        assert_eq!(seen["jobsOfB"], 0, "another key's jobs are not listed");
    }
}

/// Debian's chromium and playwright-core, when both are there.
struct Browser {
    chromium: String,
}

impl Browser {
    fn find(test: &str) -> Option<Browser> {
        let chromium =
            std::env::var("PHONECHECK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let modules = e2e_dir().join("node_modules/playwright-core");
        let why = if !Path::new(&chromium).exists() {
            format!("no browser at {chromium} (apt install chromium)")
        } else if !modules.exists() {
            "no playwright-core (npm ci in tests/console)".to_owned()
        } else {
            return Some(Browser { chromium });
        };
        if std::env::var("PHONECHECK_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("{test}: {why} (PHONECHECK_REQUIRE_BROWSER=1)");
        }
        println!("SKIPPED {test}: {why}");
        None
    }

    /// A folder under target/tmp/console for this run's files.
    fn out(&self, what: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("console")
            .join(what);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Runs the browser script (while this test's runtime serves the console); returns the
    /// JSON line it prints. It stops itself (its own waits have deadlines); two minutes at most.
    async fn run(&self, args: &[&str]) -> Value {
        let run = tokio::process::Command::new("node")
            .arg(e2e_dir().join("e2e.mjs"))
            .args(args)
            .env("PHONECHECK_CHROMIUM", &self.chromium)
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(Duration::from_secs(120), run)
            .await
            .expect("the browser script ends within two minutes")
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "e2e.mjs {args:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
    }
}

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console")
}

#[tokio::test]
async fn in_a_browser_a_dropped_list_is_checked_and_both_files_downloaded() {
    let Some(browser) = Browser::find("in_a_browser") else {
        return;
    };
    // One upstream call a second of 1,000 numbers: the progress bar has time to move.
    let (base, _alive) = console(|c| {
        c.qps = std::num::NonZeroU32::new(1);
        c.max_batch = 1000;
    })
    .await;
    let out = browser.out("upload");
    std::fs::write(out.join("list.csv"), customers(5000)).unwrap();
    let started = tokio::time::Instant::now();
    let seen = browser.run(&["upload", &base, out.to_str().unwrap()]).await;
    println!("browser run in {:?}: {seen}", started.elapsed());
    assert_eq!(seen["lang"], "zh", "the browser asked for Chinese");
    assert_eq!(
        seen["emptyRefused"], "empty.csv 中没有号码：请上传一个含有手机号的文件",
        "the refusal in the page's language"
    );
    assert!(seen["scriptShownAsText"].as_u64().unwrap() > 0, "{seen}");
    assert_eq!(seen["xss"], false, "no markup from a cell ran");
    assert_eq!(seen["column"], "2");
    let values = seen["progressValues"].as_array().unwrap();
    assert!(values.len() >= 3, "the progress bar moved: {values:?}");
    assert_eq!(values.last().unwrap(), 5000);
    assert!(seen["charts"].as_u64().unwrap() >= 1);
    // Before Start, what the list would bill (4,900 distinct numbers, 100 invalid); after it,
    // this month's usage with what it billed.
    let cost = seen["cost"].as_str().unwrap();
    assert!(
        cost.contains("4,900 个号码") && cost.contains("100 个无效") && cost.contains("5,000 行"),
        "{cost}"
    );
    let usage = seen["usage"].as_str().unwrap();
    assert!(usage.contains("计费 4,900 个号码"), "{usage}");
    assert!(seen["errors"].as_array().unwrap().is_empty(), "{seen}");
    assert_eq!(seen["results.csv"], "list-results.csv");
    assert_eq!(seen["by-status.zip"], "list-by-status.zip");
    assert_eq!(seen["results.xlsx"], "list-results.xlsx");
    assert!(
        std::fs::read(out.join("results.xlsx"))
            .unwrap()
            .starts_with(b"PK\x03\x04"),
        "a workbook, fetched with its build followed"
    );
    assert_eq!(seen["downloadStatus"], "", "{seen}");

    let results = std::fs::read(out.join("results.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(&results[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().take(5).collect::<Vec<_>>(),
        ["客户", "手机号", "备注", "mobile", "status"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 5000);
    assert_eq!(
        &records[0][2], "<script>window.__xss=1</script>",
        "cells unchanged"
    );
    assert_numbers_as_read(&records);
    // History shows when a job was made in the browser's zone (Shanghai here), saying so.
    let created = seen["created"].as_str().unwrap();
    assert!(
        ["GMT+8", "UTC+8", "CST"]
            .iter()
            .any(|zone| created.contains(zone)),
        "{created}"
    );
    // The counts are labelled from the server's status table, in the page's language.
    let counts = seen["counts"].as_str().unwrap();
    assert!(
        counts.contains("实号:") && counts.contains("无效:"),
        "{counts}"
    );
    let zip = std::fs::File::open(out.join("by-status.zip")).unwrap();
    let archive = zip::ZipArchive::new(zip).unwrap();
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.unwrap().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == "real.csv") && names.iter().any(|n| n == "invalid.csv"),
        "{names:?}"
    );
    assert!(out.join("console.png").exists(), "a screenshot is kept");
}
