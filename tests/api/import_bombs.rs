//! XLSX bombs at the personnel import: a few hundred KiB that unpack to gigabytes, a
//! shared-string table that asks for gigabytes up front, a sheet that declares a million
//! rows, and millions of empty cells. Each is refused 400 `invalid_import` naming the
//! limit, quickly, and a server whose address space is capped survives them all.

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use chrono::Utc;
use mobile_api::client::{Client, ClientError};
use mobile_api::*;
use reqwest::StatusCode;
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::helpers::*;
use crate::process::{ServerProcess, env_of};

const SHEET: &str = "xl/worksheets/sheet1.xml";
const SHARED_STRINGS: &str = "xl/sharedStrings.xml";
const SHEET_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#;

/// One bomb: its name, the workbook, and words the refusal's detail must contain.
struct Bomb {
    name: &'static str,
    bytes: Vec<u8>,
    names_limit: &'static str,
}

/// A real workbook (one sheet, one string cell) with `part` replaced by what `write`
/// streams into it, deflated.
fn workbook_with(part: &str, write: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .write_string(0, 0, "姓名")
        .expect("write");
    let original = book.save_to_buffer().expect("saves");
    let mut source = ZipArchive::new(Cursor::new(original)).expect("a zip");
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut write = Some(write);
    for index in 0..source.len() {
        let mut entry = source.by_index(index).expect("entry");
        let name = entry.name().expect("a UTF-8 name").into_owned();
        out.start_file(name.as_str(), options).expect("part");
        if name == part {
            if let Some(write) = write.take() {
                write(&mut out);
            }
        } else {
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("reads");
            out.write_all(&content).expect("copies");
        }
    }
    assert!(write.is_none(), "the workbook has no {part}");
    out.finish().expect("finishes").into_inner()
}

/// `count` copies of `unit`, written a mebibyte at a time.
fn repeat(out: &mut dyn Write, unit: &str, count: usize) {
    let per_chunk = (1 << 20) / unit.len();
    let chunk = unit.repeat(per_chunk);
    let mut left = count;
    while left >= per_chunk {
        out.write_all(chunk.as_bytes()).expect("writes");
        left -= per_chunk;
    }
    out.write_all(unit.repeat(left).as_bytes()).expect("writes");
}

fn bombs() -> Vec<Bomb> {
    let sheet = |body: &dyn Fn(&mut dyn Write)| {
        workbook_with(SHEET, |out| {
            out.write_all(SHEET_HEAD.as_bytes()).expect("writes");
            body(out);
            out.write_all(b"</worksheet>").expect("writes");
        })
    };
    vec![
        Bomb {
            // One shared string of 256 MiB: the 300 KiB upload that took 900 MiB.
            name: "a string that inflates to 256 MiB",
            bytes: workbook_with(SHARED_STRINGS, |out| {
                out.write_all(br#"<sst count="1" uniqueCount="1"><si><t>"#)
                    .expect("writes");
                repeat(out, "a", 256 << 20);
                out.write_all(b"</t></si></sst>").expect("writes");
            }),
            names_limit: "20 MiB",
        },
        Bomb {
            // calamine reserves room for the declared count: 2.4 GB in one allocation.
            name: "a shared-string table declaring 100 million strings",
            bytes: workbook_with(SHARED_STRINGS, |out| {
                out.write_all(
                    br#"<sst count="100000000" uniqueCount="100000000"><si><t>a</t></si></sst>"#,
                )
                .expect("writes");
            }),
            names_limit: "200000 shared strings",
        },
        Bomb {
            name: "a sheet declaring A1:XFD1048576",
            bytes: sheet(&|out| {
                out.write_all(
                    br#"<dimension ref="A1:XFD1048576"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row></sheetData>"#,
                )
                .expect("writes");
            }),
            names_limit: "1048576 rows by 16384 columns",
        },
        Bomb {
            // 16 million empty cells: seconds of parsing before.
            name: "64 MiB of empty cells",
            bytes: sheet(&|out| {
                out.write_all(b"<sheetData><row>").expect("writes");
                repeat(out, "<c/>", 16 << 20);
                out.write_all(b"</row></sheetData>").expect("writes");
            }),
            names_limit: "20 MiB",
        },
        Bomb {
            // Small enough to unpack, too many cells to read.
            name: "a million empty cells",
            bytes: sheet(&|out| {
                out.write_all(b"<sheetData>").expect("writes");
                repeat(
                    out,
                    "<row><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/></row>",
                    100_000,
                );
                out.write_all(b"</sheetData>").expect("writes");
            }),
            names_limit: "200000 cells",
        },
    ]
}

fn terms(program_id: Uuid) -> ImportAssignmentsQuery {
    ImportAssignmentsQuery {
        program_id,
        mode: AssignmentMode::Circuit,
        start_date: "2026-01-01".parse().expect("date"),
        end_date: "2026-12-31".parse().expect("date"),
        window_start: None,
        window_end: None,
        filename: Some("bomb.xlsx".into()),
        eligibility_override: None,
    }
}

/// Uploads `bomb` and checks it is refused `invalid_import` naming its limit, within
/// a bound that parsing it would not meet.
async fn assert_refused(admin: &Client, program_id: Uuid, bomb: &Bomb) {
    assert!(
        bomb.bytes.len() < 2 << 20,
        "{}: {} bytes fit the upload limit",
        bomb.name,
        bomb.bytes.len()
    );
    let started = Instant::now();
    let answer = admin
        .import_assignments(bomb.bytes.clone(), XLSX_CONTENT_TYPE, &terms(program_id))
        .await;
    let elapsed = started.elapsed();
    match answer {
        Err(ClientError::Api { status, problem }) => {
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{}: {problem:?}",
                bomb.name
            );
            assert_eq!(problem.code, "invalid_import", "{}", bomb.name);
            assert!(
                problem.detail.contains(bomb.names_limit),
                "{}: {}",
                bomb.name,
                problem.detail
            );
        }
        other => panic!("{}: {other:?}", bomb.name),
    }
    assert!(
        elapsed < Duration::from_secs(5),
        "{} took {elapsed:?}",
        bomb.name
    );
}

#[tokio::test]
async fn xlsx_bombs_are_refused_invalid_import_naming_the_limit() {
    let app = TestApp::spawn().await;
    let world = app.world().await;
    for bomb in &bombs() {
        assert_refused(&app.admin, world.program.id, bomb).await;
    }
}

/// The server runs in 1.5 GB of address space: before the limits, the declared
/// shared-string count alone asked for 2.4 GB and aborted the process.
#[tokio::test]
async fn a_server_with_a_capped_address_space_survives_the_bombs() {
    let app = TestApp::builder().at(Utc::now()).spawn().await;
    let world = app.world().await;
    let log = std::env::temp_dir().join(format!("xiaxiang-bombs-{}.log", Uuid::new_v4()));
    let mut env = env_of(&app);
    // glibc reserves 64 MiB of address space per malloc arena; keep that predictable.
    env.push(("MALLOC_ARENA_MAX".to_owned(), "2".to_owned()));
    let mut process = ServerProcess::start_with_address_space(&env, &log, 1_500_000).await;
    let admin = process.client(app.admin.token().expect("token"));
    for bomb in &bombs() {
        assert_refused(&admin, world.program.id, bomb).await;
        assert!(
            process.is_running(),
            "the server died on {}; see {}",
            bomb.name,
            log.display()
        );
    }
    process.wait_healthy().await;
    process.kill().await;
}
