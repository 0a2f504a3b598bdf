//! Limits an XLSX upload must keep before calamine opens it. A workbook is a ZIP of XML
//! parts and calamine trusts both: it inflates whatever a part holds and reserves memory
//! for as many shared strings as the file declares, so a 300 KiB upload could take
//! gigabytes. Here every part is inflated once into a counter (nothing kept), with the
//! total capped, and the shared-string count is read before calamine reserves for it.

use std::io::{self, BufReader, Cursor, Read};

use quick_xml::Reader as XmlReader;
use quick_xml::events::Event;
use zip::ZipArchive;

use super::{TableError, WorkbookLimit};

/// Parts in one package: Excel and WPS write about a dozen for one sheet.
pub const MAX_PARTS: usize = 500;
/// All parts together, inflated: a county's table of a few hundred rows is well under
/// 1 MiB of XML.
pub const MAX_UNPACKED_BYTES: u64 = 20 * 1024 * 1024;
/// Distinct texts in the workbook's shared-string table, declared or real.
pub const MAX_SHARED_STRINGS: u64 = 200_000;

/// What every XLSX (any ZIP, in fact) starts with: a local file header. A workbook
/// encrypted with a password is an OLE compound file instead, which calamine would
/// parse (and allocate for) before we could look at it.
const ZIP_SIGNATURE: &[u8] = b"PK\x03\x04";

/// Refuses a package that is not a plain ZIP or that would unpack beyond the limits.
pub(super) fn check(bytes: &[u8]) -> Result<(), TableError> {
    if !bytes.starts_with(ZIP_SIGNATURE) {
        return Err(TableError::Xlsx(
            "not a ZIP package (a workbook protected by a password cannot be read)".into(),
        ));
    }
    let bad = |e: zip::result::ZipError| TableError::Xlsx(e.to_string());
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    if archive.len() > MAX_PARTS {
        return Err(TableError::OverLimit(WorkbookLimit::Parts {
            max: MAX_PARTS,
        }));
    }
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let mut part = archive.by_index(index).map_err(bad)?;
        let budget = MAX_UNPACKED_BYTES - unpacked;
        // The declared size refuses an honest bomb at once; counting what actually
        // comes out refuses one whose header lies.
        if part.size() > budget {
            return Err(unpacked_too_large());
        }
        let is_shared_strings = part
            .name()
            .map_err(bad)?
            .to_ascii_lowercase()
            .ends_with("sharedstrings.xml");
        let mut counted = Counted {
            inner: (&mut part).take(budget + 1),
            bytes: 0,
        };
        if is_shared_strings {
            check_shared_strings(&mut counted)?;
        }
        io::copy(&mut counted, &mut io::sink())
            .map_err(|e| TableError::Xlsx(format!("a part cannot be inflated: {e}")))?;
        if counted.bytes > budget {
            return Err(unpacked_too_large());
        }
        unpacked += counted.bytes;
    }
    Ok(())
}

fn unpacked_too_large() -> TableError {
    TableError::OverLimit(WorkbookLimit::Unpacked {
        max_mib: MAX_UNPACKED_BYTES / (1024 * 1024),
    })
}

