//! `phonecheck job` end to end: the real binary as a child process against a real server with
//! a data directory and the simulator: submit a CSV, watch it, download every row, list,
//! cancel, resume, delete; and `serve` refusing an unusable data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Output, Stdio};

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::lists::previous::PreviousOutput;
use phonecheck::lists::{OutputFormat, RowResult, RowStatus};
use tokio::process::Command;

use common::{TestEnv, numbers, start};

async fn job(env: &TestEnv, args: &[&str]) -> (Option<i32>, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_phonecheck"))
        .arg("job")
        .args(args)
        .env("PHONECHECK_SERVER", format!("http://{}", env.addr))
        .env_remove("PHONECHECK_API_KEY")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .expect("run phonecheck job");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).trim().to_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[tokio::test]
async fn submit_watch_and_download_a_csv_job_then_list_cancel_resume_and_delete() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = dir.join("jobs");
        c.max_batch = 500;
    })
    .await;
    let files = tempfile::tempdir().unwrap();
    let input = files.path().join("customers.csv");
    let distinct = numbers(3000);
    let mut csv = String::from("name,phone\n");
    let mut expected = Vec::new();
    for i in 0..4000 {
        let phone = match i % 100 {
            7 => "n/a".to_owned(),
            k if k >= 75 => distinct[i % 1000].clone(),
            _ => distinct[i % 3000].clone(),
        };
        csv.push_str(&format!("customer {i},{phone}\n"));
        expected.push(phone);
    }
    std::fs::write(&input, csv).unwrap();

    let (code, id, stderr) = job(&env, &["submit", input.to_str().unwrap()]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(id.starts_with("j_"), "the id on stdout: {id:?}");
    assert!(stderr.contains("4,000 rows"), "{stderr}");

    let (code, status, stderr) = job(&env, &["status", &id, "--watch"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(status.contains("succeeded"), "{status}");
    assert!(
        status.contains("customers.csv"),
        "named after the file: {status}"
    );

    let out = files.path().join("results.csv");
    let (code, _, stderr) = job(&env, &["results", &id, "--out", out.to_str().unwrap()]).await;
    assert_eq!(code, Some(0), "{stderr}");
    // The rows the job kept come back whole, then the result columns.
    let rows: Vec<RowResult> = PreviousOutput::open(&out, OutputFormat::Csv, Some((1, 2)))
        .unwrap()
        .collect();
    assert_eq!(rows.len(), expected.len(), "every row");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.index as usize, i);
        assert_eq!(row.input, expected[i]);
        assert_eq!(row.cells, [format!("customer {i}"), expected[i].clone()]);
        if expected[i] == "n/a" {
            assert_eq!(row.status, RowStatus::Invalid);
        } else {
            assert!(
                row.status.is_final() && row.status != RowStatus::Invalid,
                "{row:?}"
            );
        }
    }
    assert_eq!(env.sim.simulator.most_times_billed(), 1);

    // A second job, cancelled at once (the first may be done; this one is queued or running).
    let slow = files.path().join("more.txt");
    std::fs::write(&slow, numbers(20_000).join("\n")).unwrap();
    // --callback reaches the server, which sends no webhooks without a secret: refused, in
    // one line saying so, and no job is made.
    let (code, _, stderr) = job(
        &env,
        &[
            "submit",
            slow.to_str().unwrap(),
            "--callback",
            "https://example.com/hook",
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("--webhook-secret-file"), "{stderr}");
    let (code, second, _) = job(&env, &["submit", slow.to_str().unwrap(), "--name", "more"]).await;
    assert_eq!(code, Some(0));
    let (code, cancelled, _) = job(&env, &["cancel", &second]).await;
    assert_eq!(code, Some(0));
    assert!(
        cancelled.contains("cancelled") || cancelled.contains("succeeded"),
        "{cancelled}"
    );
    let (_, listed, _) = job(&env, &["list"]).await;
    let mut lines = listed.lines();
    let header = lines.next().unwrap_or("");
    assert!(
        header.starts_with("ID") && header.contains("CREATED"),
        "{listed}"
    );
    let order: Vec<&str> = lines
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(
        order,
        [second.as_str(), id.as_str()],
        "newest first: {listed}"
    );

    let (code, _, _) = job(&env, &["resume", &second]).await;
    assert_eq!(code, Some(0));
    let (code, resumed, stderr) = job(&env, &["status", &second, "--watch"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(resumed.contains("20,000 of 20,000"), "{resumed}");

    // The first job succeeded: cancelling or resuming it says there is nothing to do.
    let (code, _, stderr) = job(&env, &["cancel", &id]).await;
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("had already ended (succeeded); nothing to cancel"),
        "{stderr}"
    );
    let (code, _, stderr) = job(&env, &["resume", &id]).await;
    assert_eq!(code, Some(0));
    assert!(stderr.contains("nothing to resume"), "{stderr}");

    let (code, _, _) = job(&env, &["delete", &id]).await;
    assert_eq!(code, Some(0));
    let (code, _, stderr) = job(&env, &["status", &id]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("NotFound"), "{stderr}");
    assert!(stderr.contains("has no such job"), "{stderr}");
}

/// `job results` of a job that stopped part way says how to go on (`job resume ID`), not to
/// wait for a job that will not move by itself.
#[tokio::test]
async fn the_results_of_a_failed_job_say_to_resume_it() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = dir.join("jobs");
        c.max_batch = 100;
    })
    .await;
    let files = tempfile::tempdir().unwrap();
    let input = files.path().join("list.txt");
    // The last number makes every call holding it answer 102 (quota used up): the job fails
    // with that batch's numbers unanswered.
    let mut list = numbers(300);
    list.push("19900000102".to_owned());
    std::fs::write(&input, list.join("\n")).unwrap();
    let (code, id, stderr) = job(&env, &["submit", input.to_str().unwrap()]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let (code, status, _) = job(&env, &["status", &id, "--watch"]).await;
    assert_eq!(code, Some(1));
    assert!(status.contains("failed"), "{status}");
    let (code, status, _) = job(&env, &["status", &id]).await;
    assert_eq!(code, Some(1), "as with --watch: {status}");

    let out = files.path().join("results.csv");
    let (code, _, stderr) = job(&env, &["results", &id, "--out", out.to_str().unwrap()]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("the job failed")
            && stderr.contains(&format!("`phonecheck job resume {id}`"))
            && !stderr.contains("run again later"),
        "{stderr}"
    );
    // Every row is written: those the job never sent as `unchecked`, as `check` writes them,
    // saying why.
    let rows: Vec<RowResult> = PreviousOutput::open(&out, OutputFormat::Csv, None)
        .unwrap()
        .collect();
    assert_eq!(rows.len(), list.len(), "every row: {stderr}");
    let unchecked: Vec<&RowResult> = rows
        .iter()
        .filter(|r| r.status == RowStatus::Unchecked)
        .collect();
    assert!(!unchecked.is_empty(), "the batch holding 102 is unanswered");
    assert!(
        unchecked.iter().any(|r| r.input == "19900000102"),
        "{unchecked:?}"
    );
    for r in &unchecked {
        assert!(
            r.note.starts_with("not checked: the job failed first")
                && r.note.contains("quota is used up"),
            "{r:?}"
        );
        assert!(r.status_name.is_empty() && r.checked_at.is_empty(), "{r:?}");
    }
    assert!(
        rows.iter()
            .all(|r| r.status == RowStatus::Unchecked || r.status.is_final()),
        "the rest answered"
    );
    assert!(
        stderr.contains(&format!("{} of them unchecked", unchecked.len())),
        "{stderr}"
    );
}

