-- The health summary lists records by status (active problems, current
-- medicines): an index that reaches them without reading every record of the type.
CREATE INDEX resources_by_profile_type_status ON resources (profile_id, resource_type, status, sort_key DESC);
