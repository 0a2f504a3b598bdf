//! The 对口支援工作医师考核登记表 as a print-ready page (A4, Chinese, signature and seal
//! lines) and as a one-sheet workbook, and the public notice (晋升前信息公示) as a
//! page and a table.

use std::fmt::Write as _;

use mobile_api::{
    AssignmentMode, Discipline, Gender, OpinionSigner, PromotionForm, PromotionNotice,
    PromotionStatus,
};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use super::xlsx::{Formats, merged};
use super::{Cell, Column, RenderError, Table};
use crate::domain::promotion::trim_number;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

pub fn gender_zh(gender: Option<Gender>) -> &'static str {
    match gender {
        Some(Gender::Male) => "男",
        Some(Gender::Female) => "女",
        None => "—",
    }
}

fn discipline_zh(d: Option<Discipline>) -> &'static str {
    match d {
        Some(Discipline::Clinical) => "临床",
        Some(Discipline::Tcm) => "中医",
        Some(Discipline::Nursing) => "护理",
        Some(Discipline::PublicHealth) => "公共卫生",
        Some(Discipline::Pharmacy) => "药学",
        Some(Discipline::Technician) => "医技",
        None => "—",
    }
}

fn mode_zh(mode: AssignmentMode) -> &'static str {
    match mode {
        AssignmentMode::Circuit => "巡诊",
        AssignmentMode::Dispatch => "派驻",
    }
}

fn or_dash(text: Option<&str>) -> String {
    text.filter(|t| !t.is_empty()).unwrap_or("—").to_owned()
}

