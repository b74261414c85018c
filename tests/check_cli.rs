//! `phonecheck check` end to end: the real binary as a child process, against a real server
//! and the simulator on loopback. Files in, files out, exit codes, Ctrl-C and `--resume`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::lists::previous::PreviousOutput;
use phonecheck::lists::{LineStatus, OutputFormat, RowResult, RowStatus};
use tokio::process::Command;

use common::{TestEnv, numbers, start};

fn check_command(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phonecheck"));
    cmd.arg("check")
        .args(args)
        .env("PHONECHECK_SERVER", format!("http://{}", env.addr))
        .env_remove("PHONECHECK_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn run_check(env: &TestEnv, args: &[&str]) -> (Option<i32>, String) {
    let Output { status, stderr, .. } = check_command(env, args)
        .output()
        .await
        .expect("run phonecheck check");
    (status.code(), String::from_utf8_lossy(&stderr).into_owned())
}

fn read_csv(path: &Path) -> Vec<RowResult> {
    PreviousOutput::open(path, OutputFormat::Csv, None)
        .expect("output exists")
        .collect()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_csv_with_a_header_and_junk_rows_comes_out_whole_in_order_with_lists_and_a_summary() {
    let env = start(SimulatorConfig::default(), |c| c.max_batch = 500).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("numbers.csv");
    let distinct = numbers(2000);
    let mut csv = String::from("name,phone,city\n");
    let mut expected = Vec::new();
    for i in 0..3000 {
        let phone = match i % 100 {
            13 => "not a number".to_owned(),
            14 => String::new(),
            // Repeats of an earlier row's number, spelled another way.
            k if k >= 80 && i >= 1000 => format!("+86 {}", distinct[i % 1000]),
            _ => distinct[i % 2000].clone(),
        };
        csv.push_str(&format!("\"Name, {i}\",{phone},city\n"));
        expected.push(phone);
    }
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("results.csv");
    let lists = dir.path().join("lists");

    let (code, stderr) = run_check(
        &env,
        &[
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--split",
            lists.to_str().unwrap(),
            "--split-format",
            "txt",
            "--chunk",
            "777",
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("CSV, column 2 \"phone\", header skipped"),
        "{stderr}"
    );

    // Each row whole (name, phone, city), then its result columns.
    let header = csv::Reader::from_path(&out)
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    assert_eq!(
        &header.iter().collect::<Vec<_>>()[..6],
        ["name", "phone", "city", "mobile", "status", "status_name"]
    );
    let rows: Vec<RowResult> = PreviousOutput::open(&out, OutputFormat::Csv, Some((1, 3)))
        .unwrap()
        .collect();
    assert_eq!(rows.len(), 3000, "every row once");
    let mut valid = HashSet::new();
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.index, i as u64, "in input order");
        assert_eq!(
            r.cells,
            [format!("Name, {i}"), expected[i].clone(), "city".to_owned()]
        );
        assert_eq!(r.input, expected[i]);
        match i % 100 {
            13 | 14 => {
                assert_eq!(r.status, RowStatus::Invalid, "{r:?}");
                assert!(!r.note.is_empty());
            }
            _ => {
                assert!(
                    r.status.is_final() && r.status != RowStatus::Invalid,
                    "{r:?}"
                );
                assert_eq!(r.mobile.len(), 11);
                assert!(!r.checked_at.is_empty());
                assert_eq!(r.duplicate, !valid.insert(r.mobile.clone()), "{r:?}");
            }
        }
    }
    let stats = env.sim.simulator.stats();
    assert_eq!(
        stats.billed,
        valid.len() as u64,
        "each distinct number billed"
    );
    assert_eq!(env.sim.simulator.most_times_billed(), 1, "once");

    // One list per status, each number once; together they hold every distinct number.
    let mut listed = 0;
    for status in RowStatus::ALL {
        let list = lines(&lists.join(format!("{}.txt", status.name())));
        let expected: Vec<&str> = rows
            .iter()
            .filter(|r| r.status == status && !r.duplicate && !r.input.is_empty())
            .map(|r| {
                if r.mobile.is_empty() {
                    &r.input
                } else {
                    &r.mobile
                }
            })
            .map(String::as_str)
            .collect();
        assert_eq!(list, expected, "{}.txt", status.name());
        listed += list.len();
    }
    assert_eq!(
        listed,
        valid.len() + 30,
        "distinct numbers and the 30 non-blank junk rows"
    );

    // The summary: counts by status that add up, billing, invalid, duplicates.
    let real = rows
        .iter()
        .filter(|r| r.status == RowStatus::Checked(LineStatus::Real))
        .count();
    let summary: Vec<String> = stderr
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        summary
            .iter()
            .any(|l| l.starts_with(&format!("real {} ", thousands(real)))),
        "{stderr}"
    );
    assert!(
        summary.iter().any(|l| l == "total 3,000 100.00%"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "billed upstream: {} numbers",
            thousands(valid.len())
        )),
        "{stderr}"
    );
    assert!(stderr.contains("invalid: 60 · duplicates: "), "{stderr}");
}

