//! The columns each insert of the attendance tables writes, named once: the
//! single-row statements (an attempt's writes, an anomaly, an activity) and the bulk
//! path's multi-row ones ([`super::bulk`]) are built from the same lists, and bound
//! from the same values (each row type's `values()`, in this order).

use super::Db;

/// A table and the columns an insert gives, in the order of their values.
#[derive(Debug, Clone, Copy)]
pub struct Insert {
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

impl Insert {
    /// Values per row.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// `INSERT INTO <table> (<columns>) VALUES ($1, ...), ...` for `rows` rows.
    pub fn sql(&self, rows: usize) -> String {
        self.sql_with(rows, Placeholders::Numbered)
    }

    /// [`Insert::sql`] with the placeholders of `style`, bound in the same order.
    pub fn sql_with(&self, rows: usize, style: Placeholders) -> String {
        let width = self.width();
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            self.table,
            self.columns.join(", ")
        );
        for row in 0..rows {
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for column in 0..width {
                if column > 0 {
                    sql.push_str(", ");
                }
                match style {
                    Placeholders::Numbered => {
                        sql.push('$');
                        sql.push_str(&(row * width + column + 1).to_string());
                    }
                    Placeholders::Anonymous => sql.push('?'),
                }
            }
            sql.push(')');
        }
        sql
    }
}

/// How a statement marks its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
    /// `$1, $2, ...`: what both databases take.
    Numbered,
    /// `?, ?, ...` (SQLite only), bound in order. For statements of thousands of
    /// values: SQLite looks up a numbered parameter's name by a scan of every name,
    /// and sqlx asks for each one's name, so binding `n` numbered values costs `n²`
    /// (a 1000-row insert of attendance events spent 90 % of a bulk load there);
    /// anonymous ones have no name to look up.
    Anonymous,
}

impl Placeholders {
    /// The cheaper style for a statement of many values on `db`: anonymous on
    /// SQLite, numbered on PostgreSQL (which binds by position and takes no `?`).
    pub fn for_many_values(db: &Db) -> Placeholders {
        match db {
            Db::Sqlite(_) => Placeholders::Anonymous,
            Db::Postgres(_) => Placeholders::Numbered,
        }
    }
}

/// One attempt, refused or not ([`super::attempt::NewEvent::values`]).
pub const EVENTS: Insert = Insert {
    table: "attendance_events",
    columns: &[
        "id",
        "client_event_id",
        "physician_id",
        "action",
        "site_id",
        "assignment_id",
        "visit_id",
        "code_kind",
        "code_step",
        "device_id",
        "lat",
        "lon",
        "reported_lat",
        "reported_lon",
        "crs",
        "accuracy_m",
        "is_mock",
        "fix_time",
        "scanned_at",
        "received_at",
        "verdict",
        "refusal_code",
        "reasons",
        "distance_to_fence_m",
        "geofence_version",
        "response_status",
        "response_body",
        "client_ip",
        "network",
        "ip_place",
        "offline",
    ],
};

/// One use of a kiosk code by an accepted scan ([`super::attempt::CodeUse::values`]).
pub const CODE_USES: Insert = Insert {
    table: "code_uses",
    columns: &[
        "site_id",
        "code_kind",
        "code_step",
        "physician_id",
        "use_slot",
        "event_id",
    ],
};

/// A visit, open or closed ([`super::attempt::NewVisit::values`]).
pub const VISITS: Insert = Insert {
    table: "visits",
    columns: &[
        "id",
        "physician_id",
        "site_id",
        "assignment_id",
        "local_date",
        "check_in_event_id",
        "checked_in_at",
        "check_out_event_id",
        "checked_out_at",
        "status",
        "closed_at",
        "open_physician",
    ],
};

/// A physician's bound device ([`super::attempt::device_values`]).
pub const DEVICES: Insert = Insert {
    table: "devices",
    columns: &["physician_id", "device_id", "bound_at"],
};

/// An anomaly, raised open ([`super::supervision::NewAnomaly::values`]).
pub const ANOMALIES: Insert = Insert {
    table: "anomalies",
    columns: &[
        "id",
        "kind",
        "severity",
        "status",
        "physician_id",
        "site_id",
        "visit_id",
        "event_ids",
        "detected_at",
        "detail",
    ],
};

/// Work logged on a visit ([`super::activities::values`]).
pub const ACTIVITIES: Insert = Insert {
    table: "activities",
    columns: &[
        "id",
        "visit_id",
        "physician_id",
        "kind",
        "count",
        "note",
        "supersedes_id",
        "recorded_at",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_numbers_its_values_row_after_row() {
        assert_eq!(
            DEVICES.sql(1),
            "INSERT INTO devices (physician_id, device_id, bound_at) VALUES ($1, $2, $3)"
        );
        assert_eq!(
            DEVICES.sql(2),
            "INSERT INTO devices (physician_id, device_id, bound_at) \
             VALUES ($1, $2, $3), ($4, $5, $6)"
        );
        assert!(EVENTS.sql(1).ends_with("$30, $31)"));
    }

    #[test]
    fn anonymous_placeholders_stand_where_the_numbered_ones_do() {
        assert_eq!(
            DEVICES.sql_with(2, Placeholders::Anonymous),
            "INSERT INTO devices (physician_id, device_id, bound_at) \
             VALUES (?, ?, ?), (?, ?, ?)"
        );
        let numbered = EVENTS.sql(3);
        let anonymous = EVENTS.sql_with(3, Placeholders::Anonymous);
        assert_eq!(
            anonymous.matches('?').count(),
            numbered.matches('$').count()
        );
    }
}