/// A reader that counts the bytes it hands out.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reads the shared-string table through to its end, refusing it when it declares
/// (`count`, `uniqueCount`) or holds more strings than allowed. Malformed XML is left
/// for calamine to report.
fn check_shared_strings(part: &mut impl Read) -> Result<(), TableError> {
    let too_many = || {
        TableError::OverLimit(WorkbookLimit::SharedStrings {
            max: MAX_SHARED_STRINGS,
        })
    };
    let mut xml = XmlReader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut strings: u64 = 0;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "sst" => {
                    for attribute in e.attributes().flatten() {
                        let name = attribute.key.local_name();
                        if matches!(name.as_ref(), "count" | "uniqueCount")
                            && !declares_at_most(&attribute.value, MAX_SHARED_STRINGS)
                        {
                            return Err(too_many());
                        }
                    }
                }
                "si" => {
                    strings += 1;
                    if strings > MAX_SHARED_STRINGS {
                        return Err(too_many());
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// Whether a declared count is a number no larger than `max`. Anything else (too many
/// digits to parse included) counts as too large: calamine would trust it.
fn declares_at_most(value: &str, max: u64) -> bool {
    value.trim().parse::<u64>().is_ok_and(|n| n <= max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    /// A ZIP of `(name, content)` parts, deflated.
    fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in parts {
            zip.start_file(*name, options).expect("part");
            zip.write_all(content).expect("writes");
        }
        zip.finish().expect("finishes").into_inner()
    }

    #[test]
    fn a_small_workbook_passes() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        workbook
            .add_worksheet()
            .write_string(0, 0, "姓名")
            .expect("write");
        let bytes = workbook.save_to_buffer().expect("saves");
        assert_eq!(check(&bytes), Ok(()));
    }

    #[test]
    fn a_part_that_inflates_beyond_the_limit_is_refused_before_calamine_sees_it() {
        let huge = vec![b' '; (MAX_UNPACKED_BYTES + 1) as usize];
        let bytes = package(&[("xl/worksheets/sheet1.xml", &huge)]);
        assert!(bytes.len() < 100 * 1024, "{} bytes", bytes.len());
        let err = check(&bytes).unwrap_err();
        assert_eq!(
            err,
            TableError::OverLimit(WorkbookLimit::Unpacked { max_mib: 20 })
        );
        assert!(err.to_string().contains("20 MiB"), "{err}");
    }

    #[test]
    fn parts_are_counted_together() {
        let half = vec![b' '; (MAX_UNPACKED_BYTES / 2 + 1) as usize];
        let bytes = package(&[("a.xml", &half), ("b.xml", &half)]);
        assert!(matches!(
            check(&bytes),
            Err(TableError::OverLimit(WorkbookLimit::Unpacked { .. }))
        ));
    }

    #[test]
    fn a_declared_shared_string_count_beyond_the_limit_is_refused() {
        for declared in ["200001", "100000000", "99999999999999999999999", "lots"] {
            let xml = format!(
                r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="{declared}"><si><t>a</t></si></sst>"#
            );
            let bytes = package(&[("xl/sharedStrings.xml", xml.as_bytes())]);
            let err = check(&bytes).unwrap_err();
            assert_eq!(
                err,
                TableError::OverLimit(WorkbookLimit::SharedStrings { max: 200_000 }),
                "{declared}"
            );
        }
        let honest = br#"<sst count="1" uniqueCount="1"><si><t>a</t></si></sst>"#;
        assert_eq!(check(&package(&[("xl/sharedStrings.xml", honest)])), Ok(()));
    }

    #[test]
    fn more_shared_strings_than_allowed_are_refused_whatever_is_declared() {
        let mut xml = String::from("<sst>");
        for _ in 0..=MAX_SHARED_STRINGS {
            xml.push_str("<si/>");
        }
        xml.push_str("</sst>");
        let bytes = package(&[("xl/sharedStrings.xml", xml.as_bytes())]);
        assert!(matches!(
            check(&bytes),
            Err(TableError::OverLimit(WorkbookLimit::SharedStrings { .. }))
        ));
    }

    #[test]
    fn too_many_parts_are_refused() {
        let names: Vec<String> = (0..=MAX_PARTS).map(|i| format!("p{i}.xml")).collect();
        let parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        assert_eq!(
            check(&package(&parts)),
            Err(TableError::OverLimit(WorkbookLimit::Parts { max: 500 }))
        );
    }

    #[test]
    fn something_that_is_not_a_zip_is_refused_without_parsing_it() {
        let ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 an encrypted workbook";
        assert!(matches!(check(ole), Err(TableError::Xlsx(_))));
        assert!(matches!(
            check(b"PK\x03\x04 not really"),
            Err(TableError::Xlsx(_))
        ));
    }
}
