-- Nothing lost, nothing half-written: every update is stored before Telegram is told it
-- arrived, handled in one transaction with everything it changes, and everything the bot
-- sends is a row of the outbox, written in that same transaction.

-- The durable inbox. A row is written before the update is acknowledged (polling: before
-- the next getUpdates offset moves past it; webhook: before the 2xx answer).
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,      -- Telegram's id: an update seen twice is ignored
    user_id      INTEGER,                  -- who sent it (flood guard, /vergeetmij)
    payload      TEXT    NOT NULL,         -- the update as Telegram sent it (JSON)
    received_at  TEXT    NOT NULL,
    handled_at   TEXT,
    outcome      TEXT                      -- handled | dropped (flood) | failed
);
CREATE INDEX inbox_unhandled ON inbox (update_id) WHERE handled_at IS NULL;
CREATE INDEX inbox_by_user ON inbox (user_id);

-- Everything the bot sends: replies, keyboard edits, reminders, notices, alerts, broadcasts.
-- One sender delivers the rows in order per chat and marks each one.
-- AUTOINCREMENT: ids only grow, even when every row was deleted (the sender reads new rows
-- by id, so an id must never be given out twice).
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,         -- message | document | photo | edit_text | edit_markup
    payload      TEXT    NOT NULL,         -- JSON: text, keyboard, message_id, filename, caption
    file         BLOB,                     -- the bytes of a document or photo
    lane         TEXT    NOT NULL DEFAULT 'reply',  -- reply | bulk (reminders, broadcasts)
    source       TEXT,                     -- what else to mark once delivered: reminder, ...
    source_id    INTEGER,
    status       TEXT    NOT NULL DEFAULT 'pending',
                 -- pending -> sent | blocked | failed | expired | cancelled
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   TEXT,                     -- back-off after a timeout or 5xx
    expires_at   TEXT,                     -- given up when not delivered by then
    created_at   TEXT    NOT NULL,
    sent_at      TEXT,
    message_id   INTEGER,                  -- Telegram's id of the message, once sent
    last_error   TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
CREATE INDEX outbox_by_source ON outbox (source, source_id, status);
CREATE INDEX outbox_by_chat ON outbox (chat_id);
CREATE INDEX outbox_done ON outbox (created_at) WHERE status <> 'pending';

-- Broadcast recipients become outbox rows (their delivery is what the outbox records).
INSERT INTO outbox (chat_id, kind, payload, lane, source, source_id, status, attempts,
                    created_at, sent_at, last_error)
SELECT r.client_id, 'message', json_object('text', b.text), 'bulk', 'broadcast', r.broadcast_id,
       CASE r.status WHEN 'sending' THEN 'pending' ELSE r.status END, r.attempts,
       b.created_at, r.done_at, r.last_error
FROM broadcast_recipients AS r JOIN broadcasts AS b ON b.id = r.broadcast_id
ORDER BY r.broadcast_id, r.client_id;
DROP TABLE broadcast_recipients;
-- A broadcast is now 'sending' from the moment staff press Versturen until it is 'done'.
UPDATE broadcasts SET status = 'sending' WHERE status IN ('new', 'queued');

-- One conversation per user: the flow and step they are in, and the answers so far.
-- A flow left for a command stays as a paused draft (active = 0) that its command offers
-- to continue. Step names are strings, stable when steps are added or reordered.
CREATE TABLE flows (
    user_id     INTEGER NOT NULL,
    flow        TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    draft       TEXT    NOT NULL DEFAULT '{}',
    offered     TEXT    NOT NULL DEFAULT '[]',   -- button data the current step offered
    active      INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (user_id, flow)
);
CREATE UNIQUE INDEX flows_one_active ON flows (user_id) WHERE active = 1;

-- Small facts the bot keeps about itself (polling offset, webhook secret, ...).
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- The old python-telegram-bot tables `conversations` and `user_data` are moved into `flows`
-- (and dropped) by bot/upgrade.py at start-up: mapping old states needs the flows' code.