fn thousands(n: usize) -> String {
    phonecheck::cli::report::thousands(n as u64)
}

#[tokio::test]
async fn jsonl_and_txt_outputs_and_numbers_as_arguments() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("r.jsonl");
    let args = ["13111111111", "+86 131-1111-1111", "12345", "--out"];
    let mut with_out: Vec<&str> = args.to_vec();
    with_out.push(jsonl.to_str().unwrap());
    let (code, stderr) = run_check(&env, &with_out).await;
    assert_eq!(code, Some(0), "{stderr}");
    let rows: Vec<RowResult> = PreviousOutput::open(&jsonl, OutputFormat::Jsonl, None)
        .unwrap()
        .collect();
    let got: Vec<(&str, RowStatus, bool)> = rows
        .iter()
        .map(|r| (r.input.as_str(), r.status, r.duplicate))
        .collect();
    assert_eq!(
        got,
        [
            ("13111111111", RowStatus::Checked(LineStatus::Real), false),
            (
                "+86 131-1111-1111",
                RowStatus::Checked(LineStatus::Real),
                true
            ),
            ("12345", RowStatus::Invalid, false)
        ]
    );
    assert_eq!(rows[0].area, "山西-临汾");

    let txt = dir.path().join("r.txt");
    let mut with_out: Vec<&str> = args.to_vec();
    with_out.push(txt.to_str().unwrap());
    let (code, _) = run_check(&env, &with_out).await;
    assert_eq!(code, Some(0));
    assert_eq!(
        lines(&txt),
        ["13111111111\treal", "13111111111\treal", "12345\tinvalid"]
    );
}

