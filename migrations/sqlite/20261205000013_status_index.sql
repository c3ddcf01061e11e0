-- Searches by status (`MedicationRequest?status=active`, as the dashboards
-- ask) seek the few rows with that status in date order. The earlier index
-- lacked the id the search orders by last, so SQLite walked every record of
-- the type in date order instead.
DROP INDEX resources_by_profile_type_status;
CREATE INDEX resources_by_profile_type_status
    ON resources (profile_id, resource_type, status, sort_key DESC, id DESC);