/// A job stopped by its own cap is told to resume with a cap high enough for the rest, and
/// that command finishes it, billing each number once.
#[tokio::test]
async fn a_capped_job_says_how_to_raise_its_cap_and_that_command_finishes_it() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = dir.join("jobs");
        c.max_batch = 100;
    })
    .await;
    let files = tempfile::tempdir().unwrap();
    let input = files.path().join("list.txt");
    std::fs::write(&input, numbers(1_000).join("\n")).unwrap();
    let submit = ["submit", input.to_str().unwrap(), "--max-billed", "300"];
    let (code, id, stderr) = job(&env, &submit).await;
    assert_eq!(code, Some(0), "{stderr}");
    let (code, status, _) = job(&env, &["status", &id, "--watch"]).await;
    assert_eq!(code, Some(1), "{status}");
    // 300 billed of 1,000 rows: 700 rows left, so a cap of 1,000 covers them.
    let resume = format!("phonecheck job resume {id} --max-billed 1000");
    assert!(
        status.contains("billed its cap of 300") && status.contains(&resume),
        "{status}"
    );
    let out = files.path().join("results.csv");
    let (code, _, stderr) = job(&env, &["results", &id, "--out", out.to_str().unwrap()]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(&format!("`{resume}`")), "{stderr}");

    let args: Vec<&str> = resume.split(' ').skip(1).collect();
    let (code, _, stderr) = job(&env, &args[1..]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let (code, status, _) = job(&env, &["status", &id, "--watch"]).await;
    assert_eq!(code, Some(0), "{status}");
    assert!(status.contains("billed 1,000"), "{status}");
    assert_eq!(env.sim.simulator.stats().billed, 1_000, "each number once");
}

