-- A site's visits newest first (the geofence history on the site's page lists the
-- visits judged against each fence version).
CREATE INDEX visits_site_checked_in ON visits (site_id, checked_in_at);
