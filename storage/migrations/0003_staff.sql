-- VIGC staff: broadcasts to clients (resumable after a crash) and the audit of staff actions.

-- One row per broadcast. status: new (being created) -> queued -> sending -> done.
-- The progress message in the staff member's chat is edited into the final report.
CREATE TABLE broadcasts (
    id                   INTEGER PRIMARY KEY,
    staff_id             INTEGER NOT NULL,
    audience             TEXT    NOT NULL,   -- 'all' | 'open' | 'deadline'
    text                 TEXT    NOT NULL,   -- Telegram HTML exactly as clients get it
    status               TEXT    NOT NULL DEFAULT 'new',
    created_at           TEXT    NOT NULL,
    started_at           TEXT,
    finished_at          TEXT,
    progress_chat_id     INTEGER,
    progress_message_id  INTEGER
);
CREATE INDEX broadcasts_unfinished ON broadcasts (status, id);

-- Each recipient's delivery: pending -> sending (claimed) -> sent | blocked | failed.
-- Marked in its own commit right after Telegram answered, so a restart resends only what
-- was claimed but not marked (at most the messages in flight at the moment of a crash).
CREATE TABLE broadcast_recipients (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    client_id     INTEGER NOT NULL REFERENCES clients (user_id) ON DELETE CASCADE,
    status        TEXT    NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    REAL    NOT NULL DEFAULT 0,   -- unix seconds: back-off after a timeout/5xx
    last_error    TEXT,
    done_at       TEXT,
    PRIMARY KEY (broadcast_id, client_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_recipients_by_status ON broadcast_recipients (broadcast_id, status);
CREATE INDEX broadcast_recipients_by_client ON broadcast_recipients (client_id);

-- Who of VIGC did what, and when. No client user id here: a confirmation refers to its
-- dossier, and forgetting a client (deleting the dossier) leaves the action without it.
CREATE TABLE staff_audit (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL,
    action      TEXT    NOT NULL,   -- 'broadcast' | 'confirm' | 'export'
    at          TEXT    NOT NULL,
    dossier_id  INTEGER REFERENCES dossiers (id) ON DELETE SET NULL,
    details     TEXT    NOT NULL DEFAULT '{}'   -- JSON, never personal data of clients
);
CREATE INDEX staff_audit_at ON staff_audit (at);