/// `line` means one thing whatever the path: the row's line in the file (the header and blank
/// lines counted), in `check` and in a job's results alike.
#[tokio::test]
async fn check_and_a_job_give_the_same_line_for_each_row() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = dir.join("jobs");
    })
    .await;
    let files = tempfile::tempdir().unwrap();
    let n = numbers(3);
    let csv = files.path().join("list.csv");
    std::fs::write(
        &csv,
        format!("name,phone\nA,{}\n\nB,{}\nC,{}\n", n[0], n[1], n[2]),
    )
    .unwrap();
    let text = files.path().join("list.txt");
    std::fs::write(&text, format!("{}\n\n\n{}\n{}\n", n[0], n[1], n[2])).unwrap();

    for (file, lines) in [(&csv, [2, 4, 5]), (&text, [1, 4, 5])] {
        let checked = files.path().join("checked.csv");
        let output = Command::new(env!("CARGO_BIN_EXE_phonecheck"))
            .args(["check", file.to_str().unwrap(), "--results-only", "--out"])
            .arg(&checked)
            .env("PHONECHECK_SERVER", format!("http://{}", env.addr))
            .env_remove("PHONECHECK_API_KEY")
            .stdin(Stdio::null())
            .output()
            .await
            .expect("run phonecheck check");
        assert!(output.status.success(), "{output:?}");

        let (code, id, stderr) = job(&env, &["submit", file.to_str().unwrap()]).await;
        assert_eq!(code, Some(0), "{stderr}");
        let (code, _, stderr) = job(&env, &["status", &id, "--watch"]).await;
        assert_eq!(code, Some(0), "{stderr}");
        let fetched = files.path().join("fetched.csv");
        let (code, _, stderr) = job(
            &env,
            &[
                "results",
                &id,
                "--results-only",
                "--out",
                fetched.to_str().unwrap(),
            ],
        )
        .await;
        assert_eq!(code, Some(0), "{stderr}");

        let line_column = |path: &std::path::Path| -> Vec<u64> {
            let mut reader = csv::Reader::from_path(path).unwrap();
            assert_eq!(&reader.headers().unwrap()[1], "line");
            reader
                .records()
                .map(|r| r.unwrap()[1].parse().unwrap())
                .collect()
        };
        assert_eq!(line_column(&checked), lines, "check, {}", file.display());
        assert_eq!(line_column(&fetched), lines, "job, {}", file.display());
    }
}

#[tokio::test]
async fn serve_refuses_an_unusable_data_dir_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_phonecheck"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .args(["--data-dir", file.to_str().unwrap()])
        .env_remove("PHONECHECK_LISTEN")
        .output()
        .await
        .expect("run serve");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("phonecheck: --data-dir") && last.contains("not-a-dir"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), b"x", "left as it was");
}

/// `--dry-run` says what a list would bill, for `check` and `job submit` alike, and sends
/// nothing: no upstream call, no job.
#[tokio::test]
async fn a_dry_run_says_what_the_list_would_bill_and_sends_nothing() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = dir.join("jobs");
    })
    .await;
    let n = numbers(50);
    // 10 already cached.
    env.check(n[..10].to_vec()).await;
    let billed = env.sim.simulator.stats().billed;
    let files = tempfile::tempdir().unwrap();
    let csv = files.path().join("list.csv");
    let mut text = String::from("name,phone\n");
    for (i, number) in n.iter().enumerate() {
        text.push_str(&format!("c{i},{number}\n"));
    }
    text.push_str("junk,12345\nrepeat,");
    text.push_str(&n[0]);
    text.push('\n');
    std::fs::write(&csv, text).unwrap();

    let expected = "checking it now would bill 40 numbers: 52 rows, 50 distinct numbers, 10 answered from the server's cache, 1 invalid, 1 repeats; nothing was sent";
    let output = Command::new(env!("CARGO_BIN_EXE_phonecheck"))
        .args(["check", csv.to_str().unwrap(), "--dry-run"])
        .env("PHONECHECK_SERVER", format!("http://{}", env.addr))
        .env_remove("PHONECHECK_API_KEY")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run phonecheck check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout.contains(expected), "{stdout}");
    let (code, said, stderr) = job(&env, &["submit", csv.to_str().unwrap(), "--dry-run"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(said.contains(expected), "{said}");
    let (_, listed, stderr) = job(&env, &["list"]).await;
    assert!(
        listed.is_empty() && stderr.contains("no jobs"),
        "{listed} {stderr}"
    );
    assert_eq!(env.sim.simulator.stats().billed, billed, "nothing was sent");
}
