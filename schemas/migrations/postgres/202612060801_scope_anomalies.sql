-- Issue #18 point 2: anomalies about a jurisdiction rather than a physician (a report
-- filed late or not at all, raised for the level above). Existing kinds keep their
-- physician; the new kinds have none and name the jurisdiction that sees them.
-- The anomaly list scopes an anomaly by its site's jurisdiction, else by this one.
ALTER TABLE anomalies ALTER COLUMN physician_id DROP NOT NULL;
ALTER TABLE anomalies ADD COLUMN jurisdiction_code TEXT REFERENCES jurisdictions (code);
CREATE INDEX anomalies_jurisdiction ON anomalies (jurisdiction_code, detected_at);
