-- Clients (Telegram users) and their dossiers. Dates are ISO 'YYYY-MM-DD' in Brussels time;
-- moments are ISO UTC text. Deleting a client cascades to everything about them.
CREATE TABLE clients (
    user_id            INTEGER PRIMARY KEY,
    first_name         TEXT    NOT NULL DEFAULT '',
    last_name          TEXT,
    username           TEXT,
    active             INTEGER NOT NULL DEFAULT 1,
    company_name       TEXT,
    enterprise_number  TEXT,
    registration_step  INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL
);

CREATE TABLE dossiers (
    id                  INTEGER PRIMARY KEY,
    client_id           INTEGER NOT NULL REFERENCES clients (user_id) ON DELETE CASCADE,
    service             TEXT    NOT NULL,
    theme               TEXT    NOT NULL,
    title               TEXT    NOT NULL,
    company_size        TEXT,
    amount_cents        INTEGER,
    start_date          TEXT    NOT NULL,
    filed_on            TEXT,
    confirmed_on        TEXT,
    confirmed_by        INTEGER,
    share_paid_on       TEXT,
    report_approved_on  TEXT,
    evaluated_on        TEXT,
    vigc_paid_on        TEXT,
    closed              INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);
CREATE INDEX dossiers_by_client ON dossiers (client_id, closed);
CREATE INDEX dossiers_open ON dossiers (closed, start_date);

-- python-telegram-bot persistence: conversation states and per-user drafts.
CREATE TABLE conversations (
    name     TEXT    NOT NULL,
    key      TEXT    NOT NULL,
    user_id  INTEGER,
    state    TEXT    NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX conversations_by_user ON conversations (user_id);

CREATE TABLE user_data (
    user_id  INTEGER PRIMARY KEY,
    data     TEXT    NOT NULL
);
