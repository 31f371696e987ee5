-- Due reminders live here, not in memory: a restart or downtime loses none of them.
-- One row per dossier, deadline (kind and date), offset and audience. offset_days is the
-- number of days before the deadline; -1 is the "deadline missed" notice the day after.
CREATE TABLE reminders (
    id           INTEGER PRIMARY KEY,
    dossier_id   INTEGER NOT NULL REFERENCES dossiers (id) ON DELETE CASCADE,
    client_id    INTEGER NOT NULL REFERENCES clients (user_id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,   -- 'application' | 'payment'
    deadline     TEXT    NOT NULL,   -- the last allowed day, ISO date
    offset_days  INTEGER NOT NULL,
    audience     TEXT    NOT NULL,   -- 'client' | 'staff'
    due_at       INTEGER NOT NULL,   -- unix seconds (UTC)
    not_before   INTEGER NOT NULL DEFAULT 0,  -- retry back-off after a timeout or 5xx
    status       TEXT    NOT NULL DEFAULT 'pending',
                 -- pending -> sending (claimed) -> sent | skipped | cancelled | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    sent_at      INTEGER,
    UNIQUE (dossier_id, kind, deadline, offset_days, audience)
);
-- The scheduler's only hot query: pending rows whose moment has come.
CREATE INDEX reminders_pending_due ON reminders (due_at) WHERE status = 'pending';
CREATE INDEX reminders_by_client ON reminders (client_id);