/// `--server` in grpcurl's `host:port` form (README's) reaches the gRPC port; pointed at the
/// HTTP port instead, the CLI says which port it should use, not a protocol error.
#[tokio::test]
async fn the_server_is_host_port_and_the_http_port_is_named_as_the_wrong_one() {
    let sim = common::simulator(SimulatorConfig::default()).await;
    let mut config = common::test_config(sim.url());
    config.http_listen = Some("127.0.0.1:0".parse().unwrap());
    let (grpc, http, _stop) = common::start_server_with_http(config).await;
    let run = |server: String| async move {
        let Output {
            status,
            stderr,
            stdout,
        } = Command::new(env!("CARGO_BIN_EXE_phonecheck"))
            .args([
                "check",
                "13111111111",
                "--results-only",
                "--server",
                &server,
            ])
            .env_remove("PHONECHECK_SERVER")
            .env_remove("PHONECHECK_API_KEY")
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run phonecheck check");
        (
            status.code(),
            String::from_utf8_lossy(&stdout).into_owned(),
            String::from_utf8_lossy(&stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(grpc.to_string()).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(",13111111111,real,"), "{stdout}");

    let (code, _, stderr) = run(format!("http://{}", http.unwrap())).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("this address answers HTTP, not phonecheck's gRPC")
            && stderr.contains("127.0.0.1:50051"),
        "{stderr}"
    );
    assert!(!stderr.contains("compression flag"), "{stderr}");
    assert_eq!(
        sim.simulator.stats().calls,
        1,
        "only the first run reached the upstream"
    );
}

/// A file that only looks like a list (no phone column, a header alone, numbers Excel wrote
/// as `1.39E+10`, a column past the last) is refused with exit status 2 before anything is
/// sent, saying what was looked at and what to do; a lone such cell says what is wrong with
/// it.
#[tokio::test]
async fn lists_that_are_not_what_they_seem_are_refused_before_anything_is_sent() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let out = dir.path().join("out.csv");
    let refused = |args: Vec<String>| {
        let env = &env;
        let out = out.clone();
        async move {
            let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
            args.extend(["--out", out.to_str().unwrap()]);
            let (code, stderr) = run_check(env, &args).await;
            assert_eq!(code, Some(2), "{stderr}");
            assert!(!out.exists(), "nothing is written: {stderr}");
            stderr
        }
    };

    // Excel's scientific notation, saved as GBK with a header the detector cannot name.
    let mut table = String::from("姓名,联系方式,备注\n");
    for i in 0..20 {
        table.push_str(&format!("客户{i},1.39E+10,\n"));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&table);
    let stderr = refused(vec![file("contacts.csv", &gbk)]).await;
    assert!(
        stderr.contains("scientific notation (like 1.39E+10)")
            && stderr.contains("\"联系方式\"")
            && stderr.contains("Format the column as text")
            && stderr.contains("nothing was sent"),
        "{stderr}"
    );

    // A header and nothing else.
    let stderr = refused(vec![file("header.csv", "name,phone,note\n".as_bytes())]).await;
    assert!(
        stderr.contains("none of its first 1 rows holds a phone number")
            && stderr.contains("\"name\", \"phone\", \"note\""),
        "{stderr}"
    );

    // Text with no number in it.
    let stderr = refused(vec![file(
        "notes.txt",
        "call back on monday\nask for 张三\n".as_bytes(),
    )])
    .await;
    assert!(
        stderr.contains("holds a phone number") && stderr.contains("as text"),
        "{stderr}"
    );

    // A column past the last.
    let customers = file(
        "customers.csv",
        "客户,手机号,备注\n张三,13111111111,vip\n".as_bytes(),
    );
    let stderr = refused(vec![customers, "--column".to_owned(), "7".to_owned()]).await;
    assert!(
        stderr.contains(
            "there is no column 7; the table has 3 columns (\"客户\", \"手机号\", \"备注\")"
        ),
        "{stderr}"
    );
    // --sheet on a file that has no sheets.
    let customers = dir.path().join("customers.csv");
    let stderr = refused(vec![
        customers.to_str().unwrap().to_owned(),
        "--sheet".to_owned(),
        "名单".to_owned(),
    ])
    .await;
    assert!(stderr.contains("drop --sheet"), "{stderr}");
    assert_eq!(env.sim.simulator.stats().calls, 0, "nothing was sent");

    // One such value among real numbers is answered invalid, saying what happened to it.
    let mixed = file(
        "mixed.csv",
        "客户,手机号\n张三,13111111111\n李四,1.39E+10\n王五,+86 138 0013 8000 ::: +86 139 0013 9000\n"
            .as_bytes(),
    );
    let (code, stderr) = run_check(&env, &[&mixed, "--out", out.to_str().unwrap()]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let rows = PreviousOutput::open(&out, OutputFormat::Csv, Some((1, 2)))
        .unwrap()
        .collect::<Vec<_>>();
    assert_eq!(rows[1].status, RowStatus::Invalid);
    assert!(
        rows[1].note.contains("scientific notation"),
        "{:?}",
        rows[1]
    );
    // A contacts export's cell holding two numbers says so.
    assert_eq!(rows[2].status, RowStatus::Invalid);
    assert!(
        rows[2].note.contains("holds 2 phone numbers"),
        "{:?}",
        rows[2]
    );
}

#[tokio::test]
async fn errors_are_one_clear_line_and_a_failing_exit_status() {
    // 1 when the server cannot be reached; 2 for a mistake in the command or the input.
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "id,mobile\n1,13111111111\n").unwrap();

    // No server there.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", free.local_addr().unwrap());
    drop(free);
    let (code, stderr) = run_check(&env, &["13111111111", "--server", &gone]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("cannot reach the server at"), "{stderr}");
    let said = stderr.split(": ").collect::<Vec<_>>();
    let mut distinct = said.clone();
    distinct.dedup();
    assert_eq!(said, distinct, "each cause is said once: {stderr}");

    // A column that is not there.
    let (code, stderr) = run_check(&env, &[input.to_str().unwrap(), "--column", "phone"]).await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("no column named \"phone\""), "{stderr}");

    // A word that is neither a file nor a number.
    let (code, stderr) = run_check(&env, &["numbres.csv"]).await;
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("neither a file nor a phone number"),
        "{stderr}"
    );

    // An empty file.
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n\n").unwrap();
    let nothing = dir.path().join("nothing.csv");
    let (code, stderr) = run_check(
        &env,
        &[empty.to_str().unwrap(), "--out", nothing.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, Some(2));
    assert!(stderr.contains("empty.txt holds no numbers"), "{stderr}");
    assert!(!nothing.exists(), "no output is made for an empty input");

    // Nothing on stdin: exit 2, and nothing on stdout (not even a header).
    let Output { status, stdout, .. } = check_command(&env, &[]).output().await.unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(stdout.is_empty(), "{}", String::from_utf8_lossy(&stdout));

    // An output that cannot be written is a mistake in the command: 2.
    let nowhere = dir.path().join("no such folder").join("out.csv");
    let (code, stderr) = run_check(
        &env,
        &[input.to_str().unwrap(), "--out", nowhere.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("out.csv"), "{stderr}");

    // --resume needs --out (clap says so, with its usage exit status).
    let (code, _) = run_check(&env, &[input.to_str().unwrap(), "--resume"]).await;
    assert_eq!(code, Some(2));
    assert_eq!(env.sim.simulator.stats().calls, 0, "nothing was sent");

    // Every row invalid: answered (exit 0), and said.
    let (code, stderr) = run_check(&env, &["12345", "1234567"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("every row is invalid"), "{stderr}");
}

#[tokio::test]
async fn quota_used_up_half_way_then_resume_bills_nothing_twice() {
    let env = start(SimulatorConfig::default(), |c| {
        c.max_batch = 100;
        c.concurrency = 1;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("list.txt");
    let mut list = numbers(1000);
    // The upstream says "quota used up" the first time it sees this number, in the 6th batch.
    list[550] = "19900010102".to_owned();
    std::fs::write(&input, list.join("\n")).unwrap();
    let out = dir.path().join("out.csv");
    let args = [input.to_str().unwrap(), "--out", out.to_str().unwrap()];

    let (code, stderr) = run_check(&env, &args).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("the upstream quota is used up"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let first = read_csv(&out);
    assert_eq!(first.len(), 1000, "the output holds every row");
    // Batches leave in input order, one at a time: rows before the failing batch are answered,
    // the rest unchecked (where the batch starts depends on how rows arrived; about 500).
    let answered = first.iter().take_while(|r| r.status.is_final()).count();
    assert!(answered <= 550, "{answered}");
    assert!(
        first[answered..]
            .iter()
            .all(|r| r.status == RowStatus::Unchecked)
    );
    assert!(
        stderr.contains(&format!("{} of 1,000 rows answered", thousands(answered))),
        "{stderr}"
    );
    assert_eq!(
        first[700].input, list[700],
        "unchecked rows keep their input"
    );
    assert_eq!(env.sim.simulator.stats().billed, answered as u64);

    let mut resume = args.to_vec();
    resume.push("--resume");
    let (code, stderr) = run_check(&env, &resume).await;
    assert_eq!(code, Some(0), "{stderr}");
    let kept = format!(
        "kept from the previous output (not sent again): {}",
        thousands(answered)
    );
    assert!(stderr.contains(&kept), "{stderr}");
    let second = read_csv(&out);
    assert_eq!(second.len(), 1000);
    assert_eq!(
        second[..answered],
        first[..answered],
        "answered rows are kept as they were"
    );
    assert!(second.iter().all(|r| r.status.is_final()));
    assert_eq!(
        env.sim.simulator.stats().billed,
        1000,
        "each number billed once in all"
    );
    assert_eq!(env.sim.simulator.most_times_billed(), 1);
    assert!(!dir.path().join("out.csv.resuming").exists());
}

#[tokio::test]
async fn ctrl_c_half_way_writes_every_row_and_resume_finishes_without_paying_twice() {
    let env = start(
        SimulatorConfig {
            latency: Duration::from_millis(200),
            ..SimulatorConfig::default()
        },
        |c| {
            c.max_batch = 100;
            c.concurrency = 1;
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("list.txt");
    std::fs::write(&input, numbers(3000).join("\n")).unwrap();
    let out = dir.path().join("out.jsonl");
    let args = [
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--window",
        "500",
    ];

    let child = check_command(&env, &args).spawn().expect("spawn");
    // Interrupt once some rows are written.
    common::eventually("100 rows written", Duration::from_secs(60), || async {
        (lines(&out).len() >= 100).then_some(())
    })
    .await;
    let pid = child.id().expect("running").to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let Output { status, stderr, .. } = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&stderr);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped: interrupted"), "{stderr}");
    let first: Vec<RowResult> = PreviousOutput::open(&out, OutputFormat::Jsonl, None)
        .unwrap()
        .collect();
    assert_eq!(
        first.len(),
        3000,
        "every row is written, unchecked ones too"
    );
    let answered = first.iter().filter(|r| r.status.is_final()).count();
    assert!((100..3000).contains(&answered), "{answered}");
    let billed_before = env.sim.simulator.stats().billed;
    assert_eq!(
        billed_before, answered as u64,
        "every billed number is in the output"
    );

    let mut resume = args.to_vec();
    resume.push("--resume");
    let (code, stderr) = run_check(&env, &resume).await;
    assert_eq!(code, Some(0), "{stderr}");
    let second: Vec<RowResult> = PreviousOutput::open(&out, OutputFormat::Jsonl, None)
        .unwrap()
        .collect();
    assert_eq!(second.len(), 3000);
    assert!(second.iter().all(|r| r.status.is_final()));
    assert_eq!(env.sim.simulator.stats().billed, 3000);
    assert_eq!(
        env.sim.simulator.most_times_billed(),
        1,
        "nothing paid twice"
    );
}
