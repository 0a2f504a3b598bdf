-- Issue #22 point 5: the supervisors' visit list marks visits with an offline upload
-- (离线) or a scan from the site's kiosk network (同网), read from the visit's events.
CREATE INDEX attendance_events_visit ON attendance_events (visit_id);
