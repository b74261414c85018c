//! Lists as people keep them, end to end: the real binary as a child process against a real
//! server and the simulator on loopback. Workbooks made by other writers (openpyxl, odfpy, xlwt,
//! through `tests/fixtures/workbooks.py`) go in; our workbooks are read back by openpyxl;
//! GBK and UTF-16 CSV; per-status files in a folder and a zip; what is not a list refused in
//! one line with exit status 2 and no output; a job made from a sheet gives every column back.
//!
//! The workbook cases need Python with openpyxl, odfpy, xlwt and msoffcrypto-tool (the interpreter
//! in `PHONECHECK_PYTHON`, else `python3`); without them they print `SKIPPED` and pass, unless
//! `PHONECHECK_REQUIRE_WORKBOOK_TOOLS=1` (CI) makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use phonecheck::checking::upstream::simulator::SimulatorConfig;
use phonecheck::lists::record::RESULT_COLUMNS;
use serde_json::Value;
use tokio::process::Command;

use common::{TestEnv, numbers, start};

async fn phonecheck(env: &TestEnv, args: &[&str]) -> (Option<i32>, String, String) {
    let run = Command::new(env!("CARGO_BIN_EXE_phonecheck"))
        .args(args)
        .env("PHONECHECK_SERVER", format!("http://{}", env.addr))
        .env_remove("PHONECHECK_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let Output {
        status,
        stdout,
        stderr,
    } = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("phonecheck finishes within two minutes")
        .expect("run phonecheck");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).trim().to_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The Python that makes and reads workbooks, when it has what it needs.
struct Python(String);

impl Python {
    fn find(test: &str) -> Option<Python> {
        let python = std::env::var("PHONECHECK_PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let ok = std::process::Command::new(&python)
            .arg(script())
            .arg("check")
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(Python(python));
        }
        let why = format!("{python} lacks openpyxl, odfpy, xlwt or msoffcrypto-tool");
        if std::env::var("PHONECHECK_REQUIRE_WORKBOOK_TOOLS").is_ok_and(|v| v == "1") {
            panic!("{test}: {why} (PHONECHECK_REQUIRE_WORKBOOK_TOOLS=1)");
        }
        println!("SKIPPED {test}: {why}");
        None
    }

    fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(&self.0)
            .arg(script())
            .args(args)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "workbooks.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A workbook as openpyxl reads it.
    fn dump(&self, path: &Path) -> Value {
        serde_json::from_str(&self.run(&["dump", path.to_str().unwrap()])).unwrap()
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workbooks.py")
}

/// A sheet's rows as text (empty cells as "").
fn rows(sheet: &Value) -> Vec<Vec<String>> {
    sheet["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|c| match c {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The input rows `workbooks.py customers` writes, as text, header first.
fn customer_rows(n: usize) -> Vec<Vec<String>> {
    let mut out = vec![vec![
        "客户".to_owned(),
        "手机号".to_owned(),
        "备注".to_owned(),
        "status".to_owned(),
    ]];
    for i in 0..n {
        let number = 13_100_000_000u64 + (i as u64 * 7919) % 100_000_000;
        let digits = number.to_string();
        let phone = match i % 10 {
            3 => "无".to_owned(),
            5 => format!("+86 {} {} {}", &digits[..3], &digits[3..7], &digits[7..]),
            _ => digits,
        };
        let tag = if i % 3 == 0 { "老客户" } else { "" };
        out.push(vec![
            format!("客户{i}, \"VIP\""),
            phone,
            format!("第{}行", i + 2),
            tag.to_owned(),
        ]);
    }
    out
}

/// The whole-row header for `input`'s columns: a result column named like an input column
/// takes `_result`.
fn whole_header(input: &[String]) -> Vec<String> {
    let mut header = input.to_vec();
    for name in RESULT_COLUMNS {
        if input.iter().any(|c| c == name) {
            header.push(format!("{name}_result"));
        } else {
            header.push(name.to_owned());
        }
    }
    header
}

/// Checks a results workbook against the customer rows: the first sheet named `first`,
/// every row whole and in order, the status sheets holding each row once, a summary last,
/// no number stored as a number, header frozen and filtered.
fn check_results_workbook(book: &Value, first: &str, input: &[Vec<String>]) {
    let sheets = book["sheets"].as_array().unwrap();
    assert_eq!(sheets[0]["name"], first);
    assert_eq!(sheets.last().unwrap()["name"], "summary 汇总");
    let results = rows(&sheets[0]);
    assert_eq!(results.len(), input.len(), "the header and every row");
    assert_eq!(results[0], whole_header(&input[0]));
    for (got, want) in results.iter().zip(input).skip(1) {
        assert_eq!(&got[..4], &want[..], "each row whole and in place");
        // Then the number as read; "status" is an input column here: the result's column
        // is the one after.
        let (mobile, status) = (&got[4], &got[5]);
        if want[1] == "无" {
            assert_eq!(status, "invalid", "{got:?}");
            assert_eq!(mobile, "", "{got:?}");
        } else {
            assert_eq!(mobile.len(), 11, "{got:?}");
            assert!(
                [
                    "real",
                    "empty",
                    "suspended",
                    "silent",
                    "risk",
                    "not_in_database"
                ]
                .contains(&status.as_str()),
                "{got:?}"
            );
        }
    }
    assert_eq!(sheets[0]["numeric_cells"], 0, "numbers are stored as text");
    assert_eq!(sheets[0]["freeze_panes"], "A2", "the header row is frozen");
    let last_column = (b'A' + (results[0].len() - 1) as u8) as char;
    assert_eq!(
        sheets[0]["auto_filter"],
        format!("A1:{last_column}{}", input.len()),
        "the header row is filtered"
    );
    // One sheet per status: together they hold every row once, each under its status.
    let mut listed = 0;
    for sheet in &sheets[1..sheets.len() - 1] {
        let name = sheet["name"].as_str().unwrap();
        let status = name.split(' ').next().unwrap();
        let held = rows(sheet);
        assert_eq!(held[0], results[0], "{name}: the same header");
        for row in &held[1..] {
            assert_eq!(row[5], status, "{name}: {row:?}");
        }
        listed += held.len() - 1;
    }
    assert_eq!(listed, input.len() - 1, "each row in one status sheet");
}

/// The files of a zip, unpacked into `dir`; returns their names.
fn unzip(zip: &Path, dir: &Path) -> Vec<String> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        std::fs::write(dir.join(&name), bytes).unwrap();
        names.push(name);
    }
    names
}

/// Checks a zip of per-status workbooks: each holds the input header and whole rows, and
/// together they hold every row once.
fn check_split_zip(python: &Python, zip: &Path, input: &[Vec<String>]) {
    let dir = tempfile::tempdir().unwrap();
    let names = unzip(zip, dir.path());
    assert!(names.contains(&"real.xlsx".to_owned()), "{names:?}");
    assert!(names.contains(&"invalid.xlsx".to_owned()), "{names:?}");
    let wanted: HashSet<&Vec<String>> = input[1..].iter().collect();
    let mut seen = 0;
    for name in &names {
        let book = python.dump(&dir.path().join(name));
        let held = rows(&book["sheets"][0]);
        assert_eq!(held[0][..4], input[0][..], "{name}: the input's own header");
        assert_eq!(held[0][4], "mobile", "{name}: then the number as read");
        for row in &held[1..] {
            let mut row = row.clone();
            row.resize(4, String::new());
            assert!(wanted.contains(&row), "{name}: a whole input row: {row:?}");
            if name == "invalid.xlsx" {
                assert_eq!(row[1], "无");
            }
        }
        seen += held.len() - 1;
    }
    assert_eq!(seen, input.len() - 1, "every row in one file");
}

#[tokio::test]
async fn an_excel_sheet_comes_back_whole_in_a_workbook_and_a_zip_of_rows_per_status() {
    let Some(python) = Python::find("an_excel_sheet_comes_back_whole") else {
        return;
    };
    let env = start(SimulatorConfig::default(), |c| c.max_batch = 100).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("customers.xlsx");
    python.run(&["customers", input.to_str().unwrap(), "300"]);
    let cleaned = dir.path().join("cleaned.xlsx");
    let zip = dir.path().join("lists.zip");
    let (code, _, stderr) = phonecheck(
        &env,
        &[
            "check",
            input.to_str().unwrap(),
            "--sheet",
            "名单",
            "--out",
            cleaned.to_str().unwrap(),
            "--split",
            zip.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("sheet \"名单\", column 2 \"手机号\", header skipped"),
        "{stderr}"
    );
    let expected = customer_rows(300);
    check_results_workbook(&python.dump(&cleaned), "名单", &expected);
    check_split_zip(&python, &zip, &expected);
    assert_eq!(env.sim.simulator.most_times_billed(), 1, "billed once each");
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial") || n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "nothing half-written: {leftovers:?}");

    // Without --sheet, the first sheet that holds numbers is taken (not the notes sheet).
    let again = dir.path().join("again.csv");
    let (code, _, stderr) = phonecheck(
        &env,
        &[
            "check",
            input.to_str().unwrap(),
            "--out",
            again.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("sheet \"名单\""), "{stderr}");
    // So do an ODS made by odfpy and an XLS made by xlwt, numbers stored as numbers included.
    for kind in ["ods", "xls"] {
        let book = dir.path().join(format!("short.{kind}"));
        python.run(&[kind, book.to_str().unwrap(), "5"]);
        let out = dir.path().join(format!("from-{kind}.csv"));
        let (code, _, stderr) = phonecheck(
            &env,
            &[
                "check",
                book.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .await;
        assert_eq!(code, Some(0), "{kind}: {stderr}");
        let mut csv = csv::Reader::from_path(&out).unwrap();
        let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 5, "{kind}");
        assert_eq!(&records[4][0], "客户4", "{kind}");
        assert_eq!(
            &records[4][1], "13100000004",
            "{kind}: a number reads as its digits"
        );
        assert_ne!(&records[4][2], "invalid", "{kind}");
    }
}

#[tokio::test]
async fn gbk_and_utf16_csv_with_commas_quotes_and_newlines_come_back_whole() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let table = [
        ["客户", "手机号", "备注"],
        ["张三, \"老客户\"\n第二行", "13111111111", "北京"],
        ["李四", "junk", ""],
        ["王五", "+86 132 2222 2222", "上海, 浦东"],
        ["赵六", "13111111111", "重复"],
    ];
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in &table {
        writer.write_record(row).unwrap();
    }
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    // Excel in China saves CSV as GBK.
    let gbk = dir.path().join("gbk.csv");
    let (bytes, _, lossy) = encoding_rs::GBK.encode(&text);
    assert!(!lossy);
    std::fs::write(&gbk, &bytes).unwrap();
    let out = dir.path().join("out.csv");
    let lists = dir.path().join("lists");
    let (code, _, stderr) = phonecheck(
        &env,
        &[
            "check",
            gbk.to_str().unwrap(),
            "--excel",
            "--out",
            out.to_str().unwrap(),
            "--split",
            lists.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("CSV (gb18030)"), "{stderr}");
    assert!(!stderr.contains("add --excel"), "given already: {stderr}");
    let written = std::fs::read(&out).unwrap();
    assert!(written.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(&written[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let input_header: Vec<String> = table[0].iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(header, whole_header(&input_header));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4);
    for (record, want) in records.iter().zip(&table[1..]) {
        assert_eq!(
            &record.iter().collect::<Vec<_>>()[..3],
            want,
            "cells unchanged"
        );
    }
    assert_eq!(&records[1][4], "invalid");
    assert_eq!(&records[1][3], "", "an invalid row has no number");
    assert_eq!(&records[3][11], "true", "the repeat says duplicate");
    // The per-status files hold the whole rows under the input header, then the number as
    // read, with a BOM too.
    let real = std::fs::read(lists.join(format!("{}.csv", &records[0][4]))).unwrap();
    assert!(real.starts_with(b"\xEF\xBB\xBF"));
    let mut split = csv::Reader::from_reader(&real[3..]);
    let mut split_header = table[0].to_vec();
    split_header.push("mobile");
    assert_eq!(split.headers().unwrap(), split_header.as_slice());
    let first = split.records().next().unwrap().unwrap();
    let mut first_row = table[1].to_vec();
    first_row.push(&records[0][3]);
    assert_eq!(first.iter().collect::<Vec<_>>(), first_row);
    let invalid = std::fs::read_to_string(lists.join("invalid.csv")).unwrap();
    assert_eq!(invalid, "\u{FEFF}客户,手机号,备注,mobile\n李四,junk,,\n");

    // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated, named .txt.
    let mut utf16 = vec![0xFF, 0xFE];
    let tsv = "客户\t手机号\n张三\t13111111111\n李四\t13222222222\n";
    utf16.extend(tsv.encode_utf16().flat_map(u16::to_le_bytes));
    let unicode = dir.path().join("export.txt");
    std::fs::write(&unicode, utf16).unwrap();
    let out16 = dir.path().join("out16.csv");
    let (code, _, stderr) = phonecheck(
        &env,
        &[
            "check",
            unicode.to_str().unwrap(),
            "--out",
            out16.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("TSV (UTF-16LE)"), "{stderr}");
    assert!(
        stderr.contains("the input is UTF-16LE") && stderr.contains("add --excel"),
        "a UTF-16 input without --excel: the flag is suggested: {stderr}"
    );
    let mut reader = csv::Reader::from_path(&out16).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().take(4).collect::<Vec<_>>(),
        ["客户", "手机号", "mobile", "status"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        records[1].iter().take(2).collect::<Vec<_>>(),
        ["李四", "13222222222"]
    );

    // --results-only gives the layout of where each row was and its result.
    let only = dir.path().join("only.csv");
    let (code, _, stderr) = phonecheck(
        &env,
        &[
            "check",
            gbk.to_str().unwrap(),
            "--results-only",
            "--out",
            only.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    let mut reader = csv::Reader::from_path(&only).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().take(5).collect::<Vec<_>>(),
        ["index", "line", "input", "mobile", "status"]
    );
    assert_eq!(reader.records().count(), 4);
}

#[tokio::test]
async fn what_is_not_a_list_is_refused_in_one_line_with_exit_2_and_no_output() {
    let env = start(SimulatorConfig::default(), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let python = Python::find("what_is_not_a_list_is_refused (the password-protected case)");
    let mut cases: Vec<(PathBuf, Vec<&str>, &str)> = Vec::new();

    let png = dir.path().join("numbers.csv");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    cases.push((png, vec![], "this is a PNG image, not a list of numbers"));

    let corrupt = dir.path().join("broken.xlsx");
    std::fs::write(&corrupt, b"PK\x03\x04 this zip ends here").unwrap();
    cases.push((corrupt, vec![], "not a readable workbook"));

    let ragged = dir.path().join("ragged.csv");
    std::fs::write(
        &ragged,
        "name,phone,city\nA,13111111111,X\nB,13222222222,Y,extra,cells\nC,13333333333,Z\n",
    )
    .unwrap();
    cases.push((
        ragged,
        vec![],
        "line 3 has 5 cells but the table has 3 columns",
    ));

    // A cell of 100 MB, far into the file: found by the read-through before anything is sent.
    let huge = dir.path().join("huge.csv");
    {
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&huge).unwrap());
        writeln!(file, "name,phone").unwrap();
        for i in 0..200 {
            writeln!(file, "n{i},1310000{i:04}").unwrap();
        }
        file.write_all(b"big,\"").unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            file.write_all(&chunk).unwrap();
        }
        file.write_all(b"\"\n").unwrap();
    }
    cases.push((huge, vec![], "line 202: a record longer than 1048576 bytes"));
    // The same in a text list: read no further than the limit.
    let long_line = dir.path().join("long.txt");
    let mut text = numbers(3).join("\n");
    text.push('\n');
    text.push_str(&"9".repeat(3 << 20));
    std::fs::write(&long_line, text).unwrap();
    cases.push((
        long_line,
        vec![],
        "line 4: a record longer than 1048576 bytes",
    ));

    let sheetless = dir.path().join("book.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .write_string(0, 0, "13111111111")
        .unwrap();
    book.save(&sheetless).unwrap();
    cases.push((
        sheetless,
        vec!["--sheet", "客户"],
        "no sheet named \"客户\"; the workbook has \"Sheet1\"",
    ));

    if let Some(python) = &python {
        let plain = dir.path().join("plain.xlsx");
        python.run(&["customers", plain.to_str().unwrap(), "5"]);
        let locked = dir.path().join("locked.xlsx");
        python.run(&["encrypt", plain.to_str().unwrap(), locked.to_str().unwrap()]);
        cases.push((locked, vec![], "the workbook is password-protected"));
    }

    for (input, extra, message) in cases {
        for out in ["out.csv", "out.xlsx"] {
            let out = dir.path().join(out);
            let mut args = vec![
                "check",
                input.to_str().unwrap(),
                "-q",
                "--out",
                out.to_str().unwrap(),
            ];
            args.extend(&extra);
            let (code, _, stderr) = phonecheck(&env, &args).await;
            assert_eq!(code, Some(2), "{input:?}: {stderr}");
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines.len(), 1, "one line: {stderr}");
            assert!(
                lines[0].contains(input.to_str().unwrap()) && lines[0].contains(message),
                "{input:?}: {stderr}"
            );
            assert!(!out.exists(), "{input:?}: no output left behind");
        }
    }
    assert_eq!(env.sim.simulator.stats().calls, 0, "nothing was sent");
}

#[tokio::test]
async fn a_job_made_from_a_sheet_gives_every_original_column_back() {
    let Some(python) = Python::find("a_job_made_from_a_sheet") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let jobs_dir = data.path().join("jobs");
    let env = start(SimulatorConfig::default(), move |c| {
        c.data_dir = jobs_dir;
        c.max_batch = 100;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("customers.xlsx");
    python.run(&["customers", input.to_str().unwrap(), "250"]);
    let (code, id, stderr) = phonecheck(
        &env,
        &["job", "submit", input.to_str().unwrap(), "--sheet", "名单"],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    let (code, _, stderr) = phonecheck(&env, &["job", "status", &id, "--watch"]).await;
    assert_eq!(code, Some(0), "{stderr}");

    // Without the original file: the workbook, the zip, and a CSV of whole rows.
    let results = dir.path().join("results.xlsx");
    let zip = dir.path().join("lists.zip");
    let (code, _, stderr) = phonecheck(
        &env,
        &[
            "job",
            "results",
            &id,
            "--out",
            results.to_str().unwrap(),
            "--split",
            zip.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    let expected = customer_rows(250);
    check_results_workbook(&python.dump(&results), "results", &expected);
    check_split_zip(&python, &zip, &expected);
    let csv_out = dir.path().join("results.csv");
    let (code, _, stderr) = phonecheck(
        &env,
        &["job", "results", &id, "--out", csv_out.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    let mut reader = csv::Reader::from_path(&csv_out).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        whole_header(&expected[0])
    );
    for (record, want) in reader.records().zip(&expected[1..]) {
        assert_eq!(&record.unwrap().iter().collect::<Vec<_>>()[..4], want);
    }
}

/// One list as LibreOffice exports it (tests/fixtures/libreoffice): every format gives the same
/// rows, the blank row skipped, each row at its line (a sheet's row number; in a text file the
/// line as an editor counts it, so the row after a cell holding a line break is one further).
#[test]
fn lists_libreoffice_exports_read_alike() {
    use phonecheck::lists::{InputOptions, RowReader, Source};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/libreoffice");
    let sheet = [
        (2, "13111111111"),
        (3, "+86 132-2222-2222"),
        (5, "13333333333"),
        (6, "1390013900"),
    ];
    let text = [
        (2, "13111111111"),
        (3, "+86 132-2222-2222"),
        (5, "13333333333"),
        (7, "1390013900"),
    ];
    for (file, expected) in [
        ("people.xlsx", &sheet),
        ("people.ods", &sheet),
        ("people.xls", &sheet),
        ("people-semicolons.csv", &text),
        ("people-gb18030.csv", &text),
        ("people.tsv", &text),
    ] {
        let source = Source::File(dir.join(file));
        let reader = RowReader::open(&source, &InputOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let layout = reader.layout.clone().expect("a table");
        assert_eq!(layout.columns, ["姓名", "手机", "备注"], "{file}");
        let rows: Vec<_> = reader.map(|r| r.unwrap()).collect();
        let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.input.as_str())).collect();
        assert_eq!(got, expected.to_vec(), "{file}");
        assert_eq!(rows[0].cells[2], "老客户, \"VIP\"", "{file}");
        assert_eq!(rows[2].cells[2], "第二行\n换行", "{file}");
    }
}
