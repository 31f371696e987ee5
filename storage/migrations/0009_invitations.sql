-- Dossiers VIGC staff set up for a client, who opens a personal link to take them over.
-- An invitation is 'open' until a client says the project is right ('linked': the dossier
-- then exists in `dossiers`) or not ('disputed'), or staff revoke it ('revoked').
-- Contact name and e-mail are kept only until the invitation is linked, or deleted a set
-- time after its application deadline (INVITATION_RETENTION_DAYS).
CREATE TABLE invitations (
    id                 INTEGER PRIMARY KEY,
    code               TEXT    NOT NULL UNIQUE,   -- in the link; never in a log line
    dedupe_key         TEXT    NOT NULL UNIQUE,   -- enterprise number (or company) + title + start
    company_name       TEXT    NOT NULL,
    enterprise_number  TEXT,
    service            TEXT    NOT NULL,
    theme              TEXT    NOT NULL,
    title              TEXT    NOT NULL,
    start_date         TEXT    NOT NULL,
    deadline           TEXT    NOT NULL,          -- last day to file; the link expires after it
    amount_cents       INTEGER,
    company_size       TEXT,
    contact_name       TEXT,
    email              TEXT,
    status             TEXT    NOT NULL DEFAULT 'open',  -- open | linked | disputed | revoked
    client_id          INTEGER REFERENCES clients (user_id) ON DELETE SET NULL,
    dossier_id         INTEGER REFERENCES dossiers (id) ON DELETE SET NULL,
    remark             TEXT,                      -- what the client said was wrong
    staff_alerted      INTEGER NOT NULL DEFAULT 0,
    created_by         INTEGER NOT NULL,
    import_id          INTEGER,                   -- the enrolment list it came from, if any
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);
CREATE INDEX invitations_open ON invitations (deadline) WHERE status = 'open';

-- Wrong codes typed or opened by a user: more than a few an hour are refused.
CREATE TABLE code_attempts (
    user_id  INTEGER NOT NULL,
    at       TEXT    NOT NULL
);
CREATE INDEX code_attempts_by_user ON code_attempts (user_id, at);

-- Enrolment lists staff sent: read, previewed, then (after Bevestig) turned into invitations.
CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    staff_id    INTEGER NOT NULL,
    file_id     TEXT    NOT NULL,
    filename    TEXT    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'waiting',
                -- waiting (to be read) -> previewed -> done | cancelled | failed
    want_qr     INTEGER NOT NULL DEFAULT 0,
    content     BLOB,                             -- the file, kept until the import is done
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX imports_waiting ON imports (id) WHERE status = 'waiting';
