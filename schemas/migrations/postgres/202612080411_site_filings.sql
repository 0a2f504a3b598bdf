-- Issue #19 point 5: the receiving clinic files its own site's monthly report (丰泽's
-- circular names the receiving clinic as the filer). A filing may name a site
-- (`site_id`, an organization); NULL is a jurisdiction's own filing as before. A
-- site's filing and its county's own filing of the same month live side by side, so
-- the unique key becomes (report_kind, period, jurisdiction_code,
-- COALESCE(site_id, ''), version): the inline constraint is dropped and a unique
-- index over the expression takes its place.
ALTER TABLE filings ADD COLUMN site_id TEXT REFERENCES organizations (id);
ALTER TABLE filings DROP CONSTRAINT filings_report_kind_period_jurisdiction_code_version_key;
CREATE UNIQUE INDEX filings_version_key
    ON filings (report_kind, period, jurisdiction_code, COALESCE(site_id, ''), version);
CREATE INDEX filings_site ON filings (site_id, period);
