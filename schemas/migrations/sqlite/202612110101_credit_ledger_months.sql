-- The credit ledger's month sums over every visit (issue 25): one row per assignment
-- and month ('YYYY-MM'), each day's half-days in two bits (day 1 in the lowest two)
-- and the month's qualifying visits. A report judging a posting, a quarter or a year
-- reads a row a month where no period it sums cuts the month, instead of a row a day.
--
-- Derived from credit_ledger's rows of activity '' only, and written by the ledger's
-- refresh in the same transaction as the day rows it sums, so it always equals their
-- sum; like them, a month counts only while no stale mark covers a day of it (the
-- reports read the marks first and credit a marked assignment from its events).
CREATE TABLE credit_ledger_months (
    assignment_id     TEXT NOT NULL,
    month             TEXT NOT NULL,
    half_days_by_day  INTEGER NOT NULL,
    qualifying_visits INTEGER NOT NULL,
    PRIMARY KEY (assignment_id, month)
);

INSERT INTO credit_ledger_months (assignment_id, month, half_days_by_day, qualifying_visits)
SELECT assignment_id, substr(local_date, 1, 7),
       SUM(credit_half_days << (2 * (CAST(substr(local_date, 9, 2) AS INTEGER) - 1))),
       SUM(qualifying_visits)
FROM credit_ledger
WHERE activity = ''
GROUP BY assignment_id, substr(local_date, 1, 7);
