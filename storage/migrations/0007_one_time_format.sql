-- One timestamp format everywhere: UTC ISO 8601 with milliseconds, e.g.
-- 2026-11-28T09:00:00.000Z (storage.db.stamp). Before this, dossiers held Python isoformat
-- text with an offset and reminders held unix seconds.
UPDATE clients SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at),
                   updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at);
UPDATE dossiers SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at),
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at);
UPDATE broadcasts SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at),
                      started_at = strftime('%Y-%m-%dT%H:%M:%fZ', started_at),
                      finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', finished_at);
UPDATE staff_audit SET at = strftime('%Y-%m-%dT%H:%M:%fZ', at);
UPDATE schema_version SET applied_at = strftime('%Y-%m-%dT%H:%M:%fZ', applied_at);
UPDATE outbox SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at),
                  sent_at = strftime('%Y-%m-%dT%H:%M:%fZ', sent_at);

-- Reminders: moments as text, and delivery handed to the outbox. A reminder goes
-- pending -> queued (its message is in the outbox) -> sent | failed, or pending -> skipped |
-- cancelled. Retry bookkeeping now lives in the outbox row.
CREATE TABLE reminders_new (
    id           INTEGER PRIMARY KEY,
    dossier_id   INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    client_id    INTEGER NOT NULL REFERENCES clients (user_id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,   -- 'application' | 'payment'
    deadline     TEXT    NOT NULL,   -- the last allowed day, ISO date
    offset_days  INTEGER NOT NULL,   -- days before the deadline; -1 = the "missed" notice
    audience     TEXT    NOT NULL,   -- 'client' | 'staff'
    due_at       TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending',
    sent_at      TEXT,
    UNIQUE (dossier_id, kind, deadline, offset_days, audience)
);
INSERT INTO reminders_new (id, dossier_id, client_id, kind, deadline, offset_days, audience,
                           due_at, status, sent_at)
SELECT id, dossier_id, client_id, kind, deadline, offset_days, audience,
       strftime('%Y-%m-%dT%H:%M:%fZ', due_at, 'unixepoch'),
       CASE status WHEN 'sending' THEN 'pending' ELSE status END,
       CASE WHEN sent_at IS NULL THEN NULL
            ELSE strftime('%Y-%m-%dT%H:%M:%fZ', sent_at, 'unixepoch') END
FROM reminders;
DROP TABLE reminders;
ALTER TABLE reminders_new RENAME TO reminders;
-- The scheduler's only hot query: pending rows whose moment has come.
CREATE INDEX reminders_pending_due ON reminders (due_at) WHERE status = 'pending';
CREATE INDEX reminders_by_client ON reminders (client_id);
CREATE INDEX reminders_by_dossier ON reminders (dossier_id, status);