/// The form's lines as label and value, shared by the page and the workbook.
struct Summary {
    personal: Vec<(&'static str, String)>,
    service: Vec<(&'static str, String)>,
    assessment: Vec<(&'static str, String)>,
}

fn summary(form: &PromotionForm) -> Summary {
    let p = &form.physician;
    let span = form.longest_span.as_ref().map_or_else(
        || "无".to_owned(),
        |s| {
            format!(
                "{}个月（{}，{}至{}）",
                s.months, s.site_name, s.first_day, s.last_day
            )
        },
    );
    let basis = form
        .program_years
        .iter()
        .map(|y| {
            format!(
                "{}：计入{}天，{}，折合{}年",
                y.program_name,
                trim_number(y.credited_days),
                y.basis_zh,
                trim_number(y.years)
            )
        })
        .collect::<Vec<_>>()
        .join("；");
    let external = if form.external_services.is_empty() {
        "无".to_owned()
    } else {
        form.external_services
            .iter()
            .map(|e| {
                format!(
                    "{}（{}，{}至{}，{}天，证明文件：{}）",
                    e.kind_zh,
                    e.place,
                    e.start_date,
                    e.end_date,
                    e.calendar_days,
                    e.evidence_number
                )
            })
            .collect::<Vec<_>>()
            .join("；")
    };
    let fraud = if form.fraud.is_empty() {
        "无".to_owned()
    } else {
        form.fraud
            .iter()
            .map(|f| {
                format!(
                    "{}（{}，{}查实：{}）{}，至{}",
                    f.label_zh,
                    f.site_name.as_deref().unwrap_or("—"),
                    f.confirmed_on,
                    f.review_note,
                    f.consequence_zh,
                    f.barred_until
                )
            })
            .collect::<Vec<_>>()
            .join("；")
    };
    let satisfaction = form.satisfaction.as_ref().map_or_else(
        || "无测评记录".to_owned(),
        |s| {
            format!(
                "测评{}轮，拨打{}人次，接通{}人次：满意{}、基本满意{}、不满意{}",
                s.rounds, s.calls, s.reached, s.satisfied, s.basic, s.unsatisfied
            )
        },
    );
    let v = &form.verdict;
    Summary {
        personal: vec![
            ("姓名", p.name.clone()),
            ("性别", gender_zh(p.gender).to_owned()),
            ("派出单位", or_dash(p.hospital.as_deref())),
            ("职称", or_dash(p.title.as_deref())),
            ("专业", or_dash(p.specialty.as_deref())),
            ("类别", discipline_zh(form.discipline).to_owned()),
            (
                "从业起始年份",
                form.practice_since_year
                    .map_or_else(|| "—".to_owned(), |y| y.to_string()),
            ),
            (
                "从业年限",
                form.practice_years
                    .map_or_else(|| "—".to_owned(), |y| format!("{y}年")),
            ),
        ],
        service: vec![
            (
                "累计服务天数",
                format!("{}天", trim_number(form.cumulative_credited_days)),
            ),
            ("最长连续服务", span),
            (
                "折算依据",
                if basis.is_empty() {
                    "无".to_owned()
                } else {
                    basis
                },
            ),
            ("院外支援（援外、援疆、援藏等）", external),
            (
                "折合服务年限",
                format!(
                    "{}年（要求不少于{}年{}）",
                    trim_number(v.service_years),
                    trim_number(v.required_years),
                    v.required_consecutive_months
                        .map_or_else(String::new, |m| format!("，连续不少于{m}个月"))
                ),
            ),
            ("弄虚作假查实情况", fraud),
            (
                "结论",
                format!("{}。{}", v.status_zh, v.reasons_zh.join("；")),
            ),
        ],
        assessment: vec![
            ("业务情况", form.assessment.business_zh.clone()),
            ("医疗安全", form.assessment.medical_safety_zh.clone()),
            ("患者投诉", form.assessment.complaints_zh.clone()),
            ("岗位职责", form.assessment.duties_zh.clone()),
            ("月度考核", form.assessment.monthly_zh.clone()),
            ("群众满意度", satisfaction),
        ],
    }
}

/// The signer's opinion on the form, or an empty line to write on.
fn opinion_of(form: &PromotionForm, signer: OpinionSigner) -> (String, String) {
    form.opinions
        .iter()
        .find(|o| o.signer == signer)
        .map_or_else(
            || (String::new(), String::new()),
            |o| {
                (
                    o.opinion.clone(),
                    format!(
                        "{}　{}",
                        o.organization_name.as_deref().unwrap_or(""),
                        o.signed_at.format("%Y-%m-%d")
                    ),
                )
            },
        )
}

const SEAL_LINE: &str = "负责人（签字）：＿＿＿＿＿＿　　（盖章）　　日期：＿＿＿＿年＿＿月＿＿日";

/// The form as one printable page (A4 portrait, Chinese), every value escaped.
pub fn form_html(form: &PromotionForm) -> String {
    let s = summary(form);
    let mut h = String::new();
    let status_class = match form.verdict.status {
        PromotionStatus::Met => "met",
        PromotionStatus::NotMet => "not-met",
        PromotionStatus::Barred => "barred",
    };
    let _ = write!(
        h,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>对口支援工作医师考核登记表 {name}</title><style>\
         @page{{size:A4 portrait;margin:12mm 14mm}}\
         body{{font-family:\"SimSun\",\"Songti SC\",serif;font-size:12px;margin:0 auto;max-width:182mm;color:#000}}\
         h1{{font-size:20px;text-align:center;letter-spacing:2px;margin:4px 0 2px}}\
         .sub{{text-align:center;margin:0 0 6px}}\
         table{{border-collapse:collapse;width:100%;margin:0 0 -1px}}\
         th,td{{border:1px solid #000;padding:3px 5px;vertical-align:top;text-align:left}}\
         th{{width:22mm;font-weight:bold;background:#f3f3f3;white-space:nowrap}}\
         .sec{{text-align:center;background:#e8e8e8}}\
         .opinion td{{height:22mm}}.seal{{text-align:right;border-top:none;padding-top:6px}}\
         .met{{font-weight:bold}}.not-met,.barred{{font-weight:bold;text-decoration:underline}}\
         .foot{{font-size:10px;color:#444;margin-top:4px}}\
         tr{{page-break-inside:avoid}}@media print{{.noprint{{display:none}}}}\
         </style></head><body><h1>对口支援工作医师考核登记表</h1>\
         <p class=\"sub\">填表日期：{as_of}</p>",
        name = esc(&form.physician.name),
        as_of = form.as_of,
    );
    h.push_str("<table id=\"personal\">");
    for pair in s.personal.chunks(2) {
        h.push_str("<tr>");
        for (label, value) in pair {
            let _ = write!(h, "<th>{}</th><td>{}</td>", esc(label), esc(value));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");

    let _ = write!(
        h,
        "<table id=\"postings\"><tr><th class=\"sec\" colspan=\"6\">对口支援情况</th></tr>\
         <tr><th>受援单位</th><th>方案</th><th>方式</th><th>起止日期</th><th>服务天数</th><th>首末服务日期</th></tr>"
    );
    if form.postings.is_empty() {
        h.push_str("<tr><td colspan=\"6\">无</td></tr>");
    }
    for p in &form.postings {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}至{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.site_name),
            esc(&p.program_name),
            mode_zh(p.mode),
            p.start_date,
            p.end_date,
            trim_number(p.credited_days),
            match (p.first_credited, p.last_credited) {
                (Some(a), Some(b)) => format!("{a}至{b}"),
                _ => "—".to_owned(),
            }
        );
    }
    let _ = write!(
        h,
        "<tr><th>合计</th><td colspan=\"3\"></td><td>{}</td><td></td></tr></table>",
        trim_number(form.cumulative_credited_days)
    );

    h.push_str(
        "<table id=\"service\"><tr><th class=\"sec\" colspan=\"2\">服务时间与结论</th></tr>",
    );
    for (label, value) in &s.service {
        let class = if *label == "结论" {
            format!(" id=\"verdict\" class=\"{status_class}\"")
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<tr><th>{}</th><td{class}>{}</td></tr>",
            esc(label),
            esc(value)
        );
    }
    h.push_str("</table>");

    h.push_str("<table id=\"workload\"><tr><th class=\"sec\" colspan=\"2\">工作量</th></tr>");
    if form.workload.is_empty() {
        h.push_str("<tr><td colspan=\"2\">未登记工作量</td></tr>");
    }
    for w in &form.workload {
        let _ = write!(
            h,
            "<tr><th>{}</th><td>{} {}</td></tr>",
            esc(&w.label_zh),
            w.total,
            esc(&w.unit_zh)
        );
    }
    h.push_str("</table>");

    h.push_str("<table id=\"assessment\"><tr><th class=\"sec\" colspan=\"2\">考核内容</th></tr>");
    for (label, value) in &s.assessment {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(label), esc(value));
    }
    h.push_str("</table>");

    h.push_str("<table id=\"opinions\">");
    for signer in OpinionSigner::ALL {
        let (text, signed) = opinion_of(form, signer);
        let _ = write!(
            h,
            "<tr class=\"opinion\"><th>{}</th><td>{}<div class=\"muted\">{}</div></td></tr>\
             <tr><td colspan=\"2\" class=\"seal\">{SEAL_LINE}</td></tr>",
            signer.label_zh(),
            esc(&text),
            esc(&signed),
        );
    }
    let _ = write!(
        h,
        "</table><p class=\"foot\">本表由下基层服务记录系统生成（{}），服务天数按签到签退计入；\
         “折合服务年限”按各方案的服务天数要求折算，院外支援按日历天数折算（365天为1年）。</p>\
         <p class=\"foot\">本人签字：＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日</p></body></html>",
        form.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    h
}

/// Columns of the form's sheet.
const COLUMNS: u16 = 6;

fn pairs_row(
    sheet: &mut Worksheet,
    row: u32,
    pairs: &[(&str, String)],
    f: &Formats,
) -> Result<(), XlsxError> {
    // Up to three label/value pairs on one row; a lone pair's value runs to the end.
    let mut col: u16 = 0;
    for (index, (label, value)) in pairs.iter().enumerate() {
        sheet.write_string_with_format(row, col, *label, &f.header)?;
        let last = if index + 1 == pairs.len() {
            COLUMNS - 1
        } else {
            col + 1
        };
        merged(sheet, (row, row), (col + 1, last), value, &f.cell)?;
        col = last + 1;
    }
    Ok(())
}

fn section(sheet: &mut Worksheet, row: u32, title: &str, f: &Formats) -> Result<(), XlsxError> {
    merged(sheet, (row, row), (0, COLUMNS - 1), title, &f.total)
}

fn write_form(form: &PromotionForm) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let wrap = f.cell.clone().set_text_wrap().set_align(FormatAlign::Top);
    let seal: Format = Format::new().set_align(FormatAlign::Right);
    let s = summary(form);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("考核登记表")?;
    merged(
        sheet,
        (0, 0),
        (0, COLUMNS - 1),
        "对口支援工作医师考核登记表",
        &f.title,
    )?;
    sheet.set_row_height(0, 30)?;
    merged(
        sheet,
        (1, 1),
        (0, COLUMNS - 1),
        &format!("填表日期：{}", form.as_of),
        &f.subtitle,
    )?;
    let mut row = 2;
    for chunk in s.personal.chunks(3) {
        pairs_row(sheet, row, chunk, &f)?;
        row += 1;
    }
    section(sheet, row, "对口支援情况", &f)?;
    row += 1;
    for (col, header) in [
        "受援单位",
        "方案",
        "方式",
        "起止日期",
        "服务天数(天)",
        "首末服务日期",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(row, col as u16, *header, &f.header)?;
    }
    row += 1;
    for p in &form.postings {
        sheet.write_string_with_format(row, 0, &p.site_name, &f.cell)?;
        sheet.write_string_with_format(row, 1, &p.program_name, &f.cell)?;
        sheet.write_string_with_format(row, 2, mode_zh(p.mode), &f.cell)?;
        sheet.write_string_with_format(
            row,
            3,
            format!("{}至{}", p.start_date, p.end_date),
            &f.cell,
        )?;
        sheet.write_number_with_format(row, 4, p.credited_days, &f.cell)?;
        let span = match (p.first_credited, p.last_credited) {
            (Some(a), Some(b)) => format!("{a}至{b}"),
            _ => "—".to_owned(),
        };
        sheet.write_string_with_format(row, 5, span, &f.cell)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "合计", &f.total)?;
    merged(sheet, (row, row), (1, 3), "", &f.total)?;
    sheet.write_number_with_format(row, 4, form.cumulative_credited_days, &f.total)?;
    sheet.write_blank(row, 5, &f.total)?;
    row += 1;
    section(sheet, row, "服务时间与结论", &f)?;
    row += 1;
    for (label, value) in &s.service {
        sheet.write_string_with_format(row, 0, *label, &f.header)?;
        merged(sheet, (row, row), (1, COLUMNS - 1), value, &wrap)?;
        if value.chars().count() > 60 {
            sheet.set_row_height(row, 32)?;
        }
        row += 1;
    }
    section(sheet, row, "工作量", &f)?;
    row += 1;
    let workload: Vec<(&str, String)> = form
        .workload
        .iter()
        .map(|w| (w.label_zh.as_str(), format!("{} {}", w.total, w.unit_zh)))
        .collect();
    if workload.is_empty() {
        merged(sheet, (row, row), (0, COLUMNS - 1), "未登记工作量", &f.cell)?;
        row += 1;
    }
    for chunk in workload.chunks(3) {
        pairs_row(sheet, row, chunk, &f)?;
        row += 1;
    }
    section(sheet, row, "考核内容", &f)?;
    row += 1;
    for (label, value) in &s.assessment {
        sheet.write_string_with_format(row, 0, *label, &f.header)?;
        merged(sheet, (row, row), (1, COLUMNS - 1), value, &wrap)?;
        row += 1;
    }
    for signer in OpinionSigner::ALL {
        let (text, signed) = opinion_of(form, signer);
        sheet.write_string_with_format(
            row,
            0,
            signer.label_zh(),
            &f.header.clone().set_text_wrap(),
        )?;
        let body = if signed.is_empty() {
            text
        } else {
            format!("{text}\n{signed}")
        };
        merged(sheet, (row, row), (1, COLUMNS - 1), &body, &wrap)?;
        sheet.set_row_height(row, 60)?;
        row += 1;
        merged(sheet, (row, row), (0, COLUMNS - 1), SEAL_LINE, &seal)?;
        row += 1;
    }
    for (col, width) in [14.0, 22.0, 12.0, 24.0, 14.0, 24.0].iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_paper_size(9);
    sheet.set_portrait();
    sheet.set_print_fit_to_pages(1, 2);
    sheet.set_print_center_horizontally(true);
    sheet.set_margins(0.5, 0.5, 0.6, 0.6, 0.3, 0.3);
    workbook.save_to_buffer()
}

/// The form as XLSX bytes.
pub fn form_xlsx(form: &PromotionForm) -> Result<Vec<u8>, RenderError> {
    write_form(form).map_err(|e| RenderError::Xlsx(e.to_string()))
}

/// 晋升前信息公示 as a table (for XLSX): one line per candidate.
pub fn notice_table(notice: &PromotionNotice) -> Table {
    use mobile_api::NoticeCandidate as C;
    let columns: Vec<Column<C>> = vec![
        Column::new("姓名", |c: &C| Cell::from(c.name.clone())),
        Column::new("性别", |c: &C| Cell::from(gender_zh(c.gender))),
        Column::new("职称", |c: &C| Cell::from(or_dash(c.title.as_deref()))),
        Column::new("专业", |c: &C| {
            Cell::from(or_dash(c.specialty.as_deref()))
        }),
        Column::new("服务单位", |c: &C| Cell::from(c.sites.clone())),
        Column::new("累计服务天数(天)", |c: &C| {
            Cell::from(c.cumulative_credited_days)
        }),
        Column::new("院外支援(天)", |c: &C| Cell::from(c.external_days)),
        Column::new("折合服务年限(年)", |c: &C| {
            Cell::from(c.service_years)
        }),
        Column::new("最长连续服务(月)", |c: &C| {
            Cell::from(c.longest_months)
        }),
        Column::new("结论", |c: &C| Cell::from(c.status_zh.clone())),
        Column::new("限制晋升至", |c: &C| {
            Cell::from(c.barred_until.map(|d| d.to_string()))
        }),
    ];
    Table::from_columns(
        "晋升前信息公示",
        format!(
            "公示单位：{}　公示期：{}至{}",
            notice.hospital_name, notice.notice_from, notice.notice_to
        ),
        "信息公示",
        &columns,
        &notice.candidates,
    )
    .with_preamble(vec![("联系方式".to_owned(), notice.contact.clone())])
}

/// 晋升前信息公示 as a page to post (A4 landscape).
pub fn notice_html(notice: &PromotionNotice) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>晋升前信息公示 {hospital}</title>\
         <style>@page{{size:A4 landscape;margin:12mm}}body{{font-family:\"SimSun\",serif;font-size:13px}}\
         h1{{text-align:center;font-size:20px}}table{{border-collapse:collapse;width:100%}}\
         th,td{{border:1px solid #000;padding:4px 6px}}th{{background:#eee}}</style></head><body>\
         <h1>{hospital}晋升前信息公示</h1>\
         <p>根据对口支援工作要求，现将我单位拟晋升（聘任）职称人员对口支援服务情况予以公示，接受监督。\
         公示期：{from}至{to}（{days}个工作日）。</p>\
         <table id=\"candidates\"><tr><th>序号</th><th>姓名</th><th>性别</th><th>职称</th><th>服务单位</th>\
         <th>累计服务天数</th><th>院外支援天数</th><th>折合服务年限</th><th>最长连续服务(月)</th><th>结论</th></tr>",
        hospital = esc(&notice.hospital_name),
        from = notice.notice_from,
        to = notice.notice_to,
        days = crate::domain::promotion::NOTICE_WORKING_DAYS,
    );
    if notice.candidates.is_empty() {
        h.push_str("<tr><td colspan=\"10\">无公示人员</td></tr>");
    }
    for (i, c) in notice.candidates.iter().enumerate() {
        let verdict = match c.barred_until {
            Some(until) => format!("{}（至{until}）", c.status_zh),
            None => c.status_zh.clone(),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&c.name),
            gender_zh(c.gender),
            esc(&or_dash(c.title.as_deref())),
            esc(&c.sites),
            trim_number(c.cumulative_credited_days),
            c.external_days,
            trim_number(c.service_years),
            c.longest_months,
            esc(&verdict),
        );
    }
    let _ = write!(
        h,
        "</table><p>如有异议，请在公示期内实名向{}反映。</p>\
         <p style=\"text-align:right\">（盖章）　　{}</p></body></html>",
        esc(&notice.contact),
        notice.notice_from,
    );
    h
}
