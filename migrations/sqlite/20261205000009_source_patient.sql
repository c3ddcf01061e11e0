-- The Patient a portal account signed in as, read at connect time, so the
-- source page can name it and a mismatch can be confirmed before syncing.
ALTER TABLE sources ADD COLUMN patient_json TEXT;
